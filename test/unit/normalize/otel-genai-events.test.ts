// GenAI content that arrives apart from its span, as OTLP log records (per-message events and the
// operation-details event): it becomes LlmContent joined to the span later, so order and span ids are what count.

import { describe, expect, it } from 'vitest';
import { normalizeLogs } from '../../../normalize/index.js';
import { T0, TRACE, log, only, text } from '../../support/span-builders.js';

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
      {
        trace_id: TRACE,
        span_id: SPAN,
        seq: 0,
        time_unix_nano: T0 + 5n,
        input: [text('system', 'You are a weather bot.')],
        output: [],
        convention: 'otel-genai-events',
      },
      {
        trace_id: TRACE,
        span_id: SPAN,
        seq: 1,
        time_unix_nano: T0 + 5n,
        input: [text('user', 'Weather in Paris?')],
        output: [],
        convention: 'otel-genai-events',
      },
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
          {
            role: 'assistant',
            parts: [{ type: 'tool_call', id: 'fc_9', name: 'calculator', arguments: '{"expression":"7 * 6"}', call_id: 'call_2' }],
            finish_reason: 'tool_call',
          },
        ],
      },
    });
    const content = only(normalizeLogs([rec]).contents);
    expect(content.input.slice(1)).toEqual([
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'calculator', arguments: { expression: '3 + 4' } }] },
      // A tool result sent in a user turn is a tool message, as the chat API the model saw calls it.
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: '7' }] },
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
