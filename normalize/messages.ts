// Builders for the normalized Message / MessagePart shape (the OTel GenAI one) from the message shapes the
// instrumentations actually send: OTel GenAI `{role, parts}`, OpenAI chat `{role, content, tool_calls,
// tool_call_id}`, Vercel AI SDK `{role, content: string | [{type: 'text' | 'tool-call' | 'tool-result', ...}]}`,
// and the bodies of the deprecated per-message GenAI events. Input is already JSON-safe (see util.structured).

import type { Message, MessagePart } from '../schemas/genai.js';
import { isRecord, parseJson, str } from './util.js';

export function textPart(content: string): MessagePart {
  return { type: 'text', content };
}

export function toolCallPart(id: string, name: string, args: unknown): MessagePart {
  const part: { type: 'tool_call'; id?: string; name: string; arguments: unknown } = { type: 'tool_call', name, arguments: args };
  if (id) part.id = id;
  return part;
}

export function toolResponsePart(id: string, response: unknown): MessagePart {
  const part: { type: 'tool_call_response'; id?: string; response: unknown } = { type: 'tool_call_response', response };
  if (id) part.id = id;
  return part;
}

/**
 * Tool-call arguments as a value: JSON strings (OpenAI, OpenLLMetry, OpenInference send the raw argument
 * string) are parsed, so every convention yields the same shape; text that is not JSON stays a string.
 */
export function parseArgs(value: unknown): unknown {
  if (typeof value !== 'string') return value === undefined ? null : value;
  const t = value.trim();
  if (t === '') return value;
  const first = t[0];
  if (first === '{' || first === '[' || first === '"') {
    const parsed = parseJson(t);
    return parsed === undefined ? value : parsed;
  }
  return value;
}

function copyRecord(r: Record<string, unknown>): MessagePart {
  return { ...r, type: str(r.type) || 'unknown' };
}

/** One content part in any of the shapes seen (OTel part, OpenAI content part, Vercel content part). */
export function contentPart(p: unknown): MessagePart | null {
  if (typeof p === 'string') return textPart(p);
  if (!isRecord(p)) return null;
  const type = str(p.type);
  switch (type) {
    case 'text':
    case 'input_text':
    case 'output_text':
      return textPart(str(p.content ?? p.text));
    case 'reasoning':
    case 'thinking':
      return { type: 'reasoning', content: str(p.content ?? p.text ?? p.thinking) };
    // The id that links a call to its result. @opentelemetry/instrumentation-openai (Responses API) sends the
    // output item's id as `id` and the linking id as `call_id` (what `function_call_output` refers to).
    case 'tool_call':
      return toolCallPart(str(p.call_id) || str(p.id), str(p.name), parseArgs(p.arguments));
    case 'tool_call_response':
      return toolResponsePart(str(p.call_id) || str(p.id), p.response !== undefined ? p.response : (p.result ?? null));
    case 'tool-call': // Vercel AI SDK (v4: args, v5+: input)
      return toolCallPart(str(p.toolCallId), str(p.toolName), parseArgs(p.input !== undefined ? p.input : p.args));
    case 'tool-result': // Vercel AI SDK (v4: result, v5+: output {type, value})
      return toolResponsePart(str(p.toolCallId), vercelToolOutput(p.output !== undefined ? p.output : p.result));
    case 'tool_use': // Anthropic-shaped content block
      return toolCallPart(str(p.id), str(p.name), parseArgs(p.input));
    case 'tool_result':
      return toolResponsePart(str(p.tool_use_id ?? p.id), p.content ?? null);
    case '':
      if (typeof p.text === 'string') return textPart(p.text);
      if (typeof p.content === 'string') return textPart(p.content);
      return null;
    default:
      return copyRecord(p);
  }
}

function vercelToolOutput(output: unknown): unknown {
  // v5+ wraps tool output as {type: 'text' | 'json' | 'error-text' | 'error-json', value}; keep other shapes.
  if (isRecord(output) && typeof output.type === 'string' && 'value' in output) {
    const t = output.type;
    if (t === 'text' || t === 'json' || t === 'error-text' || t === 'error-json') return output.value;
  }
  return output === undefined ? null : output;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    let out = '';
    for (const p of content) {
      if (typeof p === 'string') out += p;
      else if (isRecord(p)) out += str(p.text ?? p.content);
    }
    return out;
  }
  if (content === undefined || content === null) return '';
  return JSON.stringify(content);
}

function partsFromContent(content: unknown, into: MessagePart[]): void {
  if (typeof content === 'string') {
    if (content !== '') into.push(textPart(content));
  } else if (Array.isArray(content)) {
    for (const p of content) {
      const part = contentPart(p);
      if (part) into.push(part);
    }
  } else if (isRecord(content)) {
    const part = contentPart(content);
    if (part) into.push(part);
  }
}

