// withRollout(): runs an agent's work inside a root span that declares the rollout identity
// (`tracelight.rollout.id` / `tracelight.attempt.id`), with the same ids in W3C baggage. The baggage span
// processor copies them onto every span started inside, across awaits and timers (AsyncLocalStorage), and the
// baggage propagator carries them to downstream services.
import { context, createContextKey, propagation, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { TL } from '../../schemas/genai.js';

export const SDK_SCOPE = 'tracelight-sdk';
export const ROLLOUT_SPAN_NAME = 'tracelight.rollout';

export interface RolloutInfo {
  rolloutId: string;
  attemptId?: string;
  /** Versions of the resources this attempt uses (name → version): `tracelight.resource.<name>.version` on every span. */
  resources?: Record<string, string | number>;
  /** Root span name (default `tracelight.rollout`). */
  spanName?: string;
  /** More attributes for the root span. */
  attributes?: Attributes;
}

export interface ActiveRollout {
  readonly rolloutId: string;
  readonly attemptId: string;
  /** The rollout's root span. */
  readonly span: Span;
}

const ROLLOUT_KEY = createContextKey('tracelight.rollout');

/** The rollout the current code runs in (inside withRollout), else null. */
export function currentRollout(): ActiveRollout | null {
  return (context.active().getValue(ROLLOUT_KEY) as ActiveRollout | undefined) ?? null;
}

export function resourceVersionKey(name: string): string {
  return `${TL.resourceVersionPrefix}${name}${TL.resourceVersionSuffix}`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs `fn` inside a new root span (a trace of its own) carrying the rollout identity, with the ids in baggage
 * so every span started inside carries them too. The span ends when `fn` settles; a thrown error is recorded on
 * it (status ERROR) and rethrown.
 */
export async function withRollout<T>(info: RolloutInfo, fn: () => T | Promise<T>): Promise<T> {
  if (typeof info?.rolloutId !== 'string' || info.rolloutId === '') throw new TypeError('withRollout: rolloutId must be a non-empty string');
  if (info.attemptId !== undefined && typeof info.attemptId !== 'string') throw new TypeError('withRollout: attemptId must be a string');
  const attemptId = info.attemptId ?? '';
  const identity: Record<string, string> = { [TL.rolloutId]: info.rolloutId };
  if (attemptId) identity[TL.attemptId] = attemptId;
  for (const [name, version] of Object.entries(info.resources ?? {})) identity[resourceVersionKey(name)] = String(version);

  let baggage = propagation.getBaggage(context.active()) ?? propagation.createBaggage();
  for (const [key, value] of Object.entries(identity)) baggage = baggage.setEntry(key, { value });
  const parent = propagation.setBaggage(context.active(), baggage);

  const tracer = trace.getTracer(SDK_SCOPE);
  return tracer.startActiveSpan(
    info.spanName ?? ROLLOUT_SPAN_NAME,
    { root: true, attributes: { ...(info.attributes ?? {}), ...identity } },
    parent,
    async (span) => {
      const rollout: ActiveRollout = { rolloutId: info.rolloutId, attemptId, span };
      try {
        return await context.with(context.active().setValue(ROLLOUT_KEY, rollout), fn);
      } catch (err) {
        span.recordException(err instanceof Error ? err : errorMessage(err));
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
