// tracelight's own LLM proxy (instrumentation/): an OpenAI-compatible proxy in front of a token-id-capable
// server (vLLM, SGLang). Its spans carry the OTel GenAI attributes (read by the OTel GenAI reader) plus the
// token-level data RL needs, as int/double array attributes:
//   tracelight.llm.prompt_token_ids, tracelight.llm.response_token_ids, tracelight.llm.response_logprobs.
// A JSON array string is accepted too.

import type { ConventionReader } from './convention.js';
import { setNumbers } from './draft.js';
import { numList } from './util.js';

export const PROXY_PROMPT_TOKEN_IDS = 'tracelight.llm.prompt_token_ids';
export const PROXY_RESPONSE_TOKEN_IDS = 'tracelight.llm.response_token_ids';
export const PROXY_RESPONSE_LOGPROBS = 'tracelight.llm.response_logprobs';

export const llmProxy: ConventionReader<'llm-proxy'> = {
  name: 'llm-proxy',
  claims(_span, attrs) {
    return attrs[PROXY_PROMPT_TOKEN_IDS] !== undefined || attrs[PROXY_RESPONSE_TOKEN_IDS] !== undefined;
  },
  read(_span, attrs, d) {
    setNumbers(d, 'prompt_token_ids', numList(attrs[PROXY_PROMPT_TOKEN_IDS]));
    setNumbers(d, 'response_token_ids', numList(attrs[PROXY_RESPONSE_TOKEN_IDS]));
    setNumbers(d, 'response_logprobs', numList(attrs[PROXY_RESPONSE_LOGPROBS]));
  },
};
