// The span attributes of one call, in the current OTel GenAI semantic conventions (what normalize/otel-genai.ts
// reads) plus the token-level data RL needs (normalize/llm-proxy.ts): so a call through the proxy becomes a
// complete LlmCall, with the exact ids, without any convention of its own beyond those three arrays.
//
// Chat Completions system messages are part of the chat history, so they go in `gen_ai.input.messages` (the
// conventions keep `gen_ai.system_instructions` for instructions an API takes apart from the history).
import type { Attributes } from '@opentelemetry/api';
import type { Message, MessagePart } from '../../schemas/genai.js';
import { TL } from '../../schemas/genai.js';
import { resourceVersionKey } from '../sdk/rollout.js';
import { isRecord, type ChoiceRecord, type CompletionRecord } from './completion.js';
import type { Operation } from './token-ids.js';

export const PROMPT_TOKEN_IDS = 'tracelight.llm.prompt_token_ids';
export const RESPONSE_TOKEN_IDS = 'tracelight.llm.response_token_ids';
export const RESPONSE_LOGPROBS = 'tracelight.llm.response_logprobs';

type Body = Record<string, unknown>;

function parseArgs(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function text(content: string): MessagePart {
  return { type: 'text', content };
}

function contentParts(content: unknown): MessagePart[] {
  if (typeof content === 'string') return content === '' ? [] : [text(content)];
  if (!Array.isArray(content)) return [];
  const parts: MessagePart[] = [];
  for (const p of content) {
    if (typeof p === 'string') parts.push(text(p));
    else if (isRecord(p) && (p.type === 'text' || p.type === 'input_text') && typeof p.text === 'string') parts.push(text(p.text));
    else if (isRecord(p) && p.type === 'refusal' && typeof p.refusal === 'string') parts.push(text(p.refusal));
    // Images, audio, files: kept as sent (a generic part in the conventions' terms).
    else if (isRecord(p)) parts.push({ ...p, type: typeof p.type === 'string' ? p.type : 'unknown' });
  }
  return parts;
}

/** One OpenAI chat message → the conventions' `{role, parts}`. */
export function chatMessage(m: unknown): Message | null {
  if (!isRecord(m)) return null;
  const role = typeof m.role === 'string' ? m.role : 'user';
  if (role === 'tool' || role === 'function') {
    const id = typeof m.tool_call_id === 'string' ? m.tool_call_id : typeof m.name === 'string' ? m.name : '';
    const response =
      typeof m.content === 'string'
        ? m.content
        : Array.isArray(m.content)
          ? m.content.map((p) => (isRecord(p) && typeof p.text === 'string' ? p.text : '')).join('')
          : (m.content ?? null);
    return { role: 'tool', parts: [{ type: 'tool_call_response', ...(id ? { id } : {}), response }] };
  }
  const parts = contentParts(m.content);
  if (Array.isArray(m.tool_calls)) {
    for (const tc of m.tool_calls) {
      if (!isRecord(tc) || !isRecord(tc.function)) continue;
      const fn = tc.function;
      parts.push({
        type: 'tool_call',
        ...(typeof tc.id === 'string' && tc.id ? { id: tc.id } : {}),
        name: typeof fn.name === 'string' ? fn.name : '',
        arguments: typeof fn.arguments === 'string' ? parseArgs(fn.arguments) : (fn.arguments ?? null),
      });
    }
  }
  const out: Message = { role, parts };
  if (typeof m.name === 'string' && m.name) out.name = m.name;
  return out;
}

function inputMessages(op: Operation, body: Body): Message[] {
  if (op === 'chat') return Array.isArray(body.messages) ? body.messages.map(chatMessage).filter((m): m is Message => m !== null) : [];
  // Legacy completions: the prompt is what the user said. Token-id prompts have no text to show.
  const prompts = typeof body.prompt === 'string' ? [body.prompt] : Array.isArray(body.prompt) ? body.prompt.filter((p) => typeof p === 'string') : [];
  return prompts.map((p) => ({ role: 'user', parts: [text(p as string)] }));
}

function outputMessage(c: ChoiceRecord): Message {
  const parts: MessagePart[] = [];
  if (c.reasoning) parts.push({ type: 'reasoning', content: c.reasoning });
  if (c.text) parts.push(text(c.text));
  for (const tc of c.toolCalls) {
    if (!tc) continue; // a stream that skipped a tool-call index
    parts.push({ type: 'tool_call', ...(tc.id ? { id: tc.id } : {}), name: tc.name, arguments: parseArgs(tc.arguments) });
  }
  return { role: 'assistant', parts, ...(c.finishReason ? { finish_reason: c.finishReason } : {}) };
}

/** OpenAI's `{type: 'function', function: {name, description, parameters}}` → the conventions' flat tool definition. */
function toolDefinitions(tools: unknown): unknown[] {
  if (!Array.isArray(tools)) return [];
  return tools.map((t) => (isRecord(t) && isRecord(t.function) ? { type: typeof t.type === 'string' ? t.type : 'function', ...t.function } : t));
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** What is known when the call arrives: set at the span's start, so the baggage processor never overrides these ids. */
export function startAttributes(op: Operation, requestedModel: string, who: { rolloutId: string; attemptId: string; agent: string }): Attributes {
  const a: Attributes = { 'gen_ai.operation.name': op, 'gen_ai.request.model': requestedModel };
  if (who.rolloutId) a[TL.rolloutId] = who.rolloutId;
  if (who.attemptId) a[TL.attemptId] = who.attemptId;
  if (who.agent) a['gen_ai.agent.name'] = who.agent;
  return a;
}

/** What is known once routed: the target and the request as sent upstream (with a resource's sampling defaults). */
export function requestAttributes(
  op: Operation,
  sent: Body,
  target: { upstream: string; resource?: { name: string; version: number } },
  provider: string,
): Attributes {
  const a: Attributes = { 'gen_ai.provider.name': provider };
  try {
    const u = new URL(target.upstream);
    a['server.address'] = u.hostname;
    a['server.port'] = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  } catch {
    // an unparsable upstream fails the call itself, and the span says so there
  }
  if (target.resource) a[resourceVersionKey(target.resource.name)] = String(target.resource.version);
  const sampling: [string, unknown][] = [
    ['gen_ai.request.temperature', sent.temperature],
    ['gen_ai.request.top_p', sent.top_p],
    ['gen_ai.request.top_k', sent.top_k],
    ['gen_ai.request.max_tokens', sent.max_completion_tokens ?? sent.max_tokens],
    ['gen_ai.request.seed', sent.seed],
    ['gen_ai.request.frequency_penalty', sent.frequency_penalty],
    ['gen_ai.request.presence_penalty', sent.presence_penalty],
  ];
  for (const [key, value] of sampling) {
    const n = num(value);
    if (n !== undefined) a[key] = n;
  }
  const n = num(sent.n);
  if (n !== undefined && n !== 1) a['gen_ai.request.choice.count'] = n;
  if (typeof sent.stop === 'string') a['gen_ai.request.stop_sequences'] = [sent.stop];
  else if (Array.isArray(sent.stop)) a['gen_ai.request.stop_sequences'] = sent.stop.filter((s): s is string => typeof s === 'string');
  a['gen_ai.input.messages'] = JSON.stringify(inputMessages(op, sent));
  const tools = toolDefinitions(sent.tools);
  if (tools.length > 0) a['gen_ai.tool.definitions'] = JSON.stringify(tools);
  return a;
}

/**
 * What the answer adds. Token ids and logprobs are those of the first choice (an LlmCall holds one response). Without
 * usage (a stream whose agent did not ask for it) the counts are the id lists' lengths: the same tokenizer's count.
 */
export function responseAttributes(c: CompletionRecord): Attributes {
  const a: Attributes = {};
  if (c.id) a['gen_ai.response.id'] = c.id;
  if (c.model) a['gen_ai.response.model'] = c.model;
  if (c.choices.length > 0) {
    a['gen_ai.output.messages'] = JSON.stringify(c.choices.map(outputMessage));
    a['gen_ai.response.finish_reasons'] = c.choices.map((x) => x.finishReason);
  }
  const first = c.choices[0];
  const input = c.inputTokens ?? (c.promptTokenIds.length > 0 ? c.promptTokenIds.length : null);
  const output = c.outputTokens ?? (first && first.tokenIds.length > 0 && c.choices.length === 1 ? first.tokenIds.length : null);
  if (input !== null) a['gen_ai.usage.input_tokens'] = input;
  if (output !== null) a['gen_ai.usage.output_tokens'] = output;
  if (c.promptTokenIds.length > 0) a[PROMPT_TOKEN_IDS] = c.promptTokenIds;
  if (first && first.tokenIds.length > 0) a[RESPONSE_TOKEN_IDS] = first.tokenIds;
  if (first && first.logprobsUsable && first.logprobs.length > 0) a[RESPONSE_LOGPROBS] = first.logprobs;
  if (c.truncated) a['tracelight.llm.content_truncated'] = true;
  return a;
}
