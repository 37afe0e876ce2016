// Rollout identity, resource versions, conversation ids and agent names: what ties a call to its rollout,
// whichever convention carried the call.

import { describe, expect, it } from 'vitest';
import type { SpanRecord } from '../../../schemas/telemetry.js';
import { normalizeSpans } from '../../../normalize/index.js';
import { T0, TRACE, callFor, only, span } from '../../support/span-builders.js';

describe('identity', () => {
  const chat = (spanId: string, attributes: Record<string, string>, resource: Record<string, string>): SpanRecord =>
    span({
      spanId,
      name: 'chat m',
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', ...attributes },
      resource: { 'service.name': 'svc', ...resource },
    });

  it('prefers tracelight span attributes, then resource, then Agent Lightning span, then resource', () => {
    const cases: Array<[Record<string, string>, Record<string, string>, [string, string]]> = [
      [
        { 'tracelight.rollout.id': 'tl-span', 'tracelight.attempt.id': 'tl-span-a', 'agentlightning.rollout_id': 'agl-span' },
        { 'tracelight.rollout.id': 'tl-res', 'tracelight.attempt.id': 'tl-res-a' },
        ['tl-span', 'tl-span-a'],
      ],
      [{ 'agentlightning.rollout_id': 'agl-span' }, { 'tracelight.rollout.id': 'tl-res', 'tracelight.attempt.id': 'tl-res-a' }, ['tl-res', 'tl-res-a']],
      [
        { 'agentlightning.rollout_id': 'agl-span', 'agentlightning.attempt_id': 'agl-span-a' },
        { 'agentlightning.rollout_id': 'agl-res', 'agentlightning.attempt_id': 'agl-res-a' },
        ['agl-span', 'agl-span-a'],
      ],
      [{}, { 'agentlightning.rollout_id': 'agl-res', 'agentlightning.attempt_id': 'agl-res-a' }, ['agl-res', 'agl-res-a']],
      // The attempt comes with its rollout's namespace, span first then resource.
      [{ 'tracelight.rollout.id': 'tl-span' }, { 'tracelight.attempt.id': 'tl-res-a', 'agentlightning.attempt_id': 'x' }, ['tl-span', 'tl-res-a']],
      // Agent Lightning resets its resource ids to '' between rollouts: empty means absent.
      [{}, { 'agentlightning.rollout_id': '', 'agentlightning.attempt_id': '' }, ['', '']],
    ];
    for (const [i, [attrs, resource, expected]] of cases.entries()) {
      const c = only(normalizeSpans([chat(`600000000000000${i}`, attrs, resource)]).calls);
      expect([c.rollout_id, c.attempt_id], `case ${i}`).toEqual(expected);
    }
  });

  it('emits one TraceIdentity per trace and rollout from any span, GenAI or not', () => {
    const other = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
    const spans = [
      span({
        spanId: '7000000000000001',
        name: 'POST /task',
        start: T0 + 50n,
        attributes: { 'tracelight.rollout.id': 'ro-1', 'tracelight.attempt.id': 'a-1' },
      }),
      span({ spanId: '7000000000000002', name: 'db.query', start: T0 + 10n, attributes: { 'tracelight.rollout.id': 'ro-1', 'tracelight.attempt.id': 'a-1' } }),
      span({ traceId: other, spanId: '7000000000000003', name: 'work', resource: { 'agentlightning.rollout_id': 'ro-2', 'agentlightning.attempt_id': 'a-9' } }),
      span({ spanId: '7000000000000004', name: 'no identity' }),
    ];
    const batch = normalizeSpans(spans);
    expect(batch.identities).toEqual([
      { trace_id: TRACE, rollout_id: 'ro-1', attempt_id: 'a-1', time_unix_nano: T0 + 10n },
      { trace_id: other, rollout_id: 'ro-2', attempt_id: 'a-9', time_unix_nano: T0 },
    ]);
    expect(batch.calls).toEqual([]);
    expect(batch.unmatchedSpans).toBe(4);
  });

  it('keeps the resource versions that spans other than calls declare, as the trace’s (once per version, earliest time)', () => {
    const spans = [
      span({ spanId: '7100000000000001', name: 'tracelight.rollout', start: T0 + 5n, attributes: { 'tracelight.resource.p.version': '3' } }),
      span({
        spanId: '7100000000000002',
        name: 'retry',
        start: T0 + 1n,
        attributes: { 'tracelight.resource.p.version': '3', 'tracelight.resource.q.version': '1' },
      }),
      // A call's own version stays the call's: it says nothing about the other calls of the trace.
      chat('7100000000000003', { 'tracelight.resource.p.version': '9' }, {}),
    ];
    const batch = normalizeSpans(spans);
    expect(batch.traceResources).toEqual([
      { trace_id: TRACE, name: 'p', version: '3', time_unix_nano: T0 + 1n },
      { trace_id: TRACE, name: 'q', version: '1', time_unix_nano: T0 + 1n },
    ]);
    expect(only(batch.calls).resources).toEqual({ p: '9' });
  });

  it('reads resource versions (span over resource), conversation id and the agent name', () => {
    const parent = span({
      spanId: '8000000000000001',
      name: 'invoke_agent planner',
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'planner' },
    });
    const middle = span({ spanId: '8000000000000002', parentSpanId: '8000000000000001', name: 'step' });
    const c1 = span({
      spanId: '8000000000000003',
      parentSpanId: '8000000000000002',
      name: 'chat m',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'm',
        'session.id': 'sess-1',
        'tracelight.resource.system_prompt.version': '7',
        'tracelight.resource.model.endpoint.version': 'v2',
      },
      resource: { 'service.name': 'svc', 'tracelight.resource.system_prompt.version': '3', 'tracelight.resource.tools.version': '1' },
    });
    const c2 = chat('8000000000000004', { 'gen_ai.agent.name': 'critic', 'gen_ai.conversation.id': 'conv-2', 'session.id': 'sess-2' }, {});
    const orphan = chat('8000000000000005', {}, {});
    const batch = normalizeSpans([parent, middle, c1, c2, orphan]);
    const a = callFor(batch, '8000000000000003');
    expect(a.resources).toEqual({ system_prompt: '7', tools: '1', 'model.endpoint': 'v2' });
    expect(a.conversation_id).toBe('sess-1');
    expect(a.agent).toBe('planner'); // nearest ancestor that declares one
    expect(a.service).toBe('svc');
    const b = callFor(batch, '8000000000000004');
    expect([b.agent, b.conversation_id]).toEqual(['critic', 'conv-2']);
    expect(callFor(batch, '8000000000000005').agent).toBe('svc'); // falls back to service.name
  });

  it('names the agent after an OpenInference AGENT span (graph.node.id, OpenAI Agents SDK bridge)', () => {
    const agent = span({
      spanId: '9000000000000001',
      name: 'calculator-agent',
      kind: 1,
      attributes: { 'openinference.span.kind': 'AGENT', 'graph.node.id': 'calculator-agent' },
    });
    const turn = span({
      spanId: '9000000000000002',
      parentSpanId: '9000000000000001',
      name: 'turn',
      kind: 1,
      attributes: { 'openinference.span.kind': 'CHAIN' },
    });
    const llm = span({
      spanId: '9000000000000003',
      parentSpanId: '9000000000000002',
      name: 'response',
      attributes: {
        'openinference.span.kind': 'LLM',
        'llm.model_name': 'm',
        'llm.input_messages.0.message.role': 'user',
        'llm.input_messages.0.message.content': 'hi',
      },
    });
    const tool = span({ spanId: '9000000000000004', name: 'calculator', attributes: { 'openinference.span.kind': 'TOOL', 'graph.node.id': 'not-an-agent' } });
    const batch = normalizeSpans([agent, turn, llm, tool]);
    expect(only(batch.calls).agent).toBe('calculator-agent');
  });
});
