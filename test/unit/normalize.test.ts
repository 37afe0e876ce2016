// Normalizers: span and log shapes as the real instrumentations emit them (attribute names and value shapes
// taken from their sources), checked field by field.

import { describe, expect, it } from 'vitest';
import type { LlmCall, Message, NormalizedBatch } from '../../schemas/genai.js';
import type { SpanRecord } from '../../schemas/telemetry.js';
import { normalizeLogs, normalizeSpans } from '../../normalize/index.js';
import { T0, TRACE, log, span } from '../fixtures/normalize/builders.js';

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

function callFor(batch: NormalizedBatch, spanId: string): LlmCall {
  const c = batch.calls.find((x) => x.span_id === spanId);
  if (!c) throw new Error(`no call for span ${spanId}; calls: ${batch.calls.map((x) => x.span_id).join(',')}`);
  return c;
}

const text = (role: string, content: string): Message => ({ role, parts: [{ type: 'text', content }] });

const WEATHER_TOOL = {
  type: 'function',
  name: 'get_weather',
  description: 'Get the current weather in a given location',
  parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};

// ---------------------------------------------------------------------------------------------------------------
// 1. OTel GenAI, current conventions
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
// 1b. OTel GenAI, deprecated forms
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
    expect(c.finish_reasons).toEqual(['tool_calls']);
    expect(c.input).toEqual([]);
    expect(c.output).toEqual([]);
    expect(c.conventions).toEqual(['otel-genai']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Logs: per-message events and the operation-details event
// ---------------------------------------------------------------------------------------------------------------

describe('GenAI content from OTLP logs', () => {
  const SPAN = 'd0000000000000d3';

  it('turns the deprecated per-message events (JS instrumentation-openai: event.name attribute) into ordered content', () => {
    const common = { spanId: SPAN, time: T0 + 5n, scope: '@opentelemetry/instrumentation-openai' };
    const logs = [
      log({ ...common, attributes: { 'event.name': 'gen_ai.system.message', 'gen_ai.system': 'openai' }, body: { content: 'You are a weather bot.' } }),
      log({ ...common, attributes: { 'event.name': 'gen_ai.user.message', 'gen_ai.system': 'openai' }, body: { content: 'Weather in Paris?' } }),
      log({
        ...common,
        attributes: { 'event.name': 'gen_ai.assistant.message', 'gen_ai.system': 'openai' },
        body: {
          tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }],
        },
      }),
      log({ ...common, attributes: { 'event.name': 'gen_ai.tool.message', 'gen_ai.system': 'openai' }, body: { id: 'call_abc', content: 'rainy, 57°F' } }),
      log({
        ...common,
        time: T0 + 900n,
        attributes: { 'event.name': 'gen_ai.choice', 'gen_ai.system': 'openai' },
        body: { finish_reason: 'stop', index: 0, message: { content: 'Rainy, 57°F.' } },
      }),
      // Not GenAI: ignored.
      log({ spanId: SPAN, body: 'GET /healthz 200' }),
    ];
    const batch = normalizeLogs(logs);
    expect(batch.rewards).toEqual([]);
    expect(batch.contents).toEqual([
      { trace_id: TRACE, span_id: SPAN, seq: 0, time_unix_nano: T0 + 5n, input: [text('system', 'You are a weather bot.')], output: [], convention: 'otel-genai-events' },
      { trace_id: TRACE, span_id: SPAN, seq: 1, time_unix_nano: T0 + 5n, input: [text('user', 'Weather in Paris?')], output: [], convention: 'otel-genai-events' },
      {
        trace_id: TRACE,
        span_id: SPAN,
        seq: 2,
        time_unix_nano: T0 + 5n,
        input: [{ role: 'assistant', parts: [{ type: 'tool_call', id: 'call_abc', name: 'get_weather', arguments: { location: 'Paris' } }] }],
        output: [],
        convention: 'otel-genai-events',
      },
      {
        trace_id: TRACE,
        span_id: SPAN,
        seq: 3,
        time_unix_nano: T0 + 5n,
        input: [{ role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_abc', response: 'rainy, 57°F' }] }],
        output: [],
        convention: 'otel-genai-events',
      },
      {
        trace_id: TRACE,
        span_id: SPAN,
        seq: 4,
        time_unix_nano: T0 + 900n,
        input: [],
        output: [{ role: 'assistant', parts: [{ type: 'text', content: 'Rainy, 57°F.' }], finish_reason: 'stop' }],
        convention: 'otel-genai-events',
      },
    ]);
  });

  it('reads Python openai-v2 events (event name in the LogRecord event_name field, role in the choice message)', () => {
    const logs = [
      log({ spanId: 'd0000000000000d4', eventName: 'gen_ai.user.message', attributes: { 'gen_ai.system': 'openai' }, body: { content: 'Say hi' } }),
      log({
        spanId: 'd0000000000000d4',
        eventName: 'gen_ai.choice',
        attributes: { 'gen_ai.system': 'openai' },
        body: { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'Hi!' } },
      }),
      // Content capture off: the events arrive with empty bodies and carry nothing to keep.
      log({ spanId: 'd0000000000000d5', eventName: 'gen_ai.user.message', attributes: { 'gen_ai.system': 'openai' }, body: {} }),
    ];
    const batch = normalizeLogs(logs);
    expect(batch.contents.map((c) => [c.span_id, c.seq, c.input, c.output])).toEqual([
      ['d0000000000000d4', 0, [text('user', 'Say hi')], []],
      ['d0000000000000d4', 1, [], [{ role: 'assistant', parts: [{ type: 'text', content: 'Hi!' }], finish_reason: 'stop' }]],
    ]);
  });

  it('reads the gen_ai.client.inference.operation.details log record (structured attributes)', () => {
    const rec = log({
      spanId: 'c0000000000000c9',
      eventName: 'gen_ai.client.inference.operation.details',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.system_instructions': [{ type: 'text', content: 'Be brief.' }],
        'gen_ai.input.messages': [{ role: 'user', parts: [{ type: 'text', content: 'Hello' }] }],
        'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'text', content: 'Hi.' }], finish_reason: 'stop' }],
      },
    });
    const content = only(normalizeLogs([rec]).contents);
    expect(content).toEqual({
      trace_id: TRACE,
      span_id: 'c0000000000000c9',
      seq: 0,
      time_unix_nano: rec.timeUnixNano,
      input: [text('system', 'Be brief.'), text('user', 'Hello')],
      output: [{ role: 'assistant', parts: [{ type: 'text', content: 'Hi.' }], finish_reason: 'stop' }],
      convention: 'otel-genai-events',
    });
  });

  it('links Responses API tool calls and results by call_id (JS instrumentation-openai sends the item id as id)', () => {
    const rec = log({
      spanId: 'c0000000000000ca',
      eventName: 'gen_ai.client.inference.operation.details',
      attributes: {
        'gen_ai.provider.name': 'openai',
        'gen_ai.input.messages': [
          { role: 'user', parts: [{ type: 'text', content: 'What is 3 + 4?' }] },
          { role: 'assistant', parts: [{ type: 'tool_call', name: 'calculator', arguments: '{"expression":"3 + 4"}', call_id: 'call_1' }] },
          { role: 'user', parts: [{ type: 'tool_call_response', response: '7', call_id: 'call_1' }] },
        ],
        'gen_ai.output.messages': [
          { role: 'assistant', parts: [{ type: 'tool_call', id: 'fc_9', name: 'calculator', arguments: '{"expression":"7 * 6"}', call_id: 'call_2' }], finish_reason: 'tool_call' },
        ],
      },
    });
    const content = only(normalizeLogs([rec]).contents);
    expect(content.input.slice(1)).toEqual([
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'calculator', arguments: { expression: '3 + 4' } }] },
      { role: 'user', parts: [{ type: 'tool_call_response', id: 'call_1', response: '7' }] },
    ]);
    expect(content.output).toEqual([
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_2', name: 'calculator', arguments: { expression: '7 * 6' } }], finish_reason: 'tool_call' },
    ]);
  });

  it('skips content that cannot be joined to a span', () => {
    const batch = normalizeLogs([log({ traceId: '', spanId: '', eventName: 'gen_ai.user.message', body: { content: 'orphan' } })]);
    expect(batch.contents).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// 2. OpenInference
// ---------------------------------------------------------------------------------------------------------------

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
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { location: 'Oslo' } }], finish_reason: 'tool_calls' },
    ]);
    expect(c.finish_reasons).toEqual(['tool_calls']);
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

