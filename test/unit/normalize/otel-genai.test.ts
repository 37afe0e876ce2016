// OTel GenAI spans, current (semconv >= 1.37) and deprecated forms, as opentelemetry-instrumentation-openai-v2
// and @opentelemetry/instrumentation-openai emit them (attribute names and value shapes taken from their
// sources), checked field by field: the two readers of normalize/otel-genai.ts.

import { describe, expect, it } from 'vitest';
import type { LlmCall } from '../../../schemas/genai.js';
import { normalizeSpans } from '../../../normalize/index.js';
import { T0, TRACE, only, span, text } from '../../support/span-builders.js';

const WEATHER_TOOL = {
  type: 'function',
  name: 'get_weather',
  description: 'Get the current weather in a given location',
  parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};
// ---------------------------------------------------------------------------------------------------------------
// OTel GenAI, current conventions
// ---------------------------------------------------------------------------------------------------------------

describe('OTel GenAI (current)', () => {
  // opentelemetry-instrumentation-openai-v2 with OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental and
  // OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY: messages as JSON strings on the span.
  const agentSpan = span({
    spanId: 'a0000000000000a1',
    name: 'invoke_agent weather-agent',
    kind: 1,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'weather-agent',
      'gen_ai.provider.name': 'openai',
      'gen_ai.conversation.id': 'conv_5j66UpCpwteGg4YSxUnt7lPY',
    },
    resource: { 'service.name': 'weather-svc' },
  });
  const chatSpan = span({
    spanId: 'c0000000000000c1',
    parentSpanId: 'a0000000000000a1',
    name: 'chat gpt-4o-mini',
    start: T0 + 1_000n,
    end: T0 + 900_000_000n,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.id': 'chatcmpl-Bz8yrvPnydD9pObv625n2CGBPHS13',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 180,
      'gen_ai.usage.output_tokens': 22,
      'gen_ai.conversation.id': 'conv_5j66UpCpwteGg4YSxUnt7lPY',
      'server.address': 'api.openai.com',
      'gen_ai.system_instructions': JSON.stringify([{ type: 'text', content: 'You are a weather assistant.' }]),
      'gen_ai.input.messages': JSON.stringify([
        { role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }] },
        {
          role: 'assistant',
          parts: [{ type: 'tool_call', id: 'call_VSPygqKTWdrhaFErNvMV18Yl', name: 'get_weather', arguments: { location: 'Paris' } }],
        },
        { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_VSPygqKTWdrhaFErNvMV18Yl', response: 'rainy, 57°F' }] },
      ]),
      'gen_ai.output.messages': JSON.stringify([
        { role: 'assistant', parts: [{ type: 'text', content: 'It is rainy in Paris, 57°F.' }], finish_reason: 'stop' },
      ]),
      'gen_ai.tool.definitions': JSON.stringify([WEATHER_TOOL]),
    },
    resource: { 'service.name': 'weather-svc', 'telemetry.sdk.language': 'python' },
  });

  it('reads a multi-turn tool-using chat span exactly', () => {
    const batch = normalizeSpans([agentSpan, chatSpan]);
    expect(batch.unmatchedSpans).toBe(1); // the invoke_agent span is not an LLM call
    expect(only(batch.calls)).toEqual<LlmCall>({
      trace_id: TRACE,
      span_id: 'c0000000000000c1',
      parent_span_id: 'a0000000000000a1',
      rollout_id: '',
      attempt_id: '',
      conversation_id: 'conv_5j66UpCpwteGg4YSxUnt7lPY',
      start_time_unix_nano: T0 + 1_000n,
      end_time_unix_nano: T0 + 900_000_000n,
      agent: 'weather-agent',
      service: 'weather-svc',
      provider: 'openai',
      operation: 'chat',
      request_model: 'gpt-4o-mini',
      response_model: 'gpt-4o-mini-2024-07-18',
      input: [
        text('system', 'You are a weather assistant.'),
        text('user', 'Weather in Paris?'),
        {
          role: 'assistant',
          parts: [{ type: 'tool_call', id: 'call_VSPygqKTWdrhaFErNvMV18Yl', name: 'get_weather', arguments: { location: 'Paris' } }],
        },
        { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_VSPygqKTWdrhaFErNvMV18Yl', response: 'rainy, 57°F' }] },
      ],
      output: [{ role: 'assistant', parts: [{ type: 'text', content: 'It is rainy in Paris, 57°F.' }], finish_reason: 'stop' }],
      finish_reasons: ['stop'],
      input_tokens: 180,
      output_tokens: 22,
      prompt_token_ids: [],
      response_token_ids: [],
      response_logprobs: [],
      resources: {},
      tools: [WEATHER_TOOL],
      conventions: ['otel-genai'],
      status: 'unset',
      error: '',
    });
  });

  it('reads structured AnyValue messages (arrays of kvlists), bytes and big ints included', () => {
    const s = span({
      spanId: 'c0000000000000c2',
      name: 'chat claude-sonnet',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.request.model': 'claude-sonnet-4',
        'gen_ai.usage.input_tokens': 12n,
        'gen_ai.usage.output_tokens': 3n,
        'gen_ai.input.messages': [
          {
            role: 'user',
            parts: [
              { type: 'text', content: 'What is in this image?' },
              { type: 'blob', modality: 'image', mime_type: 'image/png', content: new Uint8Array([1, 2, 3]) },
            ],
          },
        ],
        'gen_ai.output.messages': [
          {
            role: 'assistant',
            parts: [
              { type: 'reasoning', content: 'Three pixels.' },
              { type: 'tool_call', id: 'toolu_1', name: 'describe', arguments: '{"detail": 2}' },
            ],
            finish_reason: 'tool_call',
          },
        ],
      },
    });
    const c = only(normalizeSpans([s]).calls);
    expect(c.input).toEqual([
      {
        role: 'user',
        parts: [
          { type: 'text', content: 'What is in this image?' },
          { type: 'blob', modality: 'image', mime_type: 'image/png', content: 'AQID' },
        ],
      },
    ]);
    expect(c.output).toEqual([
      {
        role: 'assistant',
        parts: [
          { type: 'reasoning', content: 'Three pixels.' },
          { type: 'tool_call', id: 'toolu_1', name: 'describe', arguments: { detail: 2 } },
        ],
        finish_reason: 'tool_call',
      },
    ]);
    expect(c.finish_reasons).toEqual(['tool_call']); // from the output messages when the span has none
    expect([c.input_tokens, c.output_tokens]).toEqual([12, 3]);
    expect(c.provider).toBe('anthropic');
  });

  it('reads a streaming call whose content rides on a gen_ai.client.inference.operation.details span event', () => {
    const s = span({
      spanId: 'c0000000000000c3',
      name: 'chat gpt-4o',
      statusCode: 2,
      statusMessage: 'stream interrupted',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.request.stream': true,
        'gen_ai.response.time_to_first_chunk': 0.21,
        'error.type': 'APIConnectionError',
      },
      events: [
        {
          name: 'gen_ai.client.inference.operation.details',
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: 'Count to three.' }] }],
            'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'text', content: 'One, two' }], finish_reason: 'error' }],
          },
        },
      ],
    });
    const c = only(normalizeSpans([s]).calls);
    expect(c.input).toEqual([text('user', 'Count to three.')]);
    expect(c.output).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'One, two' }], finish_reason: 'error' }]);
    expect(c.status).toBe('error');
    expect(c.error).toBe('stream interrupted');
    expect(c.conventions).toEqual(['otel-genai']);
  });

  it('skips non-inference operations (agents, tools, embeddings)', () => {
    const spans = ['invoke_agent', 'execute_tool', 'embeddings', 'create_agent'].map((op, i) =>
      span({ spanId: `e00000000000000${i}`, name: op, attributes: { 'gen_ai.operation.name': op, 'gen_ai.provider.name': 'openai' } }),
    );
    const batch = normalizeSpans(spans);
    expect(batch.calls).toEqual([]);
    expect(batch.unmatchedSpans).toBe(4);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// OTel GenAI, deprecated forms
// ---------------------------------------------------------------------------------------------------------------

describe('OTel GenAI (deprecated forms)', () => {
  it('reads gen_ai.system, prompt/completion token counts and the gen_ai.prompt / gen_ai.completion JSON', () => {
    const s = span({
      spanId: 'd0000000000000d1',
      name: 'chat gpt-4',
      attributes: {
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-4',
        'gen_ai.response.model': 'gpt-4-0613',
        'gen_ai.usage.prompt_tokens': 9,
        'gen_ai.usage.completion_tokens': 4,
        'gen_ai.prompt': JSON.stringify([
          { role: 'system', content: 'Be terse.' },
          { role: 'user', content: 'Capital of France?' },
        ]),
        'gen_ai.completion': JSON.stringify([{ role: 'assistant', content: 'Paris.' }]),
      },
    });
    const c = only(normalizeSpans([s]).calls);
    expect(c.provider).toBe('openai');
    expect([c.request_model, c.response_model]).toEqual(['gpt-4', 'gpt-4-0613']);
    expect([c.input_tokens, c.output_tokens]).toEqual([9, 4]);
    expect(c.input).toEqual([text('system', 'Be terse.'), text('user', 'Capital of France?')]);
    expect(c.output).toEqual([text('assistant', 'Paris.')]);
    expect(c.conventions).toEqual(['otel-genai-legacy']);
  });

  it('reads semconv 1.27 gen_ai.content.prompt / gen_ai.content.completion span events', () => {
    const s = span({
      spanId: 'd0000000000000d2',
      name: 'chat gpt-4',
      attributes: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4' },
      events: [
        { name: 'gen_ai.content.prompt', attributes: { 'gen_ai.prompt': '[{"role": "user", "content": "Hi"}]' } },
        { name: 'gen_ai.content.completion', attributes: { 'gen_ai.completion': '[{"role": "assistant", "content": "Hello!"}]' } },
      ],
    });
    const c = only(normalizeSpans([s]).calls);
    expect(c.input).toEqual([text('user', 'Hi')]);
    expect(c.output).toEqual([text('assistant', 'Hello!')]);
  });

  it('keeps a call whose content arrives as OTLP log events (@opentelemetry/instrumentation-openai)', () => {
    // The span carries only metadata; content is in log records parented to it.
    const s = span({
      spanId: 'd0000000000000d3',
      name: 'chat gpt-4o-mini',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.system': 'openai',
        'server.address': 'api.openai.com',
        'server.port': 443,
        'gen_ai.response.finish_reasons': ['tool_calls'],
        'gen_ai.response.id': 'chatcmpl-AEGWexS6Fw8a4tBYXJrM9w5rJlF0e',
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.usage.input_tokens': 140,
        'gen_ai.usage.output_tokens': 19,
      },
    });
    const c = only(normalizeSpans([s]).calls);
    expect(c.provider).toBe('openai');
    expect(c.finish_reasons).toEqual(['tool_call']);
    expect(c.input).toEqual([]);
    expect(c.output).toEqual([]);
    expect(c.conventions).toEqual(['otel-genai']);
  });
});
