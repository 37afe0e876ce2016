// Agent Lightning (Python `agentlightning`, microsoft/agent-lightning) LLM spans.
//
// Its tracer (AgentOps-based) patches the OpenAI instrumentation so the `openai.chat.completion` span, which
// carries OpenLLMetry-style `gen_ai.prompt.{i}.*` / `gen_ai.completion.{i}.*` content, also carries the vLLM
// token ids: `prompt_token_ids` (int[]), `response_token_ids` (int[]), and `logprobs.content` (JSON text of
// OpenAI's `choices[0].logprobs.content`: [{token, logprob, bytes, top_logprobs}]).
// Its LLM proxy is LiteLLM: a `litellm_request` span (OpenLLMetry-style content, sometimes the same
// `prompt_token_ids` / `response_token_ids`) with a child `raw_gen_ai_request` span whose raw provider fields are
// `llm.<provider>.<field>` strings, e.g. `llm.hosted_vllm.prompt_token_ids` = "[1, 2]" and
// `llm.hosted_vllm.response_token_ids` = "[[3, 4]]" (one list per choice). The raw span is not a second call:
// its token ids are merged into the parent call (index.ts).
// AgentOps (the default tracer, `AgentOpsTracer`) writes OpenLLMetry-style `gen_ai.prompt.{i}.*` /
// `gen_ai.completion.{i}.*` content (with `gen_ai.request.type`, `gen_ai.system` "OpenAI",
// `gen_ai.usage.prompt_tokens`), but the tool calls a completion returns are not on the LLM span: each is a child
// span `tool_call.<name>` with `tool.name`, `tool.parameters` (the raw argument JSON), `tool.call.id`,
// `tool.call.type`, and the LLM span keeps only `gen_ai.completion.0.role` / `.finish_reason`. index.ts puts those
// calls back into the parent call's output message.
// Rewards (`agentlightning.annotation` spans) are read in rewards.ts; rollout ids in identity.ts.

import type { MessagePart } from '../schemas/genai.js';
import type { SpanRecord } from '../schemas/telemetry.js';
import type { ConventionReader } from './convention.js';
import { setNumbers } from './draft.js';
import { parseArgs, toolCallPart } from './messages.js';
import { isRecord, num, numList, parseJson, str } from './util.js';

export const RAW_REQUEST_SPAN_NAME = 'raw_gen_ai_request';

function firstList(value: unknown): number[] | null {
  // response_token_ids is usually one flat list; the proxy's raw form is a list per choice.
  const flat = numList(value);
  if (flat) return flat;
  let arr: unknown = value;
  if (typeof value === 'string') arr = parseJson(value);
  if (Array.isArray(arr) && arr.length > 0) return numList(arr[0]);
  return null;
}

/** OpenAI `logprobs.content` JSON → one logprob per generated token. */
export function logprobsFromContent(value: unknown): number[] | null {
  if (typeof value !== 'string') return null;
  const parsed = parseJson(value);
  if (!Array.isArray(parsed)) return null;
  const out: number[] = [];
  for (const item of parsed) {
    const lp = isRecord(item) ? num(item.logprob) : null;
    if (lp === null) return null;
    out.push(lp);
  }
  return out;
}

export const agentLightning: ConventionReader<'agentlightning'> = {
  name: 'agentlightning',
  claims(_span, attrs) {
    return attrs['prompt_token_ids'] !== undefined || attrs['response_token_ids'] !== undefined;
  },
  read(_span, attrs, d) {
    setNumbers(d, 'prompt_token_ids', numList(attrs['prompt_token_ids']));
    setNumbers(d, 'response_token_ids', firstList(attrs['response_token_ids']));
    setNumbers(d, 'response_logprobs', logprobsFromContent(attrs['logprobs.content']));
  },
};

export interface RawTokenIds {
  prompt: number[] | null;
  response: number[] | null;
}

/** Token ids on a LiteLLM `raw_gen_ai_request` span (`llm.<provider>.prompt_token_ids` ...), or null. */
export function rawRequestTokenIds(span: SpanRecord): RawTokenIds | null {
  if (span.name !== RAW_REQUEST_SPAN_NAME) return null;
  let prompt: number[] | null = null;
  let response: number[] | null = null;
  const attrs = span.attributes ?? {};
  for (const key in attrs) {
    if (!key.startsWith('llm.')) continue;
    if (prompt === null && key.endsWith('.prompt_token_ids')) prompt = numList(attrs[key]);
    else if (response === null && key.endsWith('.response_token_ids')) response = firstList(attrs[key]);
  }
  if (prompt === null) prompt = numList(attrs['prompt_token_ids']);
  if (response === null) response = firstList(attrs['response_token_ids']);
  return prompt || response ? { prompt, response } : null;
}

/** The tool call an AgentOps `tool_call.<name>` child span records for its parent LLM span, or null. */
export function agentOpsToolCall(span: SpanRecord): MessagePart | null {
  if (!span.name.startsWith('tool_call.') || !span.parentSpanId) return null;
  const attrs = span.attributes ?? {};
  const name = str(attrs['tool.name']);
  if (!name || attrs['tool.call.id'] === undefined) return null;
  return toolCallPart(str(attrs['tool.call.id']), name, parseArgs(attrs['tool.parameters']));
}
