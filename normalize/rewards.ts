// Rewards (docs/architecture.md "Conventions for identity and reward").
//
// 1. The OTel GenAI event `gen_ai.evaluation.result` (`gen_ai.evaluation.name`, `gen_ai.evaluation.score.value`,
//    `gen_ai.evaluation.score.label`, `gen_ai.evaluation.explanation`, tracelight's `tracelight.reward.primary`):
//    as a span event it judges the span it is attached to; as an OTLP log record it judges the record's span.
//    An evaluation without a numeric score (label only) is not a reward and is skipped.
// 2. Agent Lightning reward spans. `emit_reward()` creates an `agentlightning.annotation` span (older releases:
//    `agentlightning.reward`) as a child of whatever span is current, with
//    `agentlightning.reward.{i}.name` / `agentlightning.reward.{i}.value` (the first is the primary reward; a
//    plain float is named "primary"), optional links `agentlightning.link.{i}.key_match` / `.value_match`. The
//    oldest form is a `agentlightning.reward` span with a float `reward` attribute; AgentOps-traced agents put
//    `{"type": "reward", "value": x}` in `agentops.task.output` / `agentops.entity.output`.
//    The annotation span itself judges nothing, so the Reward points at: the span named by an explicit link
//    (`key_match` = "span_id", or "gen_ai.response.id" resolved within the batch), else the annotation span's
//    parent: the agent / operation span that was current when the reward was emitted (usually the rollout's
//    root), which the assembler treats as "this reward scores the work under that span". Agent Lightning's own
//    adapter matches a reward to the latest LLM call that ended before it (by time); that needs the whole
//    trace and belongs to the assembler, which still has the annotation's time (time_unix_nano).
//
// reward_id is a hash of where the reward came from, so a re-sent batch keeps one row per reward.

import { TL } from '../schemas/genai.js';
import type { Reward } from '../schemas/genai.js';
import type { LogRecordRecord, SpanEventRecord, SpanRecord } from '../schemas/telemetry.js';
import type { RolloutIdentity } from './identity.js';
import { EVENT_EVALUATION_RESULT } from './otel-genai.js';
import { bool, groupIndexed, isRecord, num, parseJson, stableId, str } from './util.js';
import type { Attrs } from './util.js';

const AGL_REWARD_PREFIX = 'agentlightning.reward.';
const AGL_LINK_PREFIX = 'agentlightning.link.';

/** Looks up the span of this batch that produced a given `gen_ai.response.id` (built on first use). */
export class ResponseIdIndex {
  private index: Map<string, string> | null = null;

  constructor(private readonly spans: readonly SpanRecord[]) {}

  spanIdFor(traceId: string, responseId: string): string {
    if (!this.index) {
      this.index = new Map();
      for (const s of this.spans) {
        const id = str(s.attributes?.['gen_ai.response.id']);
        if (id) this.index.set(`${s.traceId}/${id}`, s.spanId);
      }
    }
    return this.index.get(`${traceId}/${responseId}`) ?? '';
  }
}

function evaluationReward(
  attrs: Attrs,
  base: { trace_id: string; span_id: string; time_unix_nano: bigint; source: string },
  identity: RolloutIdentity,
  idParts: Array<string | number | bigint>,
): Reward | null {
  const value = num(attrs['gen_ai.evaluation.score.value']);
  if (value === null) return null;
  const name = str(attrs['gen_ai.evaluation.name']) || 'evaluation';
  return {
    reward_id: stableId(base.source, base.trace_id, base.span_id, name, ...idParts),
    rollout_id: identity.rollout_id,
    attempt_id: identity.attempt_id,
    trace_id: base.trace_id,
    span_id: base.span_id,
    name,
    value,
    label: str(attrs['gen_ai.evaluation.score.label']),
    explanation: str(attrs['gen_ai.evaluation.explanation']),
    source: base.source,
    time_unix_nano: base.time_unix_nano,
    primary: bool(attrs[TL.rewardPrimary]),
  };
}

function spanEventRewards(span: SpanRecord, identity: RolloutIdentity, out: Reward[]): void {
  const events: readonly SpanEventRecord[] = span.events ?? [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (!e || e.name !== EVENT_EVALUATION_RESULT) continue;
    const r = evaluationReward(
      e.attributes ?? {},
      { trace_id: span.traceId, span_id: span.spanId, time_unix_nano: e.timeUnixNano, source: 'span-event' },
      identity,
      [i, e.timeUnixNano],
    );
    if (r) out.push(r);
  }
}

