// tracelight's own LLM proxy (instrumentation/): an OpenAI-compatible proxy in front of a token-id-capable
// server (vLLM, SGLang). Its spans carry the OTel GenAI attributes (read by the OTel GenAI reader) plus the
// token-level data RL needs, as int/double array attributes:
//   tracelight.llm.prompt_token_ids, tracelight.llm.response_token_ids, tracelight.llm.response_logprobs.
// A JSON array string is accepted too.

import type { SpanRecord } from '../schemas/telemetry.js';
import type { CallDraft } from './draft.js';
import { setNumbers } from './draft.js';
import { numList } from './util.js';
import type { Attrs } from './util.js';

export const PROXY_PROMPT_TOKEN_IDS = 'tracelight.llm.prompt_token_ids';
export const PROXY_RESPONSE_TOKEN_IDS = 'tracelight.llm.response_token_ids';
export const PROXY_RESPONSE_LOGPROBS = 'tracelight.llm.response_logprobs';

export function claimsLlmProxy(attrs: Attrs): boolean {
  return attrs[PROXY_PROMPT_TOKEN_IDS] !== undefined || attrs[PROXY_RESPONSE_TOKEN_IDS] !== undefined;
}

export function applyLlmProxy(_span: SpanRecord, attrs: Attrs, d: CallDraft): void {
  setNumbers(d, 'prompt_token_ids', numList(attrs[PROXY_PROMPT_TOKEN_IDS]));
  setNumbers(d, 'response_token_ids', numList(attrs[PROXY_RESPONSE_TOKEN_IDS]));
  setNumbers(d, 'response_logprobs', numList(attrs[PROXY_RESPONSE_LOGPROBS]));
}
