// tracelight's own LLM proxy spans: token-level data next to the OTel GenAI attributes, one call from both.

import { describe, expect, it } from 'vitest';
import { normalizeSpans } from '../../../normalize/index.js';
import { only, span } from '../../support/span-builders.js';

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
