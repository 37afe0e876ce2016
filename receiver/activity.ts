// Spans and log records that carry an attempt id count as that attempt's heartbeat. The ingest path hands
// each decoded batch to an ActivityListener (the rollout queue); the scan runs only while some attempt is
// waiting for heartbeats, and reads two keys per record, so ingest stays fast.
import { TL } from '../schemas/genai.js';
import type { Attributes } from '../schemas/telemetry.js';

/** Agent Lightning's attempt key (normalize/identity.ts reads the same). */
const AGL_ATTEMPT_ID = 'agentlightning.attempt_id';
const ATTEMPT_KEYS = [TL.attemptId, AGL_ATTEMPT_ID] as const;

export interface ActivityListener {
  /** False when no attempt is waiting for heartbeats: the batch is not scanned at all. */
  wantsActivity(): boolean;
  onActivity(attemptIds: ReadonlySet<string>): void;
}

function collect(attrs: Attributes | undefined, into: { ids: Set<string> | null }): void {
  if (!attrs) return;
  for (const k of ATTEMPT_KEYS) {
    const v = attrs[k];
    if (typeof v === 'string' && v !== '') (into.ids ??= new Set()).add(v);
  }
}

/** The attempt ids (`tracelight.attempt.id`, `agentlightning.attempt_id`, record or resource attribute) in a batch. */
export function attemptIdsOf(records: readonly { attributes?: Attributes; resource?: Attributes }[]): Set<string> | null {
  const out: { ids: Set<string> | null } = { ids: null };
  let lastResource: Attributes | undefined;
  for (const r of records) {
    collect(r.attributes, out);
    if (r.resource !== lastResource) {
      lastResource = r.resource;
      collect(r.resource, out);
    }
  }
  return out.ids;
}

/** Reports a batch's attempt ids to the listener; never throws (a heartbeat must not cost the telemetry). */
export function reportActivity(listener: ActivityListener | undefined, records: readonly { attributes?: Attributes; resource?: Attributes }[]): void {
  if (!listener) return;
  try {
    if (!listener.wantsActivity()) return;
    const ids = attemptIdsOf(records);
    if (ids) listener.onActivity(ids);
  } catch (err) {
    process.emitWarning(`tracelight: attempt heartbeat from spans failed: ${(err as Error).message}`);
  }
}
