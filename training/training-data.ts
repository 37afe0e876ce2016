// Reading training data: triplets page by page, and whole rollouts for transcripts. Used by the REST API
// and by the CLI when it opens the store directly.
import type { Driver } from '../store/driver.js';
import { agentsMatching, cmpNs, loadCalls, loadContents, loadIdentities, loadRewards, pageTraces, tracesOfRollouts } from '../store/training-queries.js';
import { assembleTriplets, buildRollouts, type Rollout, type RewardPolicy, type Triplet } from './triplets.js';
import { errorClass } from '../schemas/errors.js';

export interface TripletQuery {
  rollout?: string;
  /** An RE2 pattern (ClickHouse `match`): only calls whose agent name matches. */
  agent?: string;
  /** Nanoseconds since the epoch; calls that started earlier are left out. */
  sinceNs?: string;
  policy: RewardPolicy;
  /** Traces per page. */
  limit: number;
  cursor?: string;
}

export interface TripletPage {
  triplets: Triplet[];
  next_cursor: string | null;
}

export const InvalidCursorError = errorClass('InvalidCursorError', 'invalid');

function encodeCursor(c: { startNs: string; traceId: string }): string {
  return Buffer.from(JSON.stringify([c.startNs, c.traceId])).toString('base64url');
}

function decodeCursor(s: string): { startNs: string; traceId: string } {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'string' && /^\d+$/.test(v[0]) && typeof v[1] === 'string') return { startNs: v[0], traceId: v[1] };
  } catch {
    // fall through to the error below
  }
  throw new InvalidCursorError('cursor is not one returned by this API (pass next_cursor unchanged)');
}

/** Loads complete rollouts for a set of traces: every trace of every rollout they belong to. */
async function rolloutsForTraces(db: Driver, traceIds: string[]): Promise<Rollout[]> {
  const [calls, identities] = await Promise.all([loadCalls(db, traceIds), loadIdentities(db, traceIds)]);
  const seedRollouts = buildRollouts(calls, [], identities, []).map((r) => r.rollout_id);
  const allTraces = [...new Set([...traceIds, ...(await tracesOfRollouts(db, seedRollouts))])];
  return loadRollouts(db, allTraces);
}

async function loadRollouts(db: Driver, traceIds: string[]): Promise<Rollout[]> {
  const [calls, contents, identities] = await Promise.all([loadCalls(db, traceIds), loadContents(db, traceIds), loadIdentities(db, traceIds)]);
  const rolloutIds = [...new Set([...buildRollouts(calls, [], identities, []).map((r) => r.rollout_id), ...identities.map((i) => i.rollout_id)])];
  const rewards = await loadRewards(db, rolloutIds, traceIds);
  return buildRollouts(calls, contents, identities, rewards);
}

export async function loadRollout(db: Driver, rolloutId: string): Promise<Rollout | null> {
  const traces = await tracesOfRollouts(db, [rolloutId]);
  if (traces.length === 0) return null;
  const rollouts = await rolloutsForTraces(db, traces);
  return rollouts.find((r) => r.rollout_id === rolloutId) ?? null;
}

export async function queryTriplets(db: Driver, q: TripletQuery): Promise<TripletPage> {
  if (q.rollout) {
    const r = await loadRollout(db, q.rollout);
    const agent = await agentFilter(db, q.agent, r ? [r] : []);
    return { triplets: r ? assembleTriplets(r, { policy: q.policy, agent }) : [], next_cursor: null };
  }
  const after = q.cursor ? decodeCursor(q.cursor) : undefined;
  const page = await pageTraces(db, { sinceNs: q.sinceNs ?? '0', after, limit: q.limit });
  const rollouts = await rolloutsForTraces(db, page.traceIds);
  const onPage = new Set(page.traceIds);
  const triplets: Triplet[] = [];
  const ordered = rollouts
    // A rollout spanning several pages is emitted once, on the page of its earliest trace.
    .filter((r) => {
      const first = r.calls[0];
      if (first === undefined) return false;
      const startsHere = onPage.has(first.trace_id) && (!after || cmpNs(first.start_ns, after.startNs) >= 0);
      // Its earliest call predates `since`, so no page holds it: it belongs to the page that reached it.
      const startsBeforeSince = q.sinceNs !== undefined && cmpNs(first.start_ns, q.sinceNs) < 0;
      return startsHere || startsBeforeSince;
    })
    .sort((a, b) => cmpNs((a.calls[0] as { start_ns: string }).start_ns, (b.calls[0] as { start_ns: string }).start_ns));
  const agent = await agentFilter(db, q.agent, ordered);
  for (const r of ordered) triplets.push(...assembleTriplets(r, { policy: q.policy, agent }));
  return { triplets, next_cursor: page.next ? encodeCursor(page.next) : null };
}

/** The engine decides which of the loaded agent names match the pattern (RE2: no backtracking). */
async function agentFilter(db: Driver, pattern: string | undefined, rollouts: readonly Rollout[]): Promise<((agent: string) => boolean) | undefined> {
  if (pattern === undefined) return undefined;
  const names = [...new Set(rollouts.flatMap((r) => r.calls.map((c) => c.agent)))];
  const keep = await agentsMatching(db, pattern, names);
  return (agent) => keep.has(agent);
}

/**
 * The trace a stored span belongs to (a reward may name only the span), or null before it arrives: an LLM
 * call's span first (what rewards usually judge; there even when raw spans are not stored), else any raw span.
 */
export async function traceOfSpan(db: Driver, spanId: string): Promise<string | null> {
  const s = spanId.toLowerCase();
  const calls = await db.query<{ trace_id: string }>('SELECT trace_id FROM llm_calls WHERE span_id = {s:String} LIMIT 1', { s });
  if (calls[0]) return calls[0].trace_id;
  const rows = await db.query<{ trace_id: string }>('SELECT TraceId AS trace_id FROM otel_traces WHERE SpanId = {s:String} LIMIT 1', { s });
  return rows[0]?.trace_id ?? null;
}

/** Rollouts by id; without `calls` only their rewards are read (one query). */
export async function loadRolloutsById(db: Driver, ids: readonly string[], opts: { calls?: boolean } = {}): Promise<Rollout[]> {
  if (ids.length === 0) return [];
  if (opts.calls) {
    const traces = await tracesOfRollouts(db, [...ids]);
    const [calls, contents, identities] = await Promise.all([loadCalls(db, traces), loadContents(db, traces), loadIdentities(db, traces)]);
    const rewards = await loadRewards(db, [...ids], traces);
    return buildRollouts(calls, contents, identities, rewards);
  }
  const byId = new Map<string, Rollout>();
  for (const w of await loadRewards(db, [...ids], [])) {
    let r = byId.get(w.rollout_id);
    if (!r) byId.set(w.rollout_id, (r = { rollout_id: w.rollout_id, attempt_ids: [], trace_ids: [], calls: [], rewards: [] }));
    r.rewards.push(w);
  }
  return [...byId.values()];
}