// ---------------------------------------------------------------------------------------------------------------
// 3. OpenLLMetry / Traceloop legacy
// ---------------------------------------------------------------------------------------------------------------

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
      { role: 'user', parts: [{ type: 'text', content: 'Describe' }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }] },
      text('user', '[not json but starts with a bracket'),
    ]);
    expect(c.output).toEqual([
      { role: 'assistant', parts: [{ type: 'tool_call', name: 'describe', arguments: { detail: 'high' } }], finish_reason: 'tool_calls' },
    ]);
    expect(c.finish_reasons).toEqual(['tool_calls']);
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
      attributes: { 'gen_ai.system': 'OpenAI', 'gen_ai.request.type': 'embedding', 'gen_ai.request.model': 'text-embedding-3-small', 'gen_ai.prompt.0.content': 'cat' },
    });
    const batch = normalizeSpans([completion, embedding, agentOpsEmbedding]);
    const c = only(batch.calls);
    expect(c.operation).toBe('text_completion');
    expect(c.finish_reasons).toEqual(['length']);
    expect(batch.unmatchedSpans).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// 4. Vercel AI SDK
// ---------------------------------------------------------------------------------------------------------------

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
      finish_reasons: ['tool-calls'],
      conventions: ['vercel-ai'],
      agent: 'test-agent',
    });
    expect(first.input).toEqual([text('system', 'You are a weather bot.'), text('user', 'Weather in Paris?')]);
    expect(first.output).toEqual([
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_w1', name: 'weather', arguments: { city: 'Paris' } }], finish_reason: 'tool-calls' },
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

// ---------------------------------------------------------------------------------------------------------------
// 5. Agent Lightning
// ---------------------------------------------------------------------------------------------------------------

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
    const batch = normalizeSpans([toolSpan('2000000000000013', 'call_a', '{"expression":"3 + 4"}'), toolSpan('2000000000000014', 'call_b', '{"expression":"1 + 1"}'), toolLlm]);
    expect(batch.calls).toHaveLength(1);
    expect(only(batch.calls).output).toEqual([
      {
        role: 'assistant',
        parts: [
          { type: 'tool_call', id: 'call_a', name: 'calculator', arguments: { expression: '3 + 4' } },
          { type: 'tool_call', id: 'call_b', name: 'calculator', arguments: { expression: '1 + 1' } },
        ],
        finish_reason: 'tool_calls',
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

// ---------------------------------------------------------------------------------------------------------------
// 6. tracelight's LLM proxy
// ---------------------------------------------------------------------------------------------------------------

describe("tracelight's LLM proxy", () => {
  it('reads tracelight.llm.* token ids and logprobs next to the gen_ai.* attributes', () => {
    const s = span({
      spanId: '4000000000000001',
      name: 'chat qwen',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'vllm',
        'gen_ai.request.model': 'qwen',
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: '2+2?' }] }]),
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: '4' }], finish_reason: 'stop' }]),
        'tracelight.llm.prompt_token_ids': [17, 10, 17, 30],
        'tracelight.llm.response_token_ids': [19n, 151645n],
        'tracelight.llm.response_logprobs': [-0.05, -0.001],
        'tracelight.rollout.id': 'ro-42',
        'tracelight.attempt.id': 'at-2',
      },
    });
    const c = only(normalizeSpans([s]).calls);
    expect(c).toMatchObject({
      prompt_token_ids: [17, 10, 17, 30],
      response_token_ids: [19, 151645],
      response_logprobs: [-0.05, -0.001],
      rollout_id: 'ro-42',
      attempt_id: 'at-2',
      conventions: ['otel-genai', 'llm-proxy'],
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Rewards
// ---------------------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------------------
// Identity
// ---------------------------------------------------------------------------------------------------------------

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
      span({ spanId: '7000000000000001', name: 'POST /task', start: T0 + 50n, attributes: { 'tracelight.rollout.id': 'ro-1', 'tracelight.attempt.id': 'a-1' } }),
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

  it('reads resource versions (span over resource), conversation id and the agent name', () => {
    const parent = span({ spanId: '8000000000000001', name: 'invoke_agent planner', attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'planner' } });
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
    const agent = span({ spanId: '9000000000000001', name: 'calculator-agent', kind: 1, attributes: { 'openinference.span.kind': 'AGENT', 'graph.node.id': 'calculator-agent' } });
    const turn = span({ spanId: '9000000000000002', parentSpanId: '9000000000000001', name: 'turn', kind: 1, attributes: { 'openinference.span.kind': 'CHAIN' } });
    const llm = span({
      spanId: '9000000000000003',
      parentSpanId: '9000000000000002',
      name: 'response',
      attributes: { 'openinference.span.kind': 'LLM', 'llm.model_name': 'm', 'llm.input_messages.0.message.role': 'user', 'llm.input_messages.0.message.content': 'hi' },
    });
    const tool = span({ spanId: '9000000000000004', name: 'calculator', attributes: { 'openinference.span.kind': 'TOOL', 'graph.node.id': 'not-an-agent' } });
    const batch = normalizeSpans([agent, turn, llm, tool]);
    expect(only(batch.calls).agent).toBe('calculator-agent');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Robustness
// ---------------------------------------------------------------------------------------------------------------

describe('robustness', () => {
  it('keeps what can be read from a span with malformed JSON attributes', () => {
    const s = span({
      spanId: '9000000000000001',
      name: 'chat gpt-4o',
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.input.messages': '[{"role": "user", "parts": [{"type": "text", "content": "truncated',
        'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'ok' }] }]),
        'gen_ai.tool.definitions': '{not json',
        'gen_ai.system_instructions': 12,
        'gen_ai.usage.input_tokens': 'many',
        'gen_ai.response.finish_reasons': '[broken',
      },
    });
    const c = only(normalizeSpans([s]).calls);
    expect(c.input).toEqual([]);
    expect(c.output).toEqual([text('assistant', 'ok')]);
    expect(c.tools).toEqual([]);
    expect(c.input_tokens).toBeNull();
    expect(c.finish_reasons).toEqual([]);
  });

  it('tolerates odd shapes everywhere without throwing', () => {
    const weird = [
      span({ spanId: '9000000000000002', name: 'ai.generateText.doGenerate', attributes: { 'ai.prompt.messages': '{"oops"', 'ai.response.toolCalls': '[1, null, "x"]' } }),
      span({
        spanId: '9000000000000003',
        name: 'ChatCompletion',
        attributes: { 'openinference.span.kind': 'LLM', 'llm.input_messages.x.message.role': 'user', 'llm.input_messages.0.message.tool_calls.0.tool_call.function.arguments': '{' },
      }),
      span({ spanId: '9000000000000004', name: 'chat', attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.input.messages': [1, 'two', null, { parts: 'no' }] } }),
      span({ spanId: '9000000000000005', name: 'agentlightning.annotation', attributes: { 'agentlightning.reward.0.value': 'NaN-ish', 'agentlightning.reward.1.value': null } }),
      { ...span({ spanId: '9000000000000006', name: 'chat' }), attributes: undefined, events: undefined, resource: undefined } as unknown as SpanRecord,
      span({ spanId: '9000000000000007', name: 'openai.chat', attributes: { 'gen_ai.prompt.0.role': 7, 'gen_ai.prompt.0.content': { nested: true }, prompt_token_ids: 'nope' } }),
    ];
    let batch: NormalizedBatch | undefined;
    expect(() => (batch = normalizeSpans(weird))).not.toThrow();
    expect(batch!.calls.map((c) => c.span_id)).toEqual(['9000000000000002', '9000000000000003', '9000000000000004', '9000000000000007']);
    expect(batch!.calls[0]?.input).toEqual([]);
    expect(batch!.calls[0]?.output).toEqual([]);
    expect(batch!.calls[1]?.input).toEqual([{ role: 'user', parts: [{ type: 'tool_call', name: '', arguments: '{' }] }]);
    expect(batch!.calls[3]?.prompt_token_ids).toEqual([]);
    expect(batch!.rewards).toEqual([]);
    expect(batch!.unmatchedSpans).toBe(2);

    const logs = [
      log({ spanId: 'a1', eventName: 'gen_ai.choice', body: 'just text' }),
      log({ spanId: 'a1', eventName: 'gen_ai.client.inference.operation.details', attributes: { 'gen_ai.input.messages': '[[' } }),
      log({ spanId: 'a1', attributes: { 'event.name': 42 }, body: [1, 2] }),
      { ...log({ spanId: 'a1', eventName: 'gen_ai.user.message' }), attributes: undefined, body: undefined } as never,
    ];
    let logBatch: NormalizedBatch | undefined;
    expect(() => (logBatch = normalizeLogs(logs))).not.toThrow();
    expect(logBatch!.contents.map((c) => c.output)).toEqual([[{ role: 'assistant', parts: [{ type: 'text', content: 'just text' }] }]]);
  });

  it('handles an empty batch', () => {
    expect(normalizeSpans([])).toEqual({ calls: [], contents: [], rewards: [], identities: [], unmatchedSpans: 0 });
    expect(normalizeLogs([])).toEqual({ calls: [], contents: [], rewards: [], identities: [], unmatchedSpans: 0 });
  });
});
