// Operation classification (normalize/operations.ts): which spans may become LLM calls, per convention, and the
// names of operations no table knows, which are counted and never turned into calls. The spans are shaped as
// agent frameworks emit them: wrappers that repeat their model request's gen_ai.* keys are the trap.

import { describe, expect, it } from 'vitest';
import { normalizeSpans } from '../../../normalize/index.js';
import { classifyOperation } from '../../../normalize/operations.js';
import { span } from '../../support/span-builders.js';

const messages = JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'What is (3 + 4) * 6?' }] }]);
const answer = JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: '42' }], finish_reason: 'stop' }]);

function kindOf(attributes: Record<string, string>, name = 'span'): string | null {
  return classifyOperation(span({ spanId: 'a1', name, attributes }), attributes)?.kind ?? null;
}

describe('operation classification', () => {
  it('OTel GenAI: inference operations, current and deprecated, and the agent, tool, embedding and memory ones', () => {
    for (const op of ['chat', 'text_completion', 'generate_content']) expect(kindOf({ 'gen_ai.operation.name': op }), op).toBe('inference');
    expect(kindOf({ 'gen_ai.operation.name': 'invoke_agent' })).toBe('agent');
    expect(kindOf({ 'gen_ai.operation.name': 'create_agent' })).toBe('agent');
    expect(kindOf({ 'gen_ai.operation.name': 'execute_tool' })).toBe('tool');
    expect(kindOf({ 'gen_ai.operation.name': 'invoke_workflow' })).toBe('chain');
    expect(kindOf({ 'gen_ai.operation.name': 'embeddings' })).toBe('embedding');
    expect(kindOf({ 'gen_ai.operation.name': 'retrieval' })).toBe('retrieval');
    expect(kindOf({ 'gen_ai.operation.name': 'search_memory' })).toBe('retrieval');
    expect(kindOf({ 'gen_ai.operation.name': 'execute_event_loop_cycle' })).toBe('step');
    expect(kindOf({ 'gen_ai.operation.name': 'summon_familiar' })).toBe('unknown');
  });

  it('OpenInference span kinds, OpenLLMetry request types and span kinds, Vercel AI SDK operation ids', () => {
    expect(kindOf({ 'openinference.span.kind': 'LLM' })).toBe('inference');
    for (const [k, want] of [
      ['AGENT', 'agent'],
      ['CHAIN', 'chain'],
      ['TOOL', 'tool'],
      ['EMBEDDING', 'embedding'],
      ['RETRIEVER', 'retrieval'],
      ['RERANKER', 'retrieval'],
      ['GUARDRAIL', 'step'],
      ['EVALUATOR', 'step'],
    ])
      expect(kindOf({ 'openinference.span.kind': k as string }), k).toBe(want);
    expect(kindOf({ 'llm.request.type': 'chat' })).toBe('inference');
    expect(kindOf({ 'llm.request.type': 'completion' })).toBe('inference');
    expect(kindOf({ 'gen_ai.request.type': 'embedding' })).toBe('embedding');
    expect(kindOf({ 'llm.request.type': 'rerank' })).toBe('retrieval');
    expect(kindOf({ 'traceloop.span.kind': 'workflow' })).toBe('chain');
    expect(kindOf({ 'traceloop.span.kind': 'task' })).toBe('step');
    expect(kindOf({ 'traceloop.span.kind': 'agent' })).toBe('agent');
    expect(kindOf({ 'traceloop.span.kind': 'tool' })).toBe('tool');
    expect(kindOf({ 'ai.operationId': 'ai.generateText.doGenerate' })).toBe('inference');
    expect(kindOf({ 'ai.operationId': 'ai.streamText.doStream' })).toBe('inference');
    expect(kindOf({ 'ai.operationId': 'ai.generateText' })).toBe('chain');
    expect(kindOf({ 'ai.operationId': 'ai.toolCall' })).toBe('tool');
    expect(kindOf({ 'ai.operationId': 'ai.embedMany.doEmbed' })).toBe('embedding');
    expect(kindOf({}, 'ai.streamObject.doStream')).toBe('inference');
    expect(kindOf({}, 'chat sim-small')).toBeNull();
  });

  it('the OTel operation decides first; an unknown one gives way only to another marker that knows an inference', () => {
    // A framework's agent span that an OpenInference processor marks LLM is still the agent span.
    expect(kindOf({ 'gen_ai.operation.name': 'invoke_agent', 'openinference.span.kind': 'LLM' })).toBe('agent');
    // A framework's own name in the OTel field beside a standard instrumentation's kind.
    expect(kindOf({ 'gen_ai.operation.name': 'model_request', 'openinference.span.kind': 'LLM' })).toBe('inference');
    expect(kindOf({ 'gen_ai.operation.name': 'model_request', 'openinference.span.kind': 'CHAIN' })).toBe('unknown');
  });

  it('agent, step and tool spans that repeat the model request keys are no calls: one call per model request', () => {
    const common = {
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'sim-small',
      'gen_ai.input.messages': messages,
      'gen_ai.output.messages': answer,
    };
    const batch = normalizeSpans([
      span({ spanId: 'a1', name: 'invoke_agent calc', attributes: { ...common, 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'calc' } }),
      span({
        spanId: 'a2',
        parentSpanId: 'a1',
        name: 'execute_event_loop_cycle',
        attributes: { ...common, 'gen_ai.operation.name': 'execute_event_loop_cycle' },
      }),
      span({
        spanId: 'a3',
        parentSpanId: 'a2',
        name: 'chat sim-small',
        attributes: { ...common, 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 12 },
      }),
      span({
        spanId: 'a4',
        parentSpanId: 'a2',
        name: 'execute_tool calculator',
        attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'calculator' },
      }),
      span({
        spanId: 'a5',
        parentSpanId: 'a1',
        name: 'LangGraph',
        attributes: { 'openinference.span.kind': 'CHAIN', 'gen_ai.request.model': 'sim-small', 'gen_ai.system': 'openai' },
      }),
      span({
        spanId: 'a6',
        parentSpanId: 'a1',
        name: 'ai.generateText',
        attributes: { 'ai.operationId': 'ai.generateText', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'sim-small' },
      }),
    ]);
    expect(batch.calls.map((c) => c.span_id)).toEqual(['a3']);
    expect(batch.calls[0]?.input_tokens).toBe(12);
    expect(batch.unknownOperations).toBeUndefined();
  });

  it('an operation no table knows is never a call and is counted by marker and name', () => {
    const attrs = {
      'gen_ai.operation.name': 'summon_familiar',
      'gen_ai.request.model': 'sim-small',
      'gen_ai.input.messages': messages,
      'gen_ai.output.messages': answer,
    };
    const batch = normalizeSpans([
      span({ spanId: 'b1', name: 'summon', attributes: attrs }),
      span({ spanId: 'b2', name: 'summon', attributes: attrs }),
      span({ spanId: 'b3', name: 'odd', attributes: { 'openinference.span.kind': 'PORTAL', 'llm.model_name': 'sim-small' } }),
      span({ spanId: 'b4', name: 'x'.repeat(10), attributes: { 'gen_ai.operation.name': 'y'.repeat(500) } }),
    ]);
    expect(batch.calls).toEqual([]);
    expect(batch.unknownOperations).toEqual([
      { source: 'gen_ai.operation.name', operation: 'summon_familiar', spans: 2 },
      { source: 'openinference.span.kind', operation: 'PORTAL', spans: 1 },
      { source: 'gen_ai.operation.name', operation: 'y'.repeat(80), spans: 1 },
    ]);
    expect(batch.unmatchedSpans).toBe(4);
  });

  it('spans with no operation marker are still judged by their content keys (deprecated gen_ai.system + model)', () => {
    const batch = normalizeSpans([span({ spanId: 'c1', name: 'openai.chat', attributes: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o' } })]);
    expect(batch.calls.map((c) => c.request_model)).toEqual(['gpt-4o']);
  });
});

describe('wrapper and placeholder call spans', () => {
  const llm = (spanId: string, parentSpanId: string, name: string, extra: Record<string, string | number> = {}) =>
    span({ spanId, parentSpanId, name, attributes: { 'openinference.span.kind': 'LLM', 'llm.model_name': 'sim-small', ...extra } });

  it('of two nested call spans, only the innermost is the request (LlamaIndex traces achat twice)', () => {
    const batch = normalizeSpans([
      llm('w1', 'r0', 'OpenAILike.achat', { 'input.value': '{"messages": []}' }),
      llm('w2', 'w1', 'OpenAILike.achat', {
        'llm.input_messages.0.message.role': 'user',
        'llm.input_messages.0.message.content': 'What is 2 + 2?',
        'llm.output_messages.0.message.role': 'assistant',
        'llm.output_messages.0.message.content': '4',
        'llm.token_count.prompt': 9,
      }),
    ]);
    expect(batch.calls.map((c) => c.span_id)).toEqual(['w2']);
  });

  it("a framework's tool-preparation method marked as an LLM span is no call, by its span name", () => {
    const batch = normalizeSpans([llm('p1', 'r0', 'OpenAILike._prepare_chat_with_tools', { 'input.value': '{"tools": []}', 'output.value': '{}' })]);
    expect(batch.calls).toEqual([]);
  });

  it('a call span that says nothing at all (no messages, usage, model or token ids) is no call', () => {
    const batch = normalizeSpans([span({ spanId: 'e1', name: 'chat', attributes: { 'gen_ai.operation.name': 'chat' } })]);
    expect(batch.calls).toEqual([]);
  });
});

describe('Haystack', () => {
  it("reads an Agent's model step: ChatMessage blocks, the reply's model, usage and finish reason", () => {
    const input = {
      messages: [
        { role: 'user', meta: {}, name: null, content: [{ text: 'What is 3 + 4?' }] },
        {
          role: 'assistant',
          meta: { finish_reason: 'tool_calls' },
          content: [{ tool_call: { tool_name: 'calculator', arguments: { expression: '3 + 4' }, id: 'call_1' } }],
        },
        { role: 'tool', meta: {}, content: [{ tool_call_result: { result: '7', origin: { tool_name: 'calculator', id: 'call_1' }, error: false } }] },
      ],
      tools: [{ type: 'haystack.tools.tool.Tool', data: { name: 'calculator' } }],
    };
    const output = {
      replies: [
        {
          role: 'assistant',
          meta: { model: 'sim-small', finish_reason: 'stop', usage: { prompt_tokens: 50, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 32 } } },
          content: [{ text: '7' }],
        },
      ],
    };
    const batch = normalizeSpans([
      span({
        spanId: 'h1',
        name: 'haystack.agent.step.llm',
        attributes: { 'haystack.agent.step.llm.input': JSON.stringify(input), 'haystack.agent.step.llm.output': JSON.stringify(output) },
      }),
    ]);
    const c = batch.calls[0];
    expect(c?.conventions).toEqual(['haystack']);
    expect(c?.input).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'What is 3 + 4?' }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'calculator', arguments: { expression: '3 + 4' } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: '7' }] },
    ]);
    expect(c?.output).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: '7' }], finish_reason: 'stop' }]);
    expect([c?.response_model, c?.input_tokens, c?.output_tokens, c?.cache_read_input_tokens]).toEqual(['sim-small', 50, 5, 32]);
    expect(c?.tools).toEqual([{ name: 'calculator' }]);
  });
});
