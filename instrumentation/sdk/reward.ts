// reward(): the OTel GenAI evaluation event, `gen_ai.evaluation.result`, on the span it judges — the active span,
// else the rollout's root span — which is exactly what tracelight's normalizer reads (docs/architecture.md).
import { context, trace, type Attributes, type Span, type SpanContext } from '@opentelemetry/api';
import { TL } from '../../schemas/genai.js';
import { currentRollout, SDK_SCOPE } from './rollout.js';

export const EVALUATION_EVENT = 'gen_ai.evaluation.result';
export const REWARD_SPAN_NAME = 'tracelight.reward';

export interface RewardOptions {
  /** `gen_ai.evaluation.name` (default `reward`). */
  name?: string;
  /** `gen_ai.evaluation.score.label`, e.g. `correct`, `pass`. */
  label?: string;
  /** `gen_ai.evaluation.explanation`. */
  explanation?: string;
  /** `tracelight.reward.primary`: the reward training uses when a rollout has several. */
  primary?: boolean;
  /** Attach to this span instead of the active one. */
  span?: Span;
  /** More event attributes. */
  attributes?: Attributes;
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new TypeError(`reward: ${what} must be a string`);
  return value;
}

/**
 * Records a reward as a `gen_ai.evaluation.result` event. Target: `options.span`, else the active span, else the
 * current rollout's root span; outside any span and any rollout, a short `tracelight.reward` span of its own
 * carries it (its rollout then comes from resource attributes, or it stands alone). Returns the span context
 * the event went on. Throws a TypeError for a value that is not a finite number.
 */
export function reward(value: number, options: RewardOptions = {}): SpanContext {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`reward: value must be a finite number, got ${typeof value === 'number' ? String(value) : typeof value}`);
  }
  const name = optionalString(options.name, 'name') ?? 'reward';
  if (name === '') throw new TypeError('reward: name must not be empty');
  const label = optionalString(options.label, 'label');
  const explanation = optionalString(options.explanation, 'explanation');
  if (options.primary !== undefined && typeof options.primary !== 'boolean') throw new TypeError('reward: primary must be a boolean');

  const attributes: Attributes = {
    ...(options.attributes ?? {}),
    'gen_ai.evaluation.name': name,
    'gen_ai.evaluation.score.value': value,
  };
  if (label !== undefined) attributes['gen_ai.evaluation.score.label'] = label;
  if (explanation !== undefined) attributes['gen_ai.evaluation.explanation'] = explanation;
  if (options.primary !== undefined) attributes[TL.rewardPrimary] = options.primary;

  const target = pickSpan(options.span);
  if (target) {
    target.addEvent(EVALUATION_EVENT, attributes);
    return target.spanContext();
  }
  // Nowhere to attach: a span of its own (a child of the active context, so baggage identity still applies).
  const span = trace.getTracer(SDK_SCOPE).startSpan(REWARD_SPAN_NAME, {}, context.active());
  span.addEvent(EVALUATION_EVENT, attributes);
  span.end();
  return span.spanContext();
}

function pickSpan(explicit: Span | undefined): Span | null {
  if (explicit) return explicit;
  const active = trace.getActiveSpan();
  if (active?.isRecording()) return active;
  const root = currentRollout()?.span;
  if (root?.isRecording()) return root;
  return null;
}
