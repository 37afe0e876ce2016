// Vercel AI SDK (`ai` package, `experimental_telemetry`), v3.3 – v6.
//
// Spans: `ai.generateText` / `ai.streamText` / `ai.generateObject` / `ai.streamObject` wrap a whole call (with
// tool round trips); each provider request is a child `ai.generateText.doGenerate` / `ai.streamText.doStream` /
// `ai.generateObject.doGenerate` / `ai.streamObject.doStream` span. Only the provider-request spans are LLM
// calls: the wrappers repeat their children's content and summed usage, so counting them would double count.
// The operation is read from `ai.operationId` (the span name is `ai.generateText.doGenerate` through v6, but
// may follow the OTel `{operation} {model}` form in releases that adopt the GenAI conventions).
//
// Provider-request attributes: `ai.prompt.messages` (JSON: [{role, content: string | [{type: 'text', text} |
// {type: 'tool-call', toolCallId, toolName, input|args} | {type: 'tool-result', toolCallId, toolName,
// output|result} | {type: 'reasoning', text} | {type: 'file', ...}]}]), `ai.prompt.tools` (string[], each a JSON
// tool), `ai.response.text`, `ai.response.reasoning`, `ai.response.toolCalls` (JSON: [{toolCallId, toolName,
// input|args}]), `ai.response.object` (JSON text), `ai.response.finishReason`, `ai.response.model`,
// `ai.model.id`, `ai.model.provider`, `ai.usage.promptTokens` / `completionTokens` (≤ v4) and
// `ai.usage.inputTokens` / `outputTokens` (v5+), `ai.telemetry.functionId`, `ai.telemetry.metadata.*`, plus
// `gen_ai.*` duplicates (read by the common reader first). v3 used `ai.result.*` and `ai.finishReason`.
// Releases that emit the OTel GenAI attributes (`gen_ai.operation.name`, `gen_ai.input.messages`, ...) are
// read by the OTel GenAI reader on the same span, so the span is still one call. The wrappers and the other
// `ai.*` spans (tool calls, embeddings) are no calls by the operation table (operations.ts), not merely left
// unclaimed: they can carry `gen_ai.*` keys (a wrapper's model and summed usage) that another convention would
// claim them by.

import type { Message, MessagePart } from '../schemas/genai.js';
import type { ConventionReader } from './convention.js';
import type { CallDraft } from './draft.js';
import { setFinish, setMessages, setStr, setTokens, setTools } from './draft.js';
import { parseArgs, textPart, toMessages, toolCallPart } from './messages.js';
import { VERCEL_AI_OPERATIONS, vercelOperation } from './operations.js';
import { int, isRecord, str, structured, structuredOnly } from './util.js';
import type { Attrs } from './util.js';

function toolCallParts(value: unknown, into: MessagePart[]): void {
  if (!Array.isArray(value)) return;
  for (const tc of value) {
    if (!isRecord(tc)) continue;
    into.push(toolCallPart(str(tc.toolCallId), str(tc.toolName), parseArgs(tc.input !== undefined ? tc.input : tc.args)));
  }
}

export const vercelAI: ConventionReader<'vercel-ai'> = {
  name: 'vercel-ai',
  claims(span, attrs) {
    return VERCEL_AI_OPERATIONS[vercelOperation(span, attrs)] === 'inference';
  },
  read(_span, attrs, d) {
    readProviderRequest(attrs, d);
  },
};

/** A provider-request span's `ai.*` attributes → the call's fields. */
function readProviderRequest(attrs: Attrs, d: CallDraft): void {
  setStr(d, 'operation', 'chat');
  setStr(d, 'provider', str(attrs['ai.model.provider']));
  setStr(d, 'request_model', str(attrs['ai.model.id']));
  setStr(d, 'response_model', str(attrs['ai.response.model']));
  setTokens(d, int(attrs['ai.usage.inputTokens'] ?? attrs['ai.usage.promptTokens']), int(attrs['ai.usage.outputTokens'] ?? attrs['ai.usage.completionTokens']));

  const promptMessages = attrs['ai.prompt.messages'];
  if (promptMessages !== undefined) setMessages(d, 'input', toMessages(structuredOnly(promptMessages), 'user'));

  const parts: MessagePart[] = [];
  const reasoning = str(attrs['ai.response.reasoning']);
  if (reasoning) parts.push({ type: 'reasoning', content: reasoning });
  const text = attrs['ai.response.text'] ?? attrs['ai.result.text'];
  if (typeof text === 'string' && text !== '') parts.push(textPart(text));
  const object = attrs['ai.response.object'] ?? attrs['ai.result.object'];
  if (typeof object === 'string' && object !== '') parts.push(textPart(object));
  const toolCalls = attrs['ai.response.toolCalls'] ?? attrs['ai.result.toolCalls'];
  if (toolCalls !== undefined) toolCallParts(structuredOnly(toolCalls), parts);
  const finish = str(attrs['ai.response.finishReason']) || str(attrs['ai.finishReason']);
  if (parts.length > 0) {
    const msg: Message = { role: 'assistant', parts };
    if (finish) msg.finish_reason = finish;
    setMessages(d, 'output', [msg]);
  }
  if (finish) setFinish(d, [finish]);

  const tools = attrs['ai.prompt.tools'];
  if (Array.isArray(tools)) {
    const defs: unknown[] = [];
    for (const t of tools) {
      const def = structured(t);
      if (def !== undefined) defs.push(def);
    }
    setTools(d, defs);
  } else if (typeof tools === 'string') {
    const defs = structuredOnly(tools);
    if (Array.isArray(defs))
      setTools(
        d,
        defs.map((t) => (typeof t === 'string' ? (structured(t) ?? t) : t)),
      );
  }
}
