// Odd and malformed input: the normalizers never throw, and a bad attribute costs only what it held.

import { describe, expect, it } from 'vitest';
import type { NormalizedBatch } from '../../../schemas/genai.js';
import type { SpanRecord } from '../../../schemas/telemetry.js';
import { normalizeLogs, normalizeSpans } from '../../../normalize/index.js';
import { log, only, span, text } from '../../support/span-builders.js';

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
      span({
        spanId: '9000000000000002',
        name: 'ai.generateText.doGenerate',
        attributes: { 'ai.prompt.messages': '{"oops"', 'ai.response.toolCalls': '[1, null, "x"]' },
      }),
      span({
        spanId: '9000000000000003',
        name: 'ChatCompletion',
        attributes: {
          'openinference.span.kind': 'LLM',
          'llm.input_messages.x.message.role': 'user',
          'llm.input_messages.0.message.tool_calls.0.tool_call.function.arguments': '{',
        },
      }),
      span({
        spanId: '9000000000000004',
        name: 'chat',
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.input.messages': [1, 'two', null, { parts: 'no' }] },
      }),
      span({
        spanId: '9000000000000005',
        name: 'agentlightning.annotation',
        attributes: { 'agentlightning.reward.0.value': 'NaN-ish', 'agentlightning.reward.1.value': null },
      }),
      { ...span({ spanId: '9000000000000006', name: 'chat' }), attributes: undefined, events: undefined, resource: undefined } as unknown as SpanRecord,
      span({
        spanId: '9000000000000007',
        name: 'openai.chat',
        attributes: { 'gen_ai.prompt.0.role': 7, 'gen_ai.prompt.0.content': { nested: true }, prompt_token_ids: 'nope' },
      }),
    ];
    let batch: NormalizedBatch | undefined;
    expect(() => (batch = normalizeSpans(weird))).not.toThrow();
    // The AI SDK span whose content is unreadable and that names no model says nothing: no call.
    expect(batch!.calls.map((c) => c.span_id)).toEqual(['9000000000000003', '9000000000000004', '9000000000000007']);
    expect(batch!.calls[0]?.input).toEqual([{ role: 'user', parts: [{ type: 'tool_call', name: '', arguments: '{' }] }]);
    expect(batch!.calls[2]?.prompt_token_ids).toEqual([]);
    expect(batch!.rewards).toEqual([]);
    expect(batch!.unmatchedSpans).toBe(3);

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
    expect(normalizeSpans([])).toEqual({ calls: [], contents: [], rewards: [], identities: [], traceResources: [], unmatchedSpans: 0 });
    expect(normalizeLogs([])).toEqual({ calls: [], contents: [], rewards: [], identities: [], traceResources: [], unmatchedSpans: 0 });
  });
});
