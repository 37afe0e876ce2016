// Builders for the normalized Message / MessagePart shape (the OTel GenAI one) from the message shapes the
// instrumentations actually send: OTel GenAI `{role, parts}`, OpenAI chat `{role, content, tool_calls,
// tool_call_id}`, OpenAI Responses items (`message`, `function_call`, `function_call_output`), Vercel AI SDK
// `{role, content: string | [{type: 'text' | 'tool-call' | 'tool-result', ...}]}`, Anthropic content blocks
// (`text`, `tool_use`, `tool_result`, `thinking`), Bedrock Converse blocks (`{text}`, `{toolUse}`, `{toolResult}`,
// `{reasoningContent}`; what strands-agents records), Gemini parts (`{text}`, `{functionCall}`,
// `{functionResponse}`, role `model`), LangChain message dicts (`{type: 'human' | 'ai' | 'tool', content,
// tool_calls}` and the serialized `{lc, id, kwargs}` form), and the bodies of the deprecated per-message GenAI
// events. A content that arrives as the JSON text of such blocks is read as the blocks. Input is already JSON-safe
// (see util.structured).

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

/** A tool result's content blocks (Bedrock `[{text} | {json}]`, Anthropic `[{type: 'text', text}]`) as one value. */
function toolResultValue(content: unknown): unknown {
  if (!Array.isArray(content)) return content === undefined ? null : content;
  const values = content.map((b) => (isRecord(b) ? (b.json !== undefined ? b.json : typeof b.text === 'string' ? b.text : b) : b));
  if (values.every((v) => typeof v === 'string')) return values.join('');
  return values.length === 1 ? values[0] : values;
}

/** Whether a value is a list of text / json result blocks only (and not a tool's own list of records). */
function isResultBlocks(v: unknown): boolean {
  return (
    Array.isArray(v) &&
    v.length > 0 &&
    v.every((b) => isRecord(b) && (b.type === undefined || b.type === 'text' || b.type === 'json') && (typeof b.text === 'string' || b.json !== undefined))
  );
}

/** Parts keyed by their one field, with no `type` (Bedrock Converse blocks, Gemini parts). */
function keyedPart(p: Record<string, unknown>): MessagePart | null {
  if (isRecord(p.toolUse)) {
    const u = p.toolUse;
    return toolCallPart(str(u.toolUseId) || str(u.id), str(u.name), parseArgs(u.input));
  }
  if (isRecord(p.toolResult)) {
    const r = p.toolResult;
    return toolResponsePart(str(r.toolUseId) || str(r.id), toolResultValue(r.content));
  }
  if (isRecord(p.reasoningContent)) {
    const r = p.reasoningContent;
    const text = isRecord(r.reasoningText) ? str(r.reasoningText.text) : str(r.text);
    return { type: 'reasoning', content: text };
  }
  if (isRecord(p.functionCall)) {
    const f = p.functionCall;
    return toolCallPart(str(f.id), str(f.name), parseArgs(f.args));
  }
  if (isRecord(p.functionResponse)) {
    const f = p.functionResponse;
    return toolResponsePart(str(f.id) || str(f.name), f.response === undefined ? null : f.response);
  }
  if (isRecord(p.tool_call)) {
    // Haystack ChatMessage blocks.
    const t = p.tool_call;
    return toolCallPart(str(t.id), str(t.tool_name), parseArgs(t.arguments));
  }
  if (isRecord(p.tool_call_result)) {
    const r = p.tool_call_result;
    const origin = isRecord(r.origin) ? r.origin : {};
    return toolResponsePart(str(origin.id), r.result === undefined ? null : r.result);
  }
  if (isRecord(p.reasoning) && typeof p.reasoning.reasoning_text === 'string') return { type: 'reasoning', content: p.reasoning.reasoning_text };
  if (typeof p.text === 'string') return p.thought === true ? { type: 'reasoning', content: p.text } : textPart(p.text);
  if (typeof p.content === 'string') return textPart(p.content);
  return null;
}

