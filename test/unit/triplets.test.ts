import { describe, expect, it } from 'vitest';
import { assembleTriplets, buildRollouts, primaryReward } from '../../training/triplets.js';
import type { StoredCall, StoredContent, StoredReward } from '../../store/training-queries.js';

const T = 'a'.repeat(32);

function call(i: number, over: Partial<StoredCall> = {}): StoredCall {
  return {
    trace_id: T,
    span_id: `${i}`.padStart(16, '0'),
    parent_span_id: 'f'.repeat(16),
    rollout_id: '',
    attempt_id: '',
    conversation_id: '',
    start_ns: `${1_000 + i * 100}`,
    end_ns: `${1_050 + i * 100}`,
    agent: 'solver',
    service: 'svc',
    provider: 'openai',
    operation: 'chat',
    request_model: 'gpt',
    response_model: 'gpt-1',
    input: [{ role: 'user', parts: [{ type: 'text', content: `q${i}` }] }],
    output: [{ role: 'assistant', parts: [{ type: 'text', content: `a${i}` }], finish_reason: 'stop' }],
    finish_reasons: ['stop'],
    input_tokens: 3,
    output_tokens: 4,
    prompt_token_ids: [],
    response_token_ids: [],
    response_logprobs: [],
    resources: {},
    tools: [],
    status: 'ok',
    error: '',
    ...over,
  };
}

function reward(id: string, value: number, time: number, over: Partial<StoredReward> = {}): StoredReward {
  return {
    reward_id: id,
    rollout_id: '',
    attempt_id: '',
    trace_id: T,
    span_id: '',
    name: 'score',
    value,
    label: '',
    explanation: '',
    source: 'span-event',
    is_primary: false,
    time_ns: `${time}`,
    ...over,
  };
}

describe('triplet assembly', () => {
  const calls = [call(0), call(1), call(2)];

  it('final: the rollout primary final reward on every call, in call order', () => {
    const [r] = buildRollouts(calls, [], [], [reward('w1', 0.2, 1_500), reward('w2', 1, 9_000)]);
    const ts = assembleTriplets(r!, { policy: 'final' });
    expect(ts.map((t) => [t.step, t.span_id, t.reward])).toEqual([
      [0, calls[0]!.span_id, 1],
      [1, calls[1]!.span_id, 1],
      [2, calls[2]!.span_id, 1],
    ]);
    expect(ts[0]!.rollout_id).toBe(T);
    expect(ts[0]!.response).toEqual({ role: 'assistant', parts: [{ type: 'text', content: 'a0' }], finish_reason: 'stop' });
  });

  it('last-call: each reward goes to the latest call that ended before it and has none yet', () => {
    const [r] = buildRollouts(calls, [], [], [reward('w1', 0.5, 1_160), reward('w2', 0.7, 1_170), reward('w3', 1, 5_000)]);
    const ts = assembleTriplets(r!, { policy: 'last-call' });
    // w1 (t=1160) → call 1 (ended 1150); w2 (t=1170) → call 0 (call 1 taken); w3 → call 2.
    expect(ts.map((t) => t.reward)).toEqual([0.7, 0.5, 1]);
  });

  it('per-span: only rewards attached to the call span itself', () => {
    const [r] = buildRollouts(calls, [], [], [reward('w1', 0.3, 2_000, { span_id: calls[1]!.span_id }), reward('w2', 1, 9_000)]);
    expect(assembleTriplets(r!, { policy: 'per-span' }).map((t) => t.reward)).toEqual([null, 0.3, null]);
  });

  it('primary reward: the marked one, else the one judging the rollout as a whole', () => {
    const [r] = buildRollouts(
      calls,
      [],
      [],
      [reward('w1', 0.3, 9_500, { span_id: calls[2]!.span_id, name: 'step' }), reward('w2', 0.9, 9_000, { name: 'task' })],
    );
    expect(primaryReward(r!)?.name).toBe('task');
    const [m] = buildRollouts(calls, [], [], [reward('w1', 0.3, 9_500, { name: 'step', is_primary: true }), reward('w2', 0.9, 9_000, { name: 'task' })]);
    expect(primaryReward(m!)?.name).toBe('step');
    expect(assembleTriplets(m!, { policy: 'final' })[0]!.rewards).toEqual({ task: 0.9, step: 0.3 });
  });

  it('resolves rollout identity: declared id, then the trace identity, then conversation, then trace', () => {
    const other = 'b'.repeat(32);
    const rs = buildRollouts(
      [
        call(0, { rollout_id: 'r-declared' }),
        call(1, { trace_id: other }),
        call(2, { trace_id: 'c'.repeat(32), conversation_id: 'conv-1' }),
        call(3, { trace_id: 'd'.repeat(32) }),
      ],
      [],
      [{ trace_id: other, rollout_id: 'r-from-root', attempt_id: 'att-1' }],
      [reward('w', 1, 9_000, { trace_id: other })],
    );
    const byId = Object.fromEntries(rs.map((r) => [r.rollout_id, r]));
    expect(Object.keys(byId).sort()).toEqual(['conv-1', 'd'.repeat(32), 'r-declared', 'r-from-root']);
    expect(byId['r-from-root']!.attempt_ids).toEqual(['att-1']);
    expect(byId['r-from-root']!.rewards.map((w) => w.value)).toEqual([1]);
  });

  it('fills a call from content that arrived as log events, in order', () => {
    const bare = call(0, { input: [], output: [] });
    const contents: StoredContent[] = [
      { trace_id: T, span_id: bare.span_id, time_ns: '1001', seq: 0, input: [{ role: 'system', parts: [{ type: 'text', content: 'be brief' }] }], output: [] },
      { trace_id: T, span_id: bare.span_id, time_ns: '1001', seq: 1, input: [{ role: 'user', parts: [{ type: 'text', content: 'hi' }] }], output: [] },
      { trace_id: T, span_id: bare.span_id, time_ns: '1040', seq: 0, input: [], output: [{ role: 'assistant', parts: [{ type: 'text', content: 'hello' }] }] },
    ];
    const [r] = buildRollouts([bare], contents, [], []);
    const [t] = assembleTriplets(r!, { policy: 'final' });
    expect(t!.prompt.map((m) => m.role)).toEqual(['system', 'user']);
    expect(t!.response?.parts).toEqual([{ type: 'text', content: 'hello' }]);
    expect(t!.reward).toBeNull();
  });

  it('joins a span that carries only system instructions with the messages logged for it', () => {
    // @opentelemetry/instrumentation-openai, Responses API: `instructions` on the span, the input items in a log record.
    const sys = { role: 'system', parts: [{ type: 'text', content: 'be brief' }] };
    const user = { role: 'user', parts: [{ type: 'text', content: 'hi' }] };
    const bare = call(0, { input: [sys], output: [] });
    const logged = (input: StoredContent['input']): StoredContent[] => [
      { trace_id: T, span_id: bare.span_id, time_ns: '1001', seq: 0, input, output: [] },
      { trace_id: T, span_id: bare.span_id, time_ns: '1040', seq: 1, input: [], output: [{ role: 'assistant', parts: [{ type: 'text', content: 'hello' }] }] },
    ];
    const prompt = (contents: StoredContent[], c = bare) => assembleTriplets(buildRollouts([c], contents, [], [])[0]!, { policy: 'final' })[0]!.prompt;
    expect(prompt(logged([sys, user]))).toEqual([sys, user]); // the log repeats the system message: kept once
    expect(prompt(logged([user]))).toEqual([sys, user]);
    // A span that carries the conversation itself keeps it.
    expect(prompt(logged([user]), call(0, { input: [sys, { role: 'user', parts: [{ type: 'text', content: 'own' }] }] }))[1]!.parts).toEqual([
      { type: 'text', content: 'own' },
    ]);
  });

  it('filters calls by agent name', () => {
    const [r] = buildRollouts([call(0, { agent: 'planner' }), call(1, { agent: 'solver' })], [], [], [reward('w', 1, 9_000)]);
    expect(assembleTriplets(r!, { policy: 'final', agent: (a) => a.startsWith('solv') }).map((t) => [t.agent, t.step])).toEqual([['solver', 0]]);
  });
});

