// The mutable LLM-call record that convention readers fill in. Readers run in a fixed order (most precise
// convention first), so a span that carries two conventions (a Vercel AI SDK span with gen_ai.* duplicates, an
// Agent Lightning span with OpenLLMetry content) becomes one call, never two, and the better source wins field by
// field. Precedence decides only between values that say something: a field a reader left empty, or filled with
// nothing (messages without content, a zero token count), is filled by the next reader that has it, and a message
// list that lacks only the tool calls another source gives for the same messages gets them (the empty
// gen_ai.output.messages beside indexed legacy tool calls, the assistant turn of a history that lost its call).

import { toolCallSignature, type Convention, type Message, type MessagePart, type UsageDetailField } from '../schemas/genai.js';

export interface CallDraft {
  provider: string;
  operation: string;
  request_model: string;
  response_model: string;
  system: Message[] | null;
  input: Message[] | null;
  output: Message[] | null;
  finish_reasons: string[] | null;
  input_tokens: number | null;
  output_tokens: number | null;
  usage: Partial<Record<UsageDetailField, number>>;
  cost_usd: number | null;
  prompt_token_ids: number[] | null;
  response_token_ids: number[] | null;
  response_logprobs: number[] | null;
  tools: unknown[] | null;
  conventions: Convention[];
}

export function newDraft(): CallDraft {
  return {
    provider: '',
    operation: '',
    request_model: '',
    response_model: '',
    system: null,
    input: null,
    output: null,
    finish_reasons: null,
    input_tokens: null,
    output_tokens: null,
    usage: {},
    cost_usd: null,
    prompt_token_ids: null,
    response_token_ids: null,
    response_logprobs: null,
    tools: null,
    conventions: [],
  };
}

type StringField = 'provider' | 'operation' | 'request_model' | 'response_model';
type ListField = 'system' | 'input' | 'output';

export function setStr(d: CallDraft, field: StringField, value: string): void {
  if (!d[field] && value) d[field] = value;
}

export function setMessages(d: CallDraft, field: ListField, value: Message[]): void {
  if (value.length === 0) return;
  const current = d[field];
  d[field] = current === null ? value : mergeMessages(current, value);
}

/** Whether a part says anything: text that is not blank, or any tool call, tool result or other part. */
function informative(p: MessagePart): boolean {
  if (p.type === 'text' || p.type === 'reasoning') return typeof p.content === 'string' && p.content.trim() !== '';
  return true;
}

function informativeParts(m: Message): number {
  let n = 0;
  for (const p of m.parts) if (informative(p)) n++;
  return n;
}

const TOOL_PART_TYPES: ReadonlySet<string> = new Set(['tool_call', 'tool_call_response']);

/** The key two sources share for one tool call or result: its id, else its name and arguments. */
function toolKey(p: MessagePart): string {
  const id = (p as { id?: unknown }).id;
  if (typeof id === 'string' && id !== '') return `${p.type}:${id}`;
  return `${p.type}:${String((p as { name?: unknown }).name ?? '')}:${JSON.stringify((p as { arguments?: unknown }).arguments ?? (p as { response?: unknown }).response ?? null)}`;
}

/**
 * The message list the current value and a later source's agree on: the current one, with what it lacks taken
 * from the later one. A list without any content gives way whole; lists of the same turns merge turn by turn.
 */
export function mergeMessages(current: Message[], later: Message[]): Message[] {
  const have = current.reduce((n, m) => n + informativeParts(m), 0);
  const sameTurns = current.length === later.length && current.every((m, i) => m.role === (later[i] as Message).role);
  if (sameTurns) return current.map((m, i) => mergeMessage(m, later[i] as Message));
  if (have === 0) return later.reduce((n, m) => n + informativeParts(m), 0) > 0 ? later : current;
  return current;
}

/** The turn with the ids another source gives its tool calls and results (the same call: name and arguments). */
function withIds(m: Message, later: Message): Message {
  const missing = m.parts.some((p) => TOOL_PART_TYPES.has(p.type) && !(p as { id?: string }).id);
  if (!missing) return m;
  const callIds = new Map<string, string>();
  const resultIds: string[] = [];
  for (const p of later.parts) {
    const id = (p as { id?: unknown }).id;
    if (typeof id !== 'string' || id === '') continue;
    if (p.type === 'tool_call') callIds.set(toolCallSignature((p as { name?: unknown }).name, (p as { arguments?: unknown }).arguments), id);
    else if (p.type === 'tool_call_response') resultIds.push(id);
  }
  let r = 0;
  const parts = m.parts.map((p) => {
    if (p.type === 'tool_call_response') {
      const id = resultIds[r++];
      return (p as { id?: string }).id || !id ? p : { ...p, id };
    }
    if (p.type !== 'tool_call' || (p as { id?: string }).id) return p;
    const id = callIds.get(toolCallSignature((p as { name?: unknown }).name, (p as { arguments?: unknown }).arguments));
    return id ? { ...p, id } : p;
  });
  return { ...m, parts };
}

function mergeMessage(current: Message, later: Message): Message {
  const m = withIds(current, later);
  if (informativeParts(m) === 0 && informativeParts(later) > 0) {
    const merged: Message = { ...m, parts: later.parts };
    if (!merged.finish_reason && later.finish_reason) merged.finish_reason = later.finish_reason;
    return merged;
  }
  const keys = new Set(m.parts.filter((p) => TOOL_PART_TYPES.has(p.type)).map(toolKey));
  const missing = later.parts.filter((p) => TOOL_PART_TYPES.has(p.type) && !keys.has(toolKey(p)));
  // Tool calls of the same turn with other ids are the same calls told twice: only a turn without any takes them.
  if (missing.length === 0 || keys.size > 0) return m.finish_reason || !later.finish_reason ? m : { ...m, finish_reason: later.finish_reason };
  const merged: Message = { ...m, parts: [...m.parts.filter(informative), ...missing] };
  if (!merged.finish_reason && later.finish_reason) merged.finish_reason = later.finish_reason;
  return merged;
}

export function setFinish(d: CallDraft, value: string[]): void {
  if (d.finish_reasons === null && value.length > 0) d.finish_reasons = value;
}

/** A zero from one source (a wrapper's or a streaming span's placeholder) gives way to a count from another. */
export function setTokens(d: CallDraft, input: number | null, output: number | null): void {
  if ((d.input_tokens === null || d.input_tokens === 0) && input !== null && (d.input_tokens === null || input > 0)) d.input_tokens = input;
  if ((d.output_tokens === null || d.output_tokens === 0) && output !== null && (d.output_tokens === null || output > 0)) d.output_tokens = output;
}

export function setUsageDetail(d: CallDraft, field: UsageDetailField, value: number | null): void {
  const current = d.usage[field];
  if (value !== null && (current === undefined || (current === 0 && value > 0))) d.usage[field] = value;
}

export function setNumbers(d: CallDraft, field: 'prompt_token_ids' | 'response_token_ids' | 'response_logprobs', value: number[] | null): void {
  if (d[field] === null && value !== null && value.length > 0) d[field] = value;
}

export function setTools(d: CallDraft, value: unknown[]): void {
  if (d.tools === null && value.length > 0) d.tools = value;
}