interface Dimension {
  name: string;
  value: number;
  primary: boolean;
}

function agentLightningDimensions(span: SpanRecord, attrs: Attrs): Dimension[] {
  const dims: Dimension[] = [];
  if (span.name.startsWith('agentlightning.')) {
    // Current form: agentlightning.reward.{i}.name / .value, the first one primary.
    const indexed = groupIndexed(attrs, AGL_REWARD_PREFIX);
    for (const rec of indexed) {
      const value = num(rec.value);
      if (value === null) continue;
      dims.push({ name: str(rec.name) || 'primary', value, primary: dims.length === 0 });
    }
    if (dims.length === 0) {
      // Intermediate form: agentlightning.reward.primary / agentlightning.reward.<metric> = number.
      for (const key in attrs) {
        if (!key.startsWith(AGL_REWARD_PREFIX)) continue;
        const rest = key.slice(AGL_REWARD_PREFIX.length);
        if (rest === '' || rest.includes('.')) continue;
        const value = num(attrs[key]);
        if (value === null) continue;
        dims.push({ name: rest, value, primary: rest === 'primary' });
      }
      dims.sort((a, b) => Number(b.primary) - Number(a.primary));
    }
    if (dims.length === 0 && span.name === 'agentlightning.reward') {
      // Oldest form: a float `reward` attribute.
      const value = num(attrs['reward']);
      if (value !== null) dims.push({ name: 'primary', value, primary: true });
    }
  }
  if (dims.length === 0) {
    for (const key of ['agentops.task.output', 'agentops.entity.output']) {
      const raw = attrs[key];
      if (typeof raw !== 'string' || !raw.includes('reward')) continue;
      const parsed = parseJson(raw);
      if (isRecord(parsed) && parsed.type === 'reward') {
        const value = num(parsed.value);
        if (value !== null) dims.push({ name: 'primary', value, primary: true });
        break;
      }
    }
  }
  return dims;
}

function linkedSpanId(span: SpanRecord, attrs: Attrs, responses: ResponseIdIndex): string {
  for (const link of groupIndexed(attrs, AGL_LINK_PREFIX)) {
    const key = str(link.key_match);
    const value = str(link.value_match);
    if (!value) continue;
    if (key === 'span_id') return value.toLowerCase().replace(/^0x/, '');
    if (key === 'gen_ai.response.id') {
      const id = responses.spanIdFor(span.traceId, value);
      if (id) return id;
    }
  }
  return span.parentSpanId;
}

/** Every reward a span carries: evaluation span events and Agent Lightning reward attributes. */
export function rewardsFromSpan(span: SpanRecord, identity: RolloutIdentity, responses: ResponseIdIndex): Reward[] {
  const out: Reward[] = [];
  if (span.events && span.events.length > 0) spanEventRewards(span, identity, out);
  const attrs = span.attributes ?? {};
  const maybeAgl = span.name.startsWith('agentlightning.') || attrs['agentops.task.output'] !== undefined || attrs['agentops.entity.output'] !== undefined;
  if (!maybeAgl) return out;
  const dims = agentLightningDimensions(span, attrs);
  if (dims.length === 0) return out;
  const target = linkedSpanId(span, attrs, responses);
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i]!;
    out.push({
      reward_id: stableId('agentlightning', span.traceId, span.spanId, i, d.name),
      rollout_id: identity.rollout_id,
      attempt_id: identity.attempt_id,
      trace_id: span.traceId,
      span_id: target,
      name: d.name,
      value: d.value,
      label: '',
      explanation: '',
      source: 'agentlightning',
      time_unix_nano: span.startTimeUnixNano,
      primary: d.primary,
    });
  }
  return out;
}

/** A `gen_ai.evaluation.result` OTLP log record → Reward (null when it has no numeric score). */
export function rewardFromLog(rec: LogRecordRecord, identity: RolloutIdentity): Reward | null {
  const attrs = rec.attributes ?? {};
  const time = rec.timeUnixNano || rec.observedTimeUnixNano;
  return evaluationReward(attrs, { trace_id: rec.traceId, span_id: rec.spanId, time_unix_nano: time, source: 'log-event' }, identity, [
    time,
    str(attrs['gen_ai.response.id']),
  ]);
}
