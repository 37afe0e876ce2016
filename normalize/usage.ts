// Token usage beyond input and output: prompt-cache reads and writes and reasoning tokens, under the names each
// convention gives them. The lists are data, current names first; the common reader applies them to every claimed
// span, since several conventions copy each other's keys.

import type { UsageDetailField } from '../schemas/genai.js';
import type { CallDraft } from './draft.js';
import { setUsageDetail } from './draft.js';
import { int, num } from './util.js';
import type { Attrs } from './util.js';

export const USAGE_DETAIL_KEYS: Readonly<Record<UsageDetailField, readonly string[]>> = {
  cache_read_input_tokens: [
    'gen_ai.usage.cache_read.input_tokens', // OTel GenAI semconv ≥ 1.38
    'gen_ai.usage.cache_read_input_tokens', // OpenLLMetry, strands-agents, earlier drafts
    'gen_ai.usage.input_tokens.cached',
    'gen_ai.usage.details.cache_read_tokens', // pydantic-ai
    'llm.token_count.prompt_details.cache_read', // OpenInference
    'ai.usage.cachedInputTokens', // Vercel AI SDK 5
    'ai.usage.inputTokenDetails.cacheReadTokens', // Vercel AI SDK 6
  ],
  cache_creation_input_tokens: [
    'gen_ai.usage.cache_creation.input_tokens',
    'gen_ai.usage.cache_creation_input_tokens',
    'gen_ai.usage.cache_write_input_tokens',
    'gen_ai.usage.input_tokens.cache_write',
    'gen_ai.usage.details.cache_write_tokens',
    'llm.token_count.prompt_details.cache_write',
    'ai.usage.inputTokenDetails.cacheWriteTokens',
  ],
  reasoning_tokens: [
    'gen_ai.usage.reasoning.output_tokens',
    'gen_ai.usage.reasoning_tokens',
    'gen_ai.usage.output_tokens.reasoning',
    'gen_ai.usage.details.reasoning_tokens',
    'llm.usage.reasoning_tokens',
    'llm.token_count.completion_details.reasoning',
    'ai.usage.reasoningTokens',
    'ai.usage.outputTokenDetails.reasoningTokens',
  ],
};

/** A call's cost in US dollars, where an instrumentation computes one. */
export const COST_KEYS: readonly string[] = [
  'gen_ai.usage.cost', // OpenLIT, AG2
  'gen_ai.usage.cost_usd',
  'gen_ai.usage.total_cost',
  'llm.cost.total', // OpenInference
];

export function readUsageDetails(attrs: Attrs, d: CallDraft): void {
  // The first positive cost wins; a reported zero stands only when nothing else is reported.
  for (const k of COST_KEYS) {
    const v = num(attrs[k]);
    if (v === null || (d.cost_usd !== null && d.cost_usd !== 0)) continue;
    if (d.cost_usd === null || v > 0) d.cost_usd = v;
  }
  for (const [field, keys] of Object.entries(USAGE_DETAIL_KEYS) as [UsageDetailField, readonly string[]][]) {
    for (const k of keys) {
      const v = int(attrs[k]);
      if (v !== null) {
        setUsageDetail(d, field, v);
        break;
      }
    }
  }
}
