// OpenInference (Arize) LLM spans as openinference-instrumentation-openai emits them, flattened message lists
// and raw input/output values, and the span kinds that are not calls.

import { describe, expect, it } from 'vitest';
import { normalizeSpans } from '../../../normalize/index.js';
import { only, span, text } from '../../support/span-builders.js';

describe('OpenInference', () => {
  const request = {
    model: 'gpt-4o-mini',
    temperature: 0,
    messages: [{ role: 'user', content: 'Weather in Paris?' }],
  };
  // openinference-instrumentation-openai (Python) ChatCompletion span, second turn of a tool loop.
  const oiSpan = span({
    spanId: 'b0000000000000b1',
    name: 'ChatCompletion',
    kind: 1,
    scope: 'openinference.instrumentation.openai',
    attributes: {
      'openinference.span.kind': 'LLM',
      'llm.system': 'openai',
      'llm.provider': 'openai',
      'llm.model_name': 'gpt-4o-mini-2024-07-18',
      'llm.invocation_parameters': JSON.stringify({ model: 'gpt-4o-mini', temperature: 0 }),
      'input.value': JSON.stringify(request),
      'input.mime_type': 'application/json',
      'output.value': '{"id": "chatcmpl-1", "choices": []}',
      'output.mime_type': 'application/json',
      'llm.input_messages.0.message.role': 'system',
      'llm.input_messages.0.message.content': 'You are a weather assistant.',
      'llm.input_messages.1.message.role': 'user',
      'llm.input_messages.1.message.contents.0.message_content.type': 'text',
      'llm.input_messages.1.message.contents.0.message_content.text': 'Weather in Paris?',
      'llm.input_messages.1.message.contents.1.message_content.type': 'image',
      'llm.input_messages.1.message.contents.1.message_content.image.image.url': 'https://example.com/paris.png',
      'llm.input_messages.2.message.role': 'assistant',
      'llm.input_messages.2.message.tool_calls.0.tool_call.id': 'call_62136355',
      'llm.input_messages.2.message.tool_calls.0.tool_call.function.name': 'get_weather',
      'llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments': '{"location": "Paris"}',
      'llm.input_messages.3.message.role': 'tool',
      'llm.input_messages.3.message.tool_call_id': 'call_62136355',
      'llm.input_messages.3.message.content': 'rainy, 57°F',
      'llm.output_messages.0.message.role': 'assistant',
      'llm.output_messages.0.message.content': 'It is rainy in Paris.',
      'llm.finish_reason': 'stop',
      'llm.token_count.prompt': 95,
      'llm.token_count.completion': 8,
      'llm.token_count.total': 103,
      'llm.tools.0.tool.json_schema': JSON.stringify({ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }),
      'session.id': 'sess-26bcd3d2',
    },
  });

  it('reads flattened messages, tool calls, token counts, tools and session.id', () => {
    const c = only(normalizeSpans([oiSpan]).calls);
    expect(c).toMatchObject({
      provider: 'openai',
      operation: 'chat',
      request_model: 'gpt-4o-mini',
      response_model: 'gpt-4o-mini-2024-07-18',
      conversation_id: 'sess-26bcd3d2',
      input_tokens: 95,
      output_tokens: 8,
      finish_reasons: ['stop'],
      conventions: ['openinference'],
    });
    expect(c.input).toEqual([
      text('system', 'You are a weather assistant.'),
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'Weather in Paris?' },
          { type: 'uri', modality: 'image', uri: 'https://example.com/paris.png' },
        ],
      },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_62136355', name: 'get_weather', arguments: { location: 'Paris' } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_62136355', response: 'rainy, 57°F' }] },
    ]);
    expect(c.output).toEqual([text('assistant', 'It is rainy in Paris.')]); // llm.finish_reason is span-level only
    expect(c.tools).toEqual([{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }]);
  });

  it('falls back to input.value / output.value when no message lists were recorded', () => {
    const s = span({
      spanId: 'b0000000000000b2',
      name: 'ChatCompletion',
      attributes: {
        'openinference.span.kind': 'LLM',
        'llm.model_name': 'gpt-4o-mini',
        'input.value': JSON.stringify(request),
        'input.mime_type': 'application/json',
        'output.value': JSON.stringify({
          id: 'chatcmpl-2',
          choices: [
            {
              index: 0,
              finish_reason: 'tool_calls',
              message: {
                role: 'assistant',
                content: null,
                tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Oslo"}' } }],
              },
            },
          ],
        }),
        'output.mime_type': 'application/json',
      },
    });
    const c = only(normalizeSpans([s]).calls);
    expect(c.input).toEqual([text('user', 'Weather in Paris?')]);
    expect(c.output).toEqual([
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { location: 'Oslo' } }], finish_reason: 'tool_call' },
    ]);
    expect(c.finish_reasons).toEqual(['tool_call']);
  });

  it('does not take OpenInference CHAIN / AGENT / TOOL spans for calls', () => {
    const spans = ['CHAIN', 'AGENT', 'TOOL', 'EMBEDDING'].map((k, i) =>
      span({ spanId: `b00000000000000${i}`, name: k, attributes: { 'openinference.span.kind': k, 'input.value': 'x' } }),
    );
    const batch = normalizeSpans(spans);
    expect(batch.calls).toEqual([]);
    expect(batch.unmatchedSpans).toBe(4);
  });
});
