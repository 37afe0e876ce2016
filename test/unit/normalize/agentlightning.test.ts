// Agent Lightning traces as its AgentOps tracer and LiteLLM proxy write them: token ids and logprobs, tool calls
// on child spans, annotation rewards, and the raw request spans whose token ids belong to their parent call.

import { describe, expect, it } from 'vitest';
import { normalizeSpans } from '../../../normalize/index.js';
import { T0, TRACE, callFor, only, span, text } from '../../support/span-builders.js';

describe('Agent Lightning', () => {
  const aglResource = {
    'service.name': 'calc-agent',
    'agentlightning.rollout_id': 'ro-7f3a',
    'agentlightning.attempt_id': 'at-1',
    'agentlightning.span_sequence_id': 3,
  };
  const root = span({ spanId: '2000000000000001', name: 'rollout', kind: 1, resource: aglResource });
  // The AgentOps-instrumented OpenAI call, patched by agentlightning to carry vLLM token ids.
  const llm = span({
    spanId: '2000000000000002',
    parentSpanId: '2000000000000001',
    name: 'openai.chat.completion',
    start: T0 + 100n,
    end: T0 + 200n,
    resource: aglResource,
    attributes: {
      'gen_ai.system': 'OpenAI',
      'gen_ai.request.type': 'chat', // AgentOps' key for OpenLLMetry's llm.request.type
      'gen_ai.request.model': 'Qwen/Qwen2.5-1.5B-Instruct',
      'gen_ai.response.model': 'Qwen/Qwen2.5-1.5B-Instruct',
      'gen_ai.response.id': 'chatcmpl-agl-1',
      'gen_ai.prompt.0.role': 'user',
      'gen_ai.prompt.0.content': 'What is 2+3?',
      'gen_ai.completion.0.role': 'assistant',
      'gen_ai.completion.0.content': '5',
      'gen_ai.completion.0.finish_reason': 'stop',
      'gen_ai.usage.prompt_tokens': 4,
      'gen_ai.usage.completion_tokens': 2,
      prompt_token_ids: [3838, 374, 220, 17],
      response_token_ids: [20, 151645],
      'logprobs.content': JSON.stringify([
        { token: '5', logprob: -0.01, bytes: [53], top_logprobs: [] },
        { token: '<|im_end|>', logprob: -0.2, bytes: null, top_logprobs: [] },
      ]),
    },
  });
  const annotation = span({
    spanId: '2000000000000003',
    parentSpanId: '2000000000000001',
    name: 'agentlightning.annotation',
    kind: 1,
    start: T0 + 300n,
    resource: aglResource,
    attributes: {
      'agentlightning.reward.0.name': 'task_completion',
      'agentlightning.reward.0.value': 1.0,
      'agentlightning.reward.1.name': 'efficiency',
      'agentlightning.reward.1.value': 0.75,
    },
  });

  it('reads token ids and logprobs on the OpenLLMetry-shaped call, identity from the resource', () => {
    const batch = normalizeSpans([root, llm, annotation]);
    const c = callFor(batch, '2000000000000002');
    expect(c).toMatchObject({
      rollout_id: 'ro-7f3a',
      attempt_id: 'at-1',
      provider: 'OpenAI',
      request_model: 'Qwen/Qwen2.5-1.5B-Instruct',
      prompt_token_ids: [3838, 374, 220, 17],
      response_token_ids: [20, 151645],
      response_logprobs: [-0.01, -0.2],
      input_tokens: 4,
      output_tokens: 2,
      agent: 'calc-agent',
      conventions: ['openllmetry', 'agentlightning'],
    });
    expect(c.input).toEqual([text('user', 'What is 2+3?')]);
    expect(c.output).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: '5' }], finish_reason: 'stop' }]);
    expect(batch.identities).toEqual([{ trace_id: TRACE, rollout_id: 'ro-7f3a', attempt_id: 'at-1', time_unix_nano: T0 }]);
    expect(batch.unmatchedSpans).toBe(1); // the rollout root: identity only
  });

  it('puts the tool calls AgentOps records as tool_call.<name> child spans into the call output', () => {
    // AgentOps 0.4.21: the LLM span keeps only the completion role and finish reason; each returned tool call is a
    // child span with tool.name / tool.parameters / tool.call.id.
    const toolLlm = span({
      spanId: '2000000000000012',
      parentSpanId: '2000000000000001',
      name: 'openai.chat.completion',
      resource: aglResource,
      attributes: {
        'gen_ai.request.type': 'chat',
        'gen_ai.system': 'OpenAI',
        'gen_ai.request.model': 'sim-small',
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': 'What is (3 + 4) * 6?',
        'gen_ai.request.functions.0.name': 'calculator',
        'gen_ai.completion.0.finish_reason': 'tool_calls',
        'gen_ai.completion.0.role': 'assistant',
      },
    });
    const toolSpan = (id: string, callId: string, args: string) =>
      span({
        spanId: id,
        parentSpanId: '2000000000000012',
        name: 'tool_call.calculator',
        kind: 1,
        scope: 'agentops.instrumentation.providers.openai.wrappers.chat',
        resource: aglResource,
        attributes: { 'tool.name': 'calculator', 'tool.parameters': args, 'tool.call.id': callId, 'tool.call.type': 'function' },
      });
    const batch = normalizeSpans([
      toolSpan('2000000000000013', 'call_a', '{"expression":"3 + 4"}'),
      toolSpan('2000000000000014', 'call_b', '{"expression":"1 + 1"}'),
      toolLlm,
    ]);
    expect(batch.calls).toHaveLength(1);
    expect(only(batch.calls).output).toEqual([
      {
        role: 'assistant',
        parts: [
          { type: 'tool_call', id: 'call_a', name: 'calculator', arguments: { expression: '3 + 4' } },
          { type: 'tool_call', id: 'call_b', name: 'calculator', arguments: { expression: '1 + 1' } },
        ],
        finish_reason: 'tool_call',
      },
    ]);
    expect(only(batch.calls).operation).toBe('chat');
    expect(batch.unmatchedSpans).toBe(0);
    // Without its parent in the batch, a tool-call span is nothing on its own.
    expect(normalizeSpans([toolSpan('2000000000000015', 'call_c', '{}')])).toMatchObject({ calls: [], unmatchedSpans: 1 });
  });

  it('turns an annotation span into one reward per dimension, pointing at the span it was emitted under', () => {
    const batch = normalizeSpans([root, llm, annotation]);
    expect(batch.rewards).toHaveLength(2);
    const [primary, efficiency] = batch.rewards;
    expect(primary).toMatchObject({
      rollout_id: 'ro-7f3a',
      attempt_id: 'at-1',
      trace_id: TRACE,
      span_id: '2000000000000001',
      name: 'task_completion',
      value: 1,
      label: '',
      explanation: '',
      source: 'agentlightning',
      time_unix_nano: T0 + 300n,
      primary: true,
    });
    expect(efficiency).toMatchObject({ name: 'efficiency', value: 0.75, primary: false, span_id: '2000000000000001' });
    expect(primary?.reward_id).toMatch(/^[0-9a-f]{32}$/);
    expect(primary?.reward_id).not.toBe(efficiency?.reward_id);
    // Deterministic: the same batch again gives the same ids.
    expect(normalizeSpans([annotation]).rewards.map((r) => r.reward_id)).toEqual(batch.rewards.map((r) => r.reward_id));
  });

  it('follows explicit links (span_id, gen_ai.response.id) to the judged span', () => {
    const bySpanId = span({
      spanId: '2000000000000004',
      parentSpanId: '2000000000000001',
      name: 'agentlightning.annotation',
      attributes: {
        'agentlightning.reward.0.name': 'primary',
        'agentlightning.reward.0.value': 0.5,
        'agentlightning.link.0.key_match': 'span_id',
        'agentlightning.link.0.value_match': '2000000000000002',
      },
    });
    const byResponse = span({
      spanId: '2000000000000005',
      parentSpanId: '2000000000000001',
      name: 'agentlightning.annotation',
      attributes: {
        'agentlightning.reward.0.name': 'primary',
        'agentlightning.reward.0.value': 0.25,
        'agentlightning.link.0.key_match': 'gen_ai.response.id',
        'agentlightning.link.0.value_match': 'chatcmpl-agl-1',
      },
    });
    const batch = normalizeSpans([llm, bySpanId, byResponse]);
    expect(batch.rewards.map((r) => [r.value, r.span_id])).toEqual([
      [0.5, '2000000000000002'],
      [0.25, '2000000000000002'],
    ]);
  });

  it('reads the older reward forms: agentlightning.reward span with `reward`, and AgentOps task output', () => {
    const legacy = span({ spanId: '2000000000000006', parentSpanId: '2000000000000001', name: 'agentlightning.reward', attributes: { reward: 0.9 } });
    const agentops = span({
      spanId: '2000000000000007',
      parentSpanId: '2000000000000001',
      name: 'agentops_reward_operation.task',
      attributes: { 'agentops.task.output': '{"type": "reward", "value": 0.3}' },
    });
    const batch = normalizeSpans([legacy, agentops]);
    expect(batch.rewards.map((r) => [r.name, r.value, r.primary, r.span_id])).toEqual([
      ['primary', 0.9, true, '2000000000000001'],
      ['primary', 0.3, true, '2000000000000001'],
    ]);
    expect(batch.unmatchedSpans).toBe(0);
  });

  it('merges LiteLLM raw_gen_ai_request token ids into the litellm_request call (LLM proxy)', () => {
    const request = span({
      spanId: '3000000000000001',
      name: 'litellm_request',
      attributes: {
        'gen_ai.system': 'hosted_vllm',
        'llm.request.type': 'completion',
        'gen_ai.request.model': 'hosted_vllm/Qwen2.5',
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': 'Hi',
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.content': 'Hello',
        'gen_ai.completion.0.finish_reason': 'stop',
        'metadata.requester_custom_headers': "{'x-rollout-id': 'ro-1', 'x-attempt-id': 'at-1', 'x-sequence-id': '0'}",
      },
    });
    const raw = span({
      spanId: '3000000000000002',
      parentSpanId: '3000000000000001',
      name: 'raw_gen_ai_request',
      attributes: {
        'llm.hosted_vllm.model': 'Qwen2.5',
        'llm.hosted_vllm.messages': "[{'role': 'user', 'content': 'Hi'}]",
        'llm.hosted_vllm.prompt_token_ids': '[9707, 0]',
        'llm.hosted_vllm.response_token_ids': '[[9707, 151645]]',
      },
    });
    const batch = normalizeSpans([request, raw]);
    const c = only(batch.calls);
    expect(c.span_id).toBe('3000000000000001');
    expect(c.prompt_token_ids).toEqual([9707, 0]);
    expect(c.response_token_ids).toEqual([9707, 151645]);
    expect(batch.unmatchedSpans).toBe(0);

    // Without its parent in the batch, the raw span keeps its token ids as a call of its own.
    const alone = only(normalizeSpans([raw]).calls);
    expect(alone).toMatchObject({ span_id: '3000000000000002', prompt_token_ids: [9707, 0], conventions: ['agentlightning'] });
  });
});