function openAIToolCalls(toolCalls: unknown, into: MessagePart[]): void {
  if (!Array.isArray(toolCalls)) return;
  for (const tc of toolCalls) {
    if (!isRecord(tc)) continue;
    const fn = isRecord(tc.function) ? tc.function : undefined;
    if (fn) into.push(toolCallPart(str(tc.id), str(fn.name), parseArgs(fn.arguments)));
    else if (tc.type === 'tool_call' || 'name' in tc) into.push(toolCallPart(str(tc.id), str(tc.name), parseArgs(tc.arguments ?? tc.args)));
  }
}

function isToolRole(role: string): boolean {
  return role === 'tool' || role === 'function' || role === 'ipython';
}

/**
 * One message in any of the known shapes; null when it is not an object. `defaultRole` fills a missing role
 * (the per-message events imply it by their name).
 */
export function toMessage(m: unknown, defaultRole = 'user'): Message | null {
  if (!isRecord(m)) return null;
  const role = str(m.role) || defaultRole;
  const parts: MessagePart[] = [];
  if (Array.isArray(m.parts)) {
    for (const p of m.parts) {
      const part = contentPart(p);
      if (part) parts.push(part);
    }
  } else {
    const content = m.content;
    const vercelResults = Array.isArray(content) && content.some((p) => isRecord(p) && (p.type === 'tool-result' || p.type === 'tool_result'));
    if (isToolRole(role) && !vercelResults) {
      const id = str(m.tool_call_id ?? m.id ?? (role === 'function' ? m.name : undefined));
      parts.push(toolResponsePart(id, typeof content === 'string' || Array.isArray(content) ? contentText(content) : (content ?? null)));
    } else {
      partsFromContent(content, parts);
    }
    openAIToolCalls(m.tool_calls, parts);
    if (isRecord(m.function_call)) {
      parts.push(toolCallPart('', str(m.function_call.name), parseArgs(m.function_call.arguments)));
    }
  }
  const msg: Message = { role, parts };
  const name = str(m.name);
  if (name) msg.name = name;
  const finish = str(m.finish_reason);
  if (finish) msg.finish_reason = finish;
  return msg;
}

/** A list of messages (JSON-safe value, already parsed); anything that is not an array yields []. */
export function toMessages(value: unknown, defaultRole = 'user'): Message[] {
  if (!Array.isArray(value)) return [];
  const out: Message[] = [];
  for (const m of value) {
    const msg = toMessage(m, defaultRole);
    if (msg) out.push(msg);
  }
  return out;
}

/** `gen_ai.system_instructions`: a list of parts (or plain text) → one system message, or none. */
export function systemMessage(value: unknown): Message[] {
  const parts: MessagePart[] = [];
  if (typeof value === 'string') {
    if (value !== '') parts.push(textPart(value));
  } else if (Array.isArray(value)) {
    for (const p of value) {
      const part = contentPart(p);
      if (part) parts.push(part);
    }
  } else if (isRecord(value)) {
    const part = contentPart(value);
    if (part) parts.push(part);
  }
  return parts.length > 0 ? [{ role: 'system', parts }] : [];
}

/** An OpenAI chat completion choice `{index, finish_reason, message: {...}}` → output message. */
export function choiceMessage(choice: unknown): Message | null {
  if (!isRecord(choice)) return null;
  const inner = isRecord(choice.message) ? choice.message : isRecord(choice.delta) ? choice.delta : undefined;
  let msg: Message | null;
  if (inner) msg = toMessage(inner, 'assistant');
  else if (typeof choice.text === 'string') msg = { role: 'assistant', parts: [textPart(choice.text)] };
  else msg = { role: 'assistant', parts: [] };
  if (!msg) return null;
  const finish = str(choice.finish_reason);
  if (finish) msg.finish_reason = finish;
  return msg;
}

/**
 * Messages from a loosely-typed prompt value: a message array, `{messages: [...]}` (a request body), a
 * `{choices: [...]}` response body, or plain text (as `fallbackRole`).
 */
export function looseMessages(value: unknown, fallbackRole: string): Message[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value === '' ? [] : [{ role: fallbackRole, parts: [textPart(value)] }];
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return value.map((v) => ({ role: fallbackRole, parts: [textPart(v as string)] }));
    return toMessages(value, fallbackRole);
  }
  if (isRecord(value)) {
    if (Array.isArray(value.choices)) {
      const out: Message[] = [];
      for (const c of value.choices) {
        const m = choiceMessage(c);
        if (m) out.push(m);
      }
      return out;
    }
    if (Array.isArray(value.messages)) {
      const msgs = value.messages;
      // LangChain batches: messages: [[...]]
      if (msgs.length > 0 && Array.isArray(msgs[0])) return toMessages(msgs[0], fallbackRole);
      return toMessages(msgs, fallbackRole);
    }
    if (typeof value.prompt === 'string') return [{ role: fallbackRole, parts: [textPart(value.prompt)] }];
    if ('role' in value || 'parts' in value || 'content' in value) {
      const m = toMessage(value, fallbackRole);
      return m ? [m] : [];
    }
  }
  return [];
}
