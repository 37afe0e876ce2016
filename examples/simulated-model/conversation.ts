// One normalized view of a request, whichever endpoint it came through, so the behaviours are
// written once for Chat Completions, the Responses API and legacy Completions.

import type { ChatRequest, CompletionsRequest, ResponseInputItem, ResponsesRequest } from './schemas.js';

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface Turn {
  role: Role;
  text: string;
  toolCalls?: ToolCall[];
  /** For tool results: the call they answer. */
  toolCallId?: string;
}

export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export interface Conversation {
  turns: Turn[];
  tools: ToolSpec[];
  toolChoice: ToolChoice;
  /** Structured output requested through response_format / text.format. */
  json: { schema?: Record<string, unknown> } | null;
}

function partsText(content: unknown): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p: { type?: string; text?: unknown; refusal?: unknown }) => (typeof p.text === 'string' ? p.text : typeof p.refusal === 'string' ? p.refusal : ''))
    .filter((t) => t !== '')
    .join('\n');
}

export function fromChatRequest(req: ChatRequest): Conversation {
  const turns: Turn[] = req.messages.map((m): Turn => {
    switch (m.role) {
      case 'assistant':
        return {
          role: 'assistant',
          text: partsText(m.content),
          toolCalls: m.tool_calls?.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })),
        };
      case 'tool':
        return { role: 'tool', text: partsText(m.content), toolCallId: m.tool_call_id };
      case 'function':
        return { role: 'tool', text: m.content ?? '', toolCallId: m.name };
      default:
        return { role: m.role, text: partsText(m.content) };
    }
  });
  const tools = (req.tools ?? []).map((t) => ({
    name: t.function.name,
    description: t.function.description ?? '',
    parameters: (t.function.parameters ?? {}) as Record<string, unknown>,
  }));
  let json: Conversation['json'] = null;
  const rf = req.response_format;
  if (rf?.type === 'json_object') json = {};
  if (rf?.type === 'json_schema') json = { schema: (rf.json_schema as { schema?: Record<string, unknown> }).schema };
  return { turns, tools, toolChoice: chatToolChoice(req.tool_choice), json };
}

function chatToolChoice(choice: ChatRequest['tool_choice']): ToolChoice {
  if (choice == null) return 'auto';
  if (typeof choice === 'string') return choice;
  if (choice.type === 'function') return { name: (choice as { function: { name: string } }).function.name };
  return 'auto';
}

export function responsesTurns(input: ResponsesRequest['input']): Turn[] {
  if (typeof input === 'string') return [{ role: 'user', text: input }];
  const turns: Turn[] = [];
  for (const item of input as ResponseInputItem[]) {
    const type = item.type ?? 'message';
    if (type === 'message') {
      turns.push({ role: item.role as Role, text: partsText(item.content) });
    } else if (type === 'function_call') {
      const call = { id: item.call_id as string, name: item.name as string, arguments: item.arguments as string };
      // Consecutive calls belong to one assistant turn, as parallel calls do in Chat Completions.
      const last = turns[turns.length - 1];
      if (last?.role === 'assistant' && last.toolCalls && last.text === '') last.toolCalls.push(call);
      else turns.push({ role: 'assistant', text: '', toolCalls: [call] });
    } else if (type === 'function_call_output') {
      turns.push({ role: 'tool', text: partsText(item.output), toolCallId: item.call_id as string });
    }
  }
  return turns;
}

export function fromResponsesRequest(req: ResponsesRequest, previous: Turn[] = []): Conversation {
  const turns: Turn[] = [];
  if (req.instructions) turns.push({ role: 'developer', text: req.instructions });
  turns.push(...previous.filter((t) => t.role !== 'developer' || !req.instructions), ...responsesTurns(req.input));
  const tools = (req.tools ?? [])
    .filter((t) => t.type === 'function')
    .map((t) => ({ name: t.name as string, description: t.description ?? '', parameters: (t.parameters ?? {}) as Record<string, unknown> }));
  let toolChoice: ToolChoice = 'auto';
  const tc = req.tool_choice;
  if (typeof tc === 'string') toolChoice = tc;
  else if (tc && tc.type === 'function' && tc.name) toolChoice = { name: tc.name };
  let json: Conversation['json'] = null;
  const fmt = req.text?.format;
  if (fmt?.type === 'json_object') json = {};
  if (fmt?.type === 'json_schema') json = { schema: fmt.schema };
  return { turns, tools, toolChoice, json };
}

export function fromCompletionPrompt(prompt: string): Conversation {
  return { turns: [{ role: 'user', text: prompt }], tools: [], toolChoice: 'none', json: null };
}

export function promptsOf(req: CompletionsRequest): string[] {
  const p = req.prompt;
  if (typeof p === 'string') return [p];
  if (p.length > 0 && typeof p[0] === 'string') return p as string[];
  // Token-id prompts: the toy tokenizer cannot decode them, so they read as an opaque prompt.
  if (p.length > 0 && typeof p[0] === 'number') return [`[${(p as number[]).length} prompt tokens]`];
  return (p as number[][]).map((ids) => `[${ids.length} prompt tokens]`);
}

/** Text that can carry instructions: everything the system, developer and user said. */
export function instructionText(conv: Conversation): string {
  return conv.turns
    .filter((t) => t.role === 'system' || t.role === 'developer' || t.role === 'user')
    .map((t) => t.text)
    .join('\n\n');
}

export function lastUserIndex(conv: Conversation): number {
  for (let i = conv.turns.length - 1; i >= 0; i--) if (conv.turns[i]?.role === 'user') return i;
  return -1;
}

/** Tool calls made and results received since the user last spoke, in order. */
export function toolExchangeSinceLastUser(conv: Conversation): { calls: ToolCall[]; results: Turn[] } {
  const start = lastUserIndex(conv);
  const calls: ToolCall[] = [];
  const results: Turn[] = [];
  for (const t of conv.turns.slice(start + 1)) {
    if (t.role === 'assistant' && t.toolCalls) calls.push(...t.toolCalls);
    if (t.role === 'tool') results.push(t);
  }
  return { calls, results };
}
