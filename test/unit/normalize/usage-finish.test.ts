// Token usage details and finish reasons under each convention's names (normalize/usage.ts,
// normalize/finish-reasons.ts): the same call reported by different instrumentations comes out the same.

import { describe, expect, it } from 'vitest';
import { normalizeSpans } from '../../../normalize/index.js';
import { normalizeFinishReason } from '../../../normalize/finish-reasons.js';
import { span } from '../../support/span-builders.js';

const call = (attributes: Record<string, string | number | string[]>) => normalizeSpans([span({ spanId: 'u1', name: 'chat', attributes })]).calls[0];

describe('usage details', () => {
  it('reads cache reads, cache writes and reasoning tokens under each convention', () => {
    const cases: Array<[string, Record<string, string | number>]> = [
      [
        'OTel GenAI',
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.usage.cache_read.input_tokens': 7,
          'gen_ai.usage.cache_creation.input_tokens': 3,
          'gen_ai.usage.reasoning.output_tokens': 5,
        },
      ],
      [
        'OpenLLMetry',
        {
          'llm.request.type': 'chat',
          'gen_ai.usage.cache_read_input_tokens': 7,
          'gen_ai.usage.cache_creation_input_tokens': 3,
          'gen_ai.usage.reasoning_tokens': 5,
        },
      ],
      [
        'pydantic-ai',
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.usage.details.cache_read_tokens': 7,
          'gen_ai.usage.details.cache_write_tokens': 3,
          'gen_ai.usage.details.reasoning_tokens': 5,
        },
      ],
      [
        'OpenInference',
        {
          'openinference.span.kind': 'LLM',
          'llm.token_count.prompt_details.cache_read': 7,
          'llm.token_count.prompt_details.cache_write': 3,
          'llm.token_count.completion_details.reasoning': 5,
        },
      ],
      [
        'Vercel AI SDK 5',
        {
          'ai.operationId': 'ai.generateText.doGenerate',
          'ai.usage.cachedInputTokens': 7,
          'ai.usage.inputTokenDetails.cacheWriteTokens': 3,
          'ai.usage.reasoningTokens': 5,
        },
      ],
    ];
    for (const [name, attrs] of cases) {
      const c = call(attrs);
      expect([c?.cache_read_input_tokens, c?.cache_creation_input_tokens, c?.reasoning_tokens], name).toEqual([7, 3, 5]);
    }
  });

  it("reads the call's cost under each convention's name; a reported zero gives way to a real cost", () => {
    expect(call({ 'gen_ai.operation.name': 'chat', 'gen_ai.usage.cost': 0.0125 })?.cost_usd).toBe(0.0125);
    expect(call({ 'openinference.span.kind': 'LLM', 'llm.model_name': 'm', 'llm.cost.total': 0.5 })?.cost_usd).toBe(0.5);
    expect(call({ 'gen_ai.operation.name': 'chat', 'gen_ai.usage.cost': 0, 'gen_ai.usage.total_cost': 0.25 })?.cost_usd).toBe(0.25);
    expect(call({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm' })?.cost_usd).toBeUndefined();
    const batch = normalizeSpans([span({ spanId: 'u3', name: 'chat', attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.cost': -1 } })]);
    expect(batch.calls[0]?.cost_usd).toBeNull();
  });

  it('a count nobody reported stays unset; one the column cannot hold is dropped and counted', () => {
    const none = call({ 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 4 });
    expect(none?.cache_read_input_tokens).toBeUndefined();
    const batch = normalizeSpans([span({ spanId: 'u2', name: 'chat', attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.reasoning_tokens': -2 } })]);
    expect(batch.calls[0]?.reasoning_tokens).toBeNull();
    expect(batch.droppedValues).toBe(1);
  });
});

describe('finish reasons', () => {
  it('come out in the OTel vocabulary whatever the provider called them', () => {
    const table: Array<[string, string]> = [
      ['stop', 'stop'],
      ['end_turn', 'stop'],
      ['STOP', 'stop'],
      ['stop_sequence', 'stop'],
      ['length', 'length'],
      ['max_tokens', 'length'],
      ['MAX_TOKENS', 'length'],
      ['content_filter', 'content_filter'],
      ['content-filter', 'content_filter'],
      ['SAFETY', 'content_filter'],
      ['tool_calls', 'tool_call'],
      ['tool-calls', 'tool_call'],
      ['tool_use', 'tool_call'],
      ['function_call', 'tool_call'],
      ['error', 'error'],
      ['Something_New', 'something_new'],
    ];
    for (const [given, want] of table) expect(normalizeFinishReason(given), given).toBe(want);
  });

  it('on the call and on its output message, from any convention', () => {
    const c = call({
      'gen_ai.operation.name': 'chat',
      'gen_ai.response.finish_reasons': ['MAX_TOKENS'],
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'Once upon' }], finish_reason: 'MAX_TOKENS' }]),
    });
    expect(c?.finish_reasons).toEqual(['length']);
    expect(c?.output[0]?.finish_reason).toBe('length');
  });
});
