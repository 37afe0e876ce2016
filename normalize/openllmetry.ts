// OpenLLMetry / Traceloop legacy attributes (@traceloop/instrumentation-openai < the OTel-messages rewrite,
// Python traceloop-sdk / opentelemetry-instrumentation-openai, AgentOps and LiteLLM's `litellm_request` spans,
// which copy the same keys):
//   gen_ai.prompt.{i}.role | .content | .name | .tool_call_id | .tool_calls.{k}.id | .name | .arguments
//   gen_ai.completion.{i}.role | .content | .finish_reason | .tool_calls.{k}.* | .function_call.name | .arguments
//   llm.request.type (chat | completion | embedding | rerank; AgentOps, Agent Lightning's tracer, writes the same
//   values as gen_ai.request.type), gen_ai.system ("OpenAI", "openai", ...),
//   gen_ai.request.model, gen_ai.response.model, gen_ai.usage.prompt_tokens / completion_tokens (newer releases:
//   input_tokens / output_tokens), llm.usage.total_tokens, llm.request.functions.{i}.name | .description |
//   .parameters (Python) / .arguments (JS), traceloop.association.properties.*.
// A `content` that was a list of parts is sent as its JSON text.
// An embedding or rerank request type is no call (operations.ts), though those spans carry the same
// `gen_ai.prompt.{i}.*` content keys.

import type { Message, MessagePart } from '../schemas/genai.js';
import type { ConventionReader } from './convention.js';
import type { CallDraft } from './draft.js';
import { setFinish, setMessages, setStr, setTokens, setTools } from './draft.js';
import { contentPart, parseArgs, textPart, toolCallPart, toolResponsePart } from './messages.js';
import { groupIndexed, int, isRecord, parseJson, str, structuredOnly } from './util.js';
import type { Attrs } from './util.js';

/** `llm.request.type`, or AgentOps' `gen_ai.request.type` with the same values. */
function requestType(attrs: Attrs): string {
  return str(attrs['llm.request.type']) || str(attrs['gen_ai.request.type']);
}

function contentParts(content: unknown, into: MessagePart[]): void {
  if (typeof content !== 'string' || content === '') return;
  // A list of content parts arrives as its JSON text; only treat it as parts when it really is one.
  const first = content.trimStart()[0];
  if (first === '[') {
    const parsed = parseJson(content);
    if (Array.isArray(parsed) && parsed.length > 0 && parsed.every((p) => isRecord(p) && typeof p.type === 'string')) {
      for (const p of parsed) {
        const part = contentPart(p);
        if (part) into.push(part);
      }
      return;
    }
  }
  into.push(textPart(content));
}

function traceloopMessage(rec: Record<string, unknown>, defaultRole: string): Message | null {
  const role = str(rec.role) || defaultRole;
  const parts: MessagePart[] = [];
  if (role === 'tool' || role === 'function') {
    parts.push(toolResponsePart(str(rec.tool_call_id) || (role === 'function' ? str(rec.name) : ''), str(rec.content)));
  } else {
    contentParts(rec.content, parts);
  }
  for (const tc of groupIndexed(rec, 'tool_calls.')) {
    parts.push(toolCallPart(str(tc.id), str(tc.name), parseArgs(tc.arguments)));
  }
  const fnName = str(rec['function_call.name']);
  if (fnName) parts.push(toolCallPart('', fnName, parseArgs(rec['function_call.arguments'])));
  if (parts.length === 0 && rec.role === undefined) return null;
  const msg: Message = { role, parts };
  const name = str(rec.name);
  if (name && role !== 'function') msg.name = name;
  const finish = str(rec.finish_reason);
  if (finish) msg.finish_reason = finish;
  return msg;
}

function traceloopMessages(attrs: Attrs, prefix: string, defaultRole: string): Message[] {
  const out: Message[] = [];
  for (const rec of groupIndexed(attrs, prefix)) {
    const m = traceloopMessage(rec, defaultRole);
    if (m) out.push(m);
  }
  return out;
}

export const openLLMetry: ConventionReader<'openllmetry'> = {
  name: 'openllmetry',
  claims(_span, attrs) {
    return (
      attrs['llm.request.type'] !== undefined ||
      attrs['gen_ai.prompt.0.role'] !== undefined ||
      attrs['gen_ai.prompt.0.content'] !== undefined ||
      attrs['gen_ai.completion.0.role'] !== undefined ||
      attrs['gen_ai.completion.0.content'] !== undefined ||
      attrs['gen_ai.completion.0.finish_reason'] !== undefined
    );
  },
  read(_span, attrs, d) {
    readTraceloopSpan(attrs, d);
  },
};

/** The flattened `gen_ai.prompt.{i}.*` / `gen_ai.completion.{i}.*` content, request type, usage and functions. */
function readTraceloopSpan(attrs: Attrs, d: CallDraft): void {
  const reqType = requestType(attrs);
  setStr(d, 'operation', reqType === 'completion' ? 'text_completion' : reqType);
  setTokens(d, int(attrs['llm.usage.prompt_tokens']), int(attrs['llm.usage.completion_tokens']));
  setMessages(d, 'input', traceloopMessages(attrs, 'gen_ai.prompt.', 'user'));
  const output = traceloopMessages(attrs, 'gen_ai.completion.', 'assistant');
  setMessages(d, 'output', output);
  const finish = output.map((m) => m.finish_reason ?? '').filter((f) => f !== '');
  setFinish(d, finish);

  const tools: unknown[] = [];
  for (const f of groupIndexed(attrs, 'llm.request.functions.')) {
    const name = str(f.name);
    if (!name) continue;
    const def: Record<string, unknown> = { type: 'function', name };
    const description = str(f.description);
    if (description) def.description = description;
    const params = structuredOnly(f.parameters ?? f.arguments);
    if (params !== undefined) def.parameters = params;
    tools.push(def);
  }
  setTools(d, tools);
}
