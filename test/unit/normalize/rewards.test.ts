// Rewards from GenAI evaluation events, on spans and as log records: stable ids, so a reward delivered twice
// is one row.

import { describe, expect, it } from 'vitest';
import { normalizeLogs, normalizeSpans } from '../../../normalize/index.js';
import { T0, TRACE, log, only, span } from '../../support/span-builders.js';

describe('rewards', () => {
  const evalAttrs = {
    'gen_ai.evaluation.name': 'Correctness',
    'gen_ai.evaluation.score.value': 0.8,
    'gen_ai.evaluation.score.label': 'correct',
    'gen_ai.evaluation.explanation': 'Matches the reference answer.',
  };

  it('reads gen_ai.evaluation.result span events, attributed to their span', () => {
    const s = span({
      spanId: '5000000000000001',
      name: 'agent run',
      attributes: { 'tracelight.rollout.id': 'ro-9' },
      events: [
        { name: 'gen_ai.evaluation.result', time: T0 + 7n, attributes: { ...evalAttrs, 'tracelight.reward.primary': true } },
        { name: 'gen_ai.evaluation.result', time: T0 + 8n, attributes: { 'gen_ai.evaluation.name': 'Tone', 'gen_ai.evaluation.score.label': 'polite' } },
        { name: 'exception', attributes: { 'exception.message': 'x' } },
      ],
    });
    const batch = normalizeSpans([s]);
    const r = only(batch.rewards); // the label-only evaluation has no score: not a reward
    expect(r).toEqual({
      reward_id: r.reward_id,
      rollout_id: 'ro-9',
      attempt_id: '',
      trace_id: TRACE,
      span_id: '5000000000000001',
      name: 'Correctness',
      value: 0.8,
      label: 'correct',
      explanation: 'Matches the reference answer.',
      source: 'span-event',
      time_unix_nano: T0 + 7n,
      primary: true,
    });
    expect(r.reward_id).toMatch(/^[0-9a-f]{32}$/);
    expect(batch.unmatchedSpans).toBe(0);
    expect(normalizeSpans([s]).rewards[0]?.reward_id).toBe(r.reward_id);
  });

  it('reads the evaluation event as an OTLP log record', () => {
    const rec = log({
      spanId: '5000000000000002',
      eventName: 'gen_ai.evaluation.result',
      attributes: { ...evalAttrs, 'gen_ai.evaluation.score.value': '1', 'tracelight.reward.primary': 'true' },
      resource: { 'service.name': 'evaluator', 'tracelight.rollout.id': 'ro-3', 'tracelight.attempt.id': 'at-3' },
    });
    const batch = normalizeLogs([rec]);
    const r = only(batch.rewards);
    expect(r).toMatchObject({
      rollout_id: 'ro-3',
      attempt_id: 'at-3',
      trace_id: TRACE,
      span_id: '5000000000000002',
      name: 'Correctness',
      value: 1,
      label: 'correct',
      source: 'log-event',
      time_unix_nano: rec.timeUnixNano,
      primary: true,
    });
    expect(normalizeLogs([rec]).rewards[0]?.reward_id).toBe(r.reward_id);
    expect(batch.identities).toEqual([{ trace_id: TRACE, rollout_id: 'ro-3', attempt_id: 'at-3', time_unix_nano: rec.timeUnixNano }]);
  });

  it('gives distinct rewards distinct ids', () => {
    const a = span({ spanId: '5000000000000003', name: 'x', events: [{ name: 'gen_ai.evaluation.result', attributes: evalAttrs }] });
    const b = span({ spanId: '5000000000000004', name: 'x', events: [{ name: 'gen_ai.evaluation.result', attributes: evalAttrs }] });
    const ids = normalizeSpans([a, b]).rewards.map((r) => r.reward_id);
    expect(new Set(ids).size).toBe(2);
  });
});
