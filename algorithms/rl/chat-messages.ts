// Trainers read chat messages in OpenAI's wire shape (role, content, tool_calls, tool_call_id), not tracelight's
// parts. One conversion serves every export, so the SFT, DPO and verl files agree on how a tool call, a tool
// result or a reasoning block is written.
import type { Message, MessagePart } from '../../schemas/genai.js';

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: string;
  content: string | null;
  name?: string;
  tool_calls?: ChatToolCall[];
  tool_call_id?: string;
}

const asText = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v ?? null));

/**
 * One internal message → one or more chat messages: tool results become `tool` messages of their own (one per
 * result, as OpenAI requires); reasoning parts are left out (no fine-tuning format has a place for them), and
 * other parts (images, files) are written as their JSON.
 */
export function toChatMessages(m: Message, seq: { n: number } = { n: 0 }): ChatMessage[] {
  const text: string[] = [];
  const calls: ChatToolCall[] = [];
  const results: ChatMessage[] = [];
  for (const p of m.parts as MessagePart[]) {
    if (p.type === 'text') text.push(String(p.content ?? ''));
    else if (p.type === 'tool_call') {
      const c = p as { id?: string; name: string; arguments: unknown };
      calls.push({ id: c.id || `call_${seq.n++}`, type: 'function', function: { name: c.name, arguments: asText(c.arguments) } });
    } else if (p.type === 'tool_call_response') {
      const r = p as { id?: string; response: unknown };
      results.push({ role: 'tool', content: asText(r.response), tool_call_id: r.id ?? '' });
    } else if (p.type !== 'reasoning') text.push(JSON.stringify(p));
  }
  const out: ChatMessage[] = [];
  if (text.length > 0 || calls.length > 0 || results.length === 0) {
    const msg: ChatMessage = { role: m.role, content: text.length > 0 ? text.join('') : calls.length > 0 ? null : '' };
    if (m.name) msg.name = m.name;
    if (calls.length > 0) msg.tool_calls = calls;
    out.push(msg);
  }
  return out.concat(results);
}

/** A conversation; tool results without an id take the id of the tool call they answer, in order. */
export function toChat(messages: readonly Message[]): ChatMessage[] {
  const seq = { n: 0 };
  const out = messages.flatMap((m) => toChatMessages(m, seq));
  const pending: string[] = [];
  for (const m of out) {
    for (const c of m.tool_calls ?? []) pending.push(c.id);
    if (m.role !== 'tool') continue;
    const i = m.tool_call_id ? pending.indexOf(m.tool_call_id) : 0;
    const [answered] = i >= 0 ? pending.splice(i, 1) : [];
    if (!m.tool_call_id && answered) m.tool_call_id = answered;
  }
  return out;
}
