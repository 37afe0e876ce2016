// Vercel AI SDK spans, v4 to the GenAI-convention releases: only provider requests are calls, never the
// wrappers that repeat their content and summed usage.

import { describe, expect, it } from 'vitest';
import { normalizeSpans } from '../../../normalize/index.js';
import { T0, callFor, only, span, text } from '../../support/span-builders.js';

describe('Vercel AI SDK', () => {
  const base = {
    'ai.model.id': 'gpt-4o-mini',
    'ai.model.provider': 'openai.chat',
    'ai.settings.maxRetries': 2,
    'ai.telemetry.functionId': 'weather-chat',
    'ai.telemetry.metadata.userId': 'u-7',
    'resource.name': 'weather-chat',
  };
  // generateText with one tool round trip (AI SDK 5): wrapper span, two doGenerate spans, one ai.toolCall span.
  const wrapper = span({
    spanId: '1000000000000001',
    name: 'ai.generateText',
    kind: 1,
    scope: 'ai',
    attributes: {
      ...base,
      'operation.name': 'ai.generateText weather-chat',
      'ai.operationId': 'ai.generateText',
      'ai.prompt': JSON.stringify({ system: 'You are a weather bot.', prompt: 'Weather in Paris?' }),
      'ai.response.text': 'Rainy, 57°F.',
      'ai.response.finishReason': 'stop',
      'ai.usage.inputTokens': 150,
      'ai.usage.outputTokens': 20,
    },
  });
  const step1 = span({
    spanId: '1000000000000002',
    parentSpanId: '1000000000000001',
    name: 'ai.generateText.doGenerate',
    scope: 'ai',
    start: T0 + 10n,
    attributes: {
      ...base,
      'operation.name': 'ai.generateText.doGenerate weather-chat',
      'ai.operationId': 'ai.generateText.doGenerate',
      'ai.prompt.messages': JSON.stringify([
        { role: 'system', content: 'You are a weather bot.' },
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
      ]),
      'ai.prompt.tools': [JSON.stringify({ type: 'function', name: 'weather', inputSchema: { type: 'object' } })],
      'ai.prompt.toolChoice': '{"type":"auto"}',
      'ai.response.finishReason': 'tool-calls',
      'ai.response.toolCalls': JSON.stringify([{ toolCallId: 'call_w1', toolName: 'weather', input: '{"city":"Paris"}' }]),
      'ai.response.id': 'resp_1',
      'ai.response.model': 'gpt-4o-mini-2024-07-18',
      'ai.usage.inputTokens': 60,
      'ai.usage.outputTokens': 12,
      'gen_ai.system': 'openai.chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.finish_reasons': ['tool-calls'],
      'gen_ai.response.id': 'resp_1',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': 60,
      'gen_ai.usage.output_tokens': 12,
    },
  });
  const toolCall = span({
    spanId: '1000000000000003',
    parentSpanId: '1000000000000001',
    name: 'ai.toolCall',
    scope: 'ai',
    attributes: {
      'ai.operationId': 'ai.toolCall',
      'ai.toolCall.name': 'weather',
      'ai.toolCall.id': 'call_w1',
      'ai.toolCall.args': '{"city":"Paris"}',
      'ai.toolCall.result': '{"temp":57}',
    },
  });
  const step2 = span({
    spanId: '1000000000000004',
    parentSpanId: '1000000000000001',
    name: 'ai.generateText.doGenerate',
    scope: 'ai',
    start: T0 + 20n,
    attributes: {
      ...base,
      'ai.operationId': 'ai.generateText.doGenerate',
      'ai.prompt.messages': JSON.stringify([
        { role: 'system', content: 'You are a weather bot.' },
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
        { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'call_w1', toolName: 'weather', input: { city: 'Paris' } }] },
        {
          role: 'tool',
          content: [{ type: 'tool-result', toolCallId: 'call_w1', toolName: 'weather', output: { type: 'json', value: { temp: 57 } } }],
        },
      ]),
      'ai.response.finishReason': 'stop',
      'ai.response.text': 'Rainy, 57°F.',
      'ai.usage.inputTokens': 90,
      'ai.usage.outputTokens': 8,
      'gen_ai.system': 'openai.chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 90,
      'gen_ai.usage.output_tokens': 8,
    },
  });

  it('makes one call per provider request, none for the wrapper or tool spans', () => {
    const batch = normalizeSpans([wrapper, step1, toolCall, step2]);
    expect(batch.calls.map((c) => c.span_id)).toEqual(['1000000000000002', '1000000000000004']);
    expect(batch.unmatchedSpans).toBe(2);
    const first = callFor(batch, '1000000000000002');
    expect(first).toMatchObject({
      provider: 'openai.chat',
      operation: 'chat',
      request_model: 'gpt-4o-mini',
      response_model: 'gpt-4o-mini-2024-07-18',
      input_tokens: 60,
      output_tokens: 12,
      finish_reasons: ['tool_call'],
      conventions: ['vercel-ai'],
      agent: 'test-agent',
    });
    expect(first.input).toEqual([text('system', 'You are a weather bot.'), text('user', 'Weather in Paris?')]);
    expect(first.output).toEqual([
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_w1', name: 'weather', arguments: { city: 'Paris' } }], finish_reason: 'tool_call' },
    ]);
    expect(first.tools).toEqual([{ type: 'function', name: 'weather', inputSchema: { type: 'object' } }]);

    const second = callFor(batch, '1000000000000004');
    expect(second.input.slice(2)).toEqual([
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_w1', name: 'weather', arguments: { city: 'Paris' } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_w1', response: { temp: 57 } }] },
    ]);
    expect(second.output).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Rainy, 57°F.' }], finish_reason: 'stop' }]);
    expect([second.input_tokens, second.output_tokens]).toEqual([90, 8]);
  });

  it('reads an AI SDK 4 streamText doStream span (promptTokens / completionTokens, args / result)', () => {
    const s = span({
      spanId: '1000000000000005',
      name: 'ai.streamText.doStream',
      scope: 'ai',
      attributes: {
        'ai.operationId': 'ai.streamText.doStream',
        'ai.model.id': 'claude-3-5-sonnet-latest',
        'ai.model.provider': 'anthropic.messages',
        'ai.prompt.format': 'messages',
        'ai.prompt.messages': JSON.stringify([
          { role: 'user', content: [{ type: 'text', text: 'Add 2 and 3' }] },
          { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 't1', toolName: 'add', args: { a: 2, b: 3 } }] },
          { role: 'tool', content: [{ type: 'tool-result', toolCallId: 't1', toolName: 'add', result: 5 }] },
        ]),
        'ai.response.text': 'The sum is 5.',
        'ai.response.toolCalls': JSON.stringify([]),
        'ai.response.finishReason': 'stop',
        'ai.response.msToFirstChunk': 412.5,
        'ai.usage.promptTokens': 33,
        'ai.usage.completionTokens': 7,
        'gen_ai.system': 'anthropic.messages',
        'gen_ai.request.model': 'claude-3-5-sonnet-latest',
        'gen_ai.response.finish_reasons': ['stop'],
        'gen_ai.usage.prompt_tokens': 33,
        'gen_ai.usage.completion_tokens': 7,
      },
      events: [{ name: 'ai.stream.firstChunk', attributes: { 'ai.response.msToFirstChunk': 412.5 } }],
    });
    const c = only(normalizeSpans([s]).calls);
    expect(c.input).toEqual([
      text('user', 'Add 2 and 3'),
      { role: 'assistant', parts: [{ type: 'tool_call', id: 't1', name: 'add', arguments: { a: 2, b: 3 } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 't1', response: 5 }] },
    ]);
    expect(c.output).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'The sum is 5.' }], finish_reason: 'stop' }]);
    expect([c.input_tokens, c.output_tokens]).toEqual([33, 7]);
    expect(c.provider).toBe('anthropic.messages');
  });

  it('counts a span carrying both ai.* and OTel GenAI messages (GenAI-convention releases) once', () => {
    const v7Call = span({
      spanId: '1000000000000006',
      parentSpanId: '1000000000000007',
      name: 'chat gpt-4o',
      attributes: {
        'ai.operationId': 'ai.generateText.doGenerate',
        'ai.model.id': 'gpt-4o',
        'ai.model.provider': 'openai.responses',
        'ai.usage.inputTokens': 11,
        'ai.usage.outputTokens': 2,
        'ai.response.text': 'Hi.',
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 11,
        'gen_ai.usage.output_tokens': 2,
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'Hello' }] }]),
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Hi.' }], finish_reason: 'stop' }]),
      },
    });
    const v7Outer = span({
      spanId: '1000000000000007',
      name: 'invoke_agent',
      attributes: { 'ai.operationId': 'ai.generateText', 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.usage.input_tokens': 11 },
    });
    const batch = normalizeSpans([v7Outer, v7Call]);
    const c = only(batch.calls);
    expect(c.conventions).toEqual(['otel-genai', 'vercel-ai']);
    expect(c.provider).toBe('openai'); // gen_ai.provider.name wins over ai.model.provider
    expect(c.input).toEqual([text('user', 'Hello')]);
    expect(c.output).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Hi.' }], finish_reason: 'stop' }]);
    expect([c.input_tokens, c.output_tokens]).toEqual([11, 2]);
  });

  it('never takes the wrapper span for a call, even when it carries gen_ai.* attributes', () => {
    const w = span({
      spanId: '1000000000000008',
      name: 'ai.streamText',
      attributes: { 'ai.operationId': 'ai.streamText', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o', 'ai.prompt': '{"prompt":"x"}' },
    });
    const batch = normalizeSpans([w]);
    expect(batch.calls).toEqual([]);
    expect(batch.unmatchedSpans).toBe(1);
  });
});
