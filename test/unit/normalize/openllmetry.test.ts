// OpenLLMetry / Traceloop legacy attributes, Python traceloop-sdk and JS @traceloop/instrumentation-openai
// shapes, and the request types that are not inference.

import { describe, expect, it } from 'vitest';
import { normalizeSpans } from '../../../normalize/index.js';
import { only, span, text } from '../../support/span-builders.js';

describe('OpenLLMetry (Traceloop legacy attributes)', () => {
  it('reads a multi-turn tool exchange (Python traceloop-sdk shape)', () => {
    const s = span({
      spanId: 'f0000000000000f1',
      name: 'openai.chat',
      scope: 'opentelemetry.instrumentation.openai.v1',
      attributes: {
        'llm.request.type': 'chat',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.response.id': 'chatcmpl-9',
        'llm.is_streaming': false,
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': 'Weather in Paris?',
        'gen_ai.prompt.1.role': 'assistant',
        'gen_ai.prompt.1.tool_calls.0.id': 'call_p1',
        'gen_ai.prompt.1.tool_calls.0.name': 'get_weather',
        'gen_ai.prompt.1.tool_calls.0.arguments': '{"location": "Paris"}',
        'gen_ai.prompt.2.role': 'tool',
        'gen_ai.prompt.2.content': 'rainy',
        'gen_ai.prompt.2.tool_call_id': 'call_p1',
        'gen_ai.completion.0.finish_reason': 'stop',
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.content': 'Rainy.',
        'gen_ai.usage.prompt_tokens': 40,
        'gen_ai.usage.completion_tokens': 3,
        'llm.usage.total_tokens': 43,
        'llm.request.functions.0.name': 'get_weather',
        'llm.request.functions.0.description': 'Get the weather',
        'llm.request.functions.0.parameters': '{"type": "object", "properties": {"location": {"type": "string"}}}',
        'traceloop.association.properties.user_id': 'u-1',
      },
    });
    const c = only(normalizeSpans([s]).calls);
    expect(c).toMatchObject({
      provider: 'openai',
      operation: 'chat',
      request_model: 'gpt-4o',
      response_model: 'gpt-4o-2024-08-06',
      input_tokens: 40,
      output_tokens: 3,
      finish_reasons: ['stop'],
      conventions: ['openllmetry'],
    });
    expect(c.input).toEqual([
      text('user', 'Weather in Paris?'),
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_p1', name: 'get_weather', arguments: { location: 'Paris' } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_p1', response: 'rainy' }] },
    ]);
    expect(c.output).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Rainy.' }], finish_reason: 'stop' }]);
    expect(c.tools).toEqual([
      { type: 'function', name: 'get_weather', description: 'Get the weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } },
    ]);
  });

  it('reads a streamed tool call (JS @traceloop/instrumentation-openai: no tool call id, content parts as JSON)', () => {
    const s = span({
      spanId: 'f0000000000000f2',
      name: 'openai.chat',
      attributes: {
        'gen_ai.system': 'OpenAI',
        'llm.request.type': 'chat',
        'gen_ai.request.model': 'gpt-3.5-turbo',
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': JSON.stringify([
          { type: 'text', text: 'Describe' },
          { type: 'image_url', image_url: { url: 'https://x/y.png' } },
        ]),
        'gen_ai.prompt.1.role': 'user',
        'gen_ai.prompt.1.content': '[not json but starts with a bracket',
        'llm.request.functions.0.name': 'describe',
        'llm.request.functions.0.arguments': '{"type":"object"}',
        'gen_ai.response.model': 'gpt-3.5-turbo-0125',
        'gen_ai.completion.0.finish_reason': 'tool_calls',
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.content': '',
        'gen_ai.completion.0.tool_calls.0.name': 'describe',
        'gen_ai.completion.0.tool_calls.0.arguments': '{"detail":"high"}',
      },
    });
    const c = only(normalizeSpans([s]).calls);
    expect(c.provider).toBe('OpenAI');
    expect(c.input).toEqual([
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'Describe' },
          { type: 'image_url', image_url: { url: 'https://x/y.png' } },
        ],
      },
      text('user', '[not json but starts with a bracket'),
    ]);
    expect(c.output).toEqual([
      { role: 'assistant', parts: [{ type: 'tool_call', name: 'describe', arguments: { detail: 'high' } }], finish_reason: 'tool_call' },
    ]);
    expect(c.finish_reasons).toEqual(['tool_call']);
    expect(c.tools).toEqual([{ type: 'function', name: 'describe', parameters: { type: 'object' } }]);
    expect([c.input_tokens, c.output_tokens]).toEqual([null, null]);
  });

  it('maps llm.request.type completion to text_completion and skips embeddings', () => {
    const completion = span({
      spanId: 'f0000000000000f3',
      name: 'openai.completion',
      attributes: {
        'gen_ai.system': 'OpenAI',
        'llm.request.type': 'completion',
        'gen_ai.request.model': 'gpt-3.5-turbo-instruct',
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': 'Once upon a time',
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.content': ' there was a cat.',
        'gen_ai.completion.0.finish_reason': 'length',
      },
    });
    const embedding = span({
      spanId: 'f0000000000000f4',
      name: 'openai.embeddings',
      attributes: { 'gen_ai.system': 'OpenAI', 'llm.request.type': 'embedding', 'gen_ai.request.model': 'text-embedding-3-small' },
    });
    // AgentOps writes the request type as gen_ai.request.type, with input content on embedding spans.
    const agentOpsEmbedding = span({
      spanId: 'f0000000000000f5',
      name: 'openai.embeddings',
      attributes: {
        'gen_ai.system': 'OpenAI',
        'gen_ai.request.type': 'embedding',
        'gen_ai.request.model': 'text-embedding-3-small',
        'gen_ai.prompt.0.content': 'cat',
      },
    });
    const batch = normalizeSpans([completion, embedding, agentOpsEmbedding]);
    const c = only(batch.calls);
    expect(c.operation).toBe('text_completion');
    expect(c.finish_reasons).toEqual(['length']);
    expect(batch.unmatchedSpans).toBe(2);
  });
});