describe('tool calls across a rollout', () => {
  const ask = { role: 'user', parts: [{ type: 'text', content: 'What is 3 + 4?' }] };
  const callPart = (id?: string) => ({ type: 'tool_call', ...(id ? { id } : {}), name: 'calculator', arguments: { expression: '3 + 4' } });
  const result = { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: '7' }] };

  it('a tool call recorded without its id gets the id the same call has elsewhere (LiteLLM)', () => {
    const first = call(1, { input: [ask], output: [{ role: 'assistant', parts: [callPart()], finish_reason: 'tool_call' }], finish_reasons: ['tool_call'] });
    const second = call(2, {
      input: [ask, { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'calculator', arguments: { expression: '3 + 4' } }] }, result],
    });
    const [r] = buildRollouts([first, second], [], [], []);
    const ts = assembleTriplets(r!, { policy: 'final' });
    expect(ts[0]!.response!.parts).toEqual([callPart('call_1')]);
  });

  it("a history that kept the tool's result but lost the turn that asked for it gets the turn back (OpenLIT)", () => {
    const first = call(1, {
      input: [ask],
      output: [{ role: 'assistant', parts: [callPart('call_1')], finish_reason: 'tool_call' }],
      finish_reasons: ['tool_call'],
    });
    const second = call(2, { input: [ask, result] });
    const [r] = buildRollouts([first, second], [], [], []);
    const ts = assembleTriplets(r!, { policy: 'final' });
    expect(ts[1]!.prompt).toEqual([ask, { role: 'assistant', parts: [callPart('call_1')] }, result]);
    // A history that has the turn is left as it is.
    const third = call(3, { input: [ask, { role: 'assistant', parts: [callPart('call_1')] }, result] });
    const [r2] = buildRollouts([first, third], [], [], []);
    expect(assembleTriplets(r2!, { policy: 'final' })[1]!.prompt).toHaveLength(3);
  });

  it('a response that ends in tool calls finished with tool_call, though its span says stop (Gemini)', () => {
    const c = call(1, { output: [{ role: 'assistant', parts: [callPart('call_1')] }], finish_reasons: ['stop'] });
    const [r] = buildRollouts([c], [], [], []);
    expect(assembleTriplets(r!, { policy: 'final' })[0]!.finish_reason).toBe('tool_call');
  });
});