const BLOCK_KEYS = ['text', 'toolUse', 'toolResult', 'reasoningContent', 'functionCall', 'functionResponse', 'tool_call', 'tool_call_result', 'type'] as const;

function isBlock(v: unknown): boolean {
  return isRecord(v) && BLOCK_KEYS.some((k) => k in v);
}

/**
 * Content given as the JSON text of content blocks (strands-agents writes Bedrock blocks this way into its
 * message events): the blocks, or undefined when the text is not such JSON, so ordinary text stays text.
 */
export function jsonBlocks(content: unknown): unknown[] | undefined {
  if (typeof content !== 'string') return undefined;
  const t = content.trim();
  if (t.length < 2 || (t[0] !== '[' && t[0] !== '{')) return undefined;
  const parsed = parseJson(t);
  if (Array.isArray(parsed)) return parsed.length > 0 && parsed.every(isBlock) ? parsed : undefined;
  return isBlock(parsed) ? [parsed] : undefined;
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
    case 'tool_call_response': {
      const response = p.response !== undefined ? p.response : (p.result ?? null);
      // A result given as content blocks ([{text: '7'}], strands-agents) is the value they hold.
      return toolResponsePart(str(p.call_id) || str(p.id), isResultBlocks(response) ? toolResultValue(response) : response);
    }
    case 'tool-call': // Vercel AI SDK (v4: args, v5+: input)
      return toolCallPart(str(p.toolCallId), str(p.toolName), parseArgs(p.input !== undefined ? p.input : p.args));
    case 'tool-result': // Vercel AI SDK (v4: result, v5+: output {type, value})
      return toolResponsePart(str(p.toolCallId), vercelToolOutput(p.output !== undefined ? p.output : p.result));
    case 'tool_use': // Anthropic-shaped content block
      return toolCallPart(str(p.id), str(p.name), parseArgs(p.input));
    case 'tool_result':
      return toolResponsePart(str(p.tool_use_id ?? p.id), toolResultValue(p.content));
    case 'function_call': // OpenAI Responses item
      return toolCallPart(str(p.call_id) || str(p.id), str(p.name), parseArgs(p.arguments));
    case 'function_call_output':
      return toolResponsePart(str(p.call_id) || str(p.id), p.output === undefined ? null : p.output);
    case '':
      return keyedPart(p);
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
  content = jsonBlocks(content) ?? content;
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

/** LangChain message types and Gemini's `model` → chat roles. */
const ROLE_ALIASES: Readonly<Record<string, string>> = {
  human: 'user',
  ai: 'assistant',
  model: 'assistant',
  system: 'system',
  tool: 'tool',
  function: 'function',
  chat: 'user',
  // smolagents replays its steps as these roles, sent to the model as assistant and user turns.
  'tool-call': 'assistant',
  'tool-response': 'user',
  HumanMessage: 'user',
  AIMessage: 'assistant',
  AIMessageChunk: 'assistant',
  SystemMessage: 'system',
  ToolMessage: 'tool',
  FunctionMessage: 'function',
};

/** The `type` values of LangChain's message dicts (`message_to_dict`, `dumpd`), which name the role. */
const LANGCHAIN_TYPES: ReadonlySet<string> = new Set(['human', 'ai', 'system', 'tool', 'function', 'chat', 'AIMessageChunk', 'HumanMessageChunk']);

/** A role under the name a chat API gives it (LangChain's human / ai, Gemini's model, smolagents' tool-call). */
export function alias(role: string): string {
  return Object.prototype.hasOwnProperty.call(ROLE_ALIASES, role) ? (ROLE_ALIASES[role] as string) : role;
}

/** A serialized LangChain message `{lc: 1, type: 'constructor', id: [..., 'HumanMessage'], kwargs}` → its fields with a role. */
function unwrapLangChain(m: Record<string, unknown>): Record<string, unknown> {
  if (m.lc === undefined || !isRecord(m.kwargs)) return m;
  const cls = Array.isArray(m.id) ? str(m.id[m.id.length - 1]) : '';
  const kw = m.kwargs;
  return { ...kw, role: str(kw.role) || (cls ? alias(cls) : '') || str(kw.type) };
}

/** An OpenAI Responses input or output item that is not a message → the message it stands for. */
function responsesItem(m: Record<string, unknown>): Message | null {
  if (m.role !== undefined) return null;
  if (m.type === 'function_call') return { role: 'assistant', parts: [toolCallPart(str(m.call_id) || str(m.id), str(m.name), parseArgs(m.arguments))] };
  if (m.type === 'function_call_output') return { role: 'tool', parts: [toolResponsePart(str(m.call_id), m.output === undefined ? null : m.output)] };
  if (m.type === 'reasoning' && Array.isArray(m.summary)) {
    const text = m.summary.map((x) => (isRecord(x) ? str(x.text) : '')).join('');
    return { role: 'assistant', parts: [{ type: 'reasoning', content: text }] };
  }
  return null;
}

/**
 * One message in any of the known shapes; null when it is not an object. `defaultRole` fills a missing role
 * (the per-message events imply it by their name).
 */
export function toMessage(raw: unknown, defaultRole = 'user'): Message | null {
  if (!isRecord(raw)) return null;
  const item = responsesItem(raw);
  if (item) return item;
  const m = unwrapLangChain(raw);
  // LangChain dicts name the role `type` (human, ai, tool); a Responses item's `type: 'message'` is no role.
  const langChainType = m.role === undefined && typeof m.type === 'string' && LANGCHAIN_TYPES.has(m.type) ? alias(m.type) : '';
  const role = alias(str(m.role)) || langChainType || defaultRole;
  const parts: MessagePart[] = [];
  if (Array.isArray(m.parts)) {
    for (const p of m.parts) {
      const part = contentPart(p);
      if (part) parts.push(part);
    }
    // OTel parts with OpenAI fields beside them (LiteLLM): the tool calls, and a tool message's text as its result.
    openAIToolCalls(m.tool_calls, parts);
    const callId = str(m.tool_call_id);
    if (isToolRole(role) && callId && parts.every((p) => p.type === 'text')) {
      const text = parts.map((p) => (p as { content: string }).content).join('');
      parts.length = 0;
      parts.push(toolResponsePart(callId, text));
    }
  } else {
    const content = jsonBlocks(m.content) ?? m.content;
    const vercelResults =
      Array.isArray(content) &&
      content.some((p) => isRecord(p) && (p.type === 'tool-result' || p.type === 'tool_result' || isRecord(p.toolResult) || isRecord(p.tool_call_result)));
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
  // Tool results sent inside a user turn (Anthropic's tool_result, Gemini's functionResponse, pydantic-ai's
  // request parts) are what a chat API calls tool messages.
  const msg: Message = { role: role === 'user' && parts.length > 0 && parts.every((p) => p.type === 'tool_call_response') ? 'tool' : role, parts };
  // A tool message's name is the tool's (OpenInference, LangChain), which the chat API does not send: the call id
  // already links it.
  const name = str(m.name);
  if (name && msg.role !== 'tool') msg.name = name;
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
  // The message as text, or as the JSON text of its content blocks (strands-agents' gen_ai.choice events).
  else if (typeof choice.message === 'string') msg = toMessage({ role: 'assistant', content: choice.message }, 'assistant');
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
    // A LangChain LLMResult: {generations: [[{text, message}]]}.
    if (Array.isArray(value.generations)) {
      const first = Array.isArray(value.generations[0]) ? value.generations[0][0] : value.generations[0];
      if (isRecord(first) && isRecord(first.message)) {
        const m = toMessage(first.message, fallbackRole);
        return m ? [m] : [];
      }
      return isRecord(first) && typeof first.text === 'string' && first.text !== '' ? [{ role: fallbackRole, parts: [textPart(first.text)] }] : [];
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
