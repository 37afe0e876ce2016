// OpenTelemetry GenAI semantic conventions, current and deprecated forms.
//
// Current (semconv ≥ 1.37, `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`): span attributes
// `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`, `gen_ai.response.model`,
// `gen_ai.response.finish_reasons`, `gen_ai.usage.input_tokens` / `output_tokens`, and, with content capture,
// `gen_ai.input.messages` / `gen_ai.output.messages` / `gen_ai.system_instructions` / `gen_ai.tool.definitions`
// (JSON strings on spans; structured AnyValue arrays on log records and from SDKs that send them). The same
// message attributes may ride on the `gen_ai.client.inference.operation.details` event (a span event, or an
// OTLP log record with `event_name`).
//
// Deprecated: `gen_ai.system`, `gen_ai.usage.prompt_tokens` / `completion_tokens`, the `gen_ai.prompt` /
// `gen_ai.completion` JSON attributes (semconv ≤ 1.27, also on `gen_ai.content.prompt` /
// `gen_ai.content.completion` span events), and the per-message events `gen_ai.system.message`,
// `gen_ai.user.message`, `gen_ai.assistant.message`, `gen_ai.tool.message`, `gen_ai.choice` (OTLP log records
// from @opentelemetry/instrumentation-openai and opentelemetry-instrumentation-openai-v2; event name in
// `eventName` or the `event.name` attribute, content in the body; some SDKs put them on the span as span events
// with the body JSON in `gen_ai.event.content`).
//
// Two readers, current and legacy. A span with only the deprecated identification (gen_ai.system + a model) is
// still a call, but OpenLLMetry, Vercel AI SDK and Agent Lightning spans carry those keys too, so those keys alone
// make the legacy reader claim a span only when no other convention does (its fallback claim).

import type { Message } from '../schemas/genai.js';
import type { AttrValue, SpanEventRecord, SpanRecord } from '../schemas/telemetry.js';
import type { ConventionReader } from './convention.js';
import type { CallDraft } from './draft.js';
import { setFinish, setMessages, setStr, setTokens, setTools } from './draft.js';
import { choiceMessage, looseMessages, systemMessage, toMessage, toMessages } from './messages.js';
import { readUsageDetails } from './usage.js';
import { int, isRecord, str, strList, structured, structuredOnly } from './util.js';
import type { Attrs } from './util.js';

export const EVENT_OPERATION_DETAILS = 'gen_ai.client.inference.operation.details';
export const EVENT_EVALUATION_RESULT = 'gen_ai.evaluation.result';

/** Deprecated per-message events → the role they imply and whether they describe output. */
const PER_MESSAGE_EVENTS: Readonly<Record<string, { role: string; output: boolean }>> = {
  'gen_ai.system.message': { role: 'system', output: false },
  'gen_ai.user.message': { role: 'user', output: false },
  'gen_ai.assistant.message': { role: 'assistant', output: false },
  'gen_ai.tool.message': { role: 'tool', output: false },
  'gen_ai.choice': { role: 'assistant', output: true },
};

export function isPerMessageEvent(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(PER_MESSAGE_EVENTS, name);
}

function isLegacyContentEvent(name: string): boolean {
  return name === 'gen_ai.content.prompt' || name === 'gen_ai.content.completion' || isPerMessageEvent(name);
}

function hasEvent(span: SpanRecord, pred: (name: string) => boolean): boolean {
  const events = span.events;
  if (!events) return false;
  for (const e of events) if (pred(e.name)) return true;
  return false;
}

/** The gen_ai.* fields every convention shares (Vercel, OpenLLMetry, Agent Lightning spans carry them too). */
export function readCommonGenAI(attrs: Attrs, d: CallDraft): void {
  setStr(d, 'provider', str(attrs['gen_ai.provider.name']) || str(attrs['gen_ai.system']));
  setStr(d, 'operation', str(attrs['gen_ai.operation.name']));
  setStr(d, 'request_model', str(attrs['gen_ai.request.model']));
  setStr(d, 'response_model', str(attrs['gen_ai.response.model']));
  const finish = attrs['gen_ai.response.finish_reasons'];
  if (finish !== undefined) setFinish(d, strList(finish));
  setTokens(
    d,
    int(attrs['gen_ai.usage.input_tokens'] ?? attrs['gen_ai.usage.prompt_tokens']),
    int(attrs['gen_ai.usage.output_tokens'] ?? attrs['gen_ai.usage.completion_tokens']),
  );
  readUsageDetails(attrs, d);
}

export interface MessageSet {
  system: Message[];
  input: Message[];
  output: Message[];
  tools: unknown[];
}

/** The current message attributes, read from any attribute map (span attributes, event or log attributes). */
export function readMessageAttributes(attrs: Attrs): MessageSet {
  const out: MessageSet = { system: [], input: [], output: [], tools: [] };
  const sys = attrs['gen_ai.system_instructions'];
  if (sys !== undefined) out.system = systemMessage(structured(sys));
  const input = attrs['gen_ai.input.messages'];
  if (input !== undefined) out.input = toMessages(structuredOnly(input), 'user');
  const output = attrs['gen_ai.output.messages'];
  if (output !== undefined) out.output = toMessages(structuredOnly(output), 'assistant');
  const tools = attrs['gen_ai.tool.definitions'];
  if (tools !== undefined) {
    const t = structuredOnly(tools);
    if (Array.isArray(t)) out.tools = t;
  }
  return out;
}

function applyMessageSet(d: CallDraft, set: MessageSet): void {
  setMessages(d, 'system', set.system);
  setMessages(d, 'input', set.input);
  setMessages(d, 'output', set.output);
  setTools(d, set.tools);
}

export const otelGenAI: ConventionReader<'otel-genai'> = {
  name: 'otel-genai',
  // Current-convention markers on the span (cheap key lookups, then event names).
  claims(span, attrs) {
    return (
      attrs['gen_ai.operation.name'] !== undefined ||
      attrs['gen_ai.provider.name'] !== undefined ||
      attrs['gen_ai.input.messages'] !== undefined ||
      attrs['gen_ai.output.messages'] !== undefined ||
      attrs['gen_ai.system_instructions'] !== undefined ||
      hasEvent(span, (n) => n === EVENT_OPERATION_DETAILS)
    );
  },
  read(span, attrs, d) {
    applyMessageSet(d, readMessageAttributes(attrs));
    for (const e of span.events ?? []) {
      if (e.name === EVENT_OPERATION_DETAILS) applyMessageSet(d, readMessageAttributes(e.attributes ?? {}));
    }
  },
};

export const otelGenAILegacy: ConventionReader<'otel-genai-legacy'> = {
  name: 'otel-genai-legacy',
  // Deprecated content carriers on the span: `gen_ai.prompt` / `gen_ai.completion` JSON, content span events.
  claims(span, attrs) {
    return attrs['gen_ai.prompt'] !== undefined || attrs['gen_ai.completion'] !== undefined || hasEvent(span, isLegacyContentEvent);
  },
  // Only the deprecated identification attributes (gen_ai.system + a model): still an LLM call.
  claimsAsFallback(_span, attrs) {
    return attrs['gen_ai.system'] !== undefined && (attrs['gen_ai.request.model'] !== undefined || attrs['gen_ai.response.model'] !== undefined);
  },
  // `gen_ai.prompt` / `gen_ai.completion` JSON strings (OpenAI message format), on the span or its events.
  read(span, attrs, d) {
    readLegacyPromptAttrs(attrs, d);
    const input: Message[] = [];
    const output: Message[] = [];
    for (const e of span.events ?? []) {
      const name = e.name;
      if (name === 'gen_ai.content.prompt' || name === 'gen_ai.content.completion') {
        readLegacyPromptAttrs(e.attributes ?? {}, d);
      } else if (isPerMessageEvent(name)) {
        const m = perMessageEventMessage(name, spanEventBody(e));
        if (m) (m.output ? output : input).push(m.message);
      }
    }
    setMessages(d, 'input', input);
    setMessages(d, 'output', output);
  },
};

function readLegacyPromptAttrs(attrs: Attrs, d: CallDraft): void {
  const prompt = attrs['gen_ai.prompt'];
  if (typeof prompt === 'string' || Array.isArray(prompt)) setMessages(d, 'input', looseMessages(structured(prompt), 'user'));
  const completion = attrs['gen_ai.completion'];
  if (typeof completion === 'string' || Array.isArray(completion)) setMessages(d, 'output', looseMessages(structured(completion), 'assistant'));
}

function spanEventBody(e: SpanEventRecord): unknown {
  const attrs = e.attributes ?? {};
  const content = attrs['gen_ai.event.content'];
  if (content !== undefined) return structured(content);
  // Some SDKs flatten the body into the event attributes.
  return structured(attrs as AttrValue);
}

/**
 * One deprecated per-message event body → a message. Bodies: `{content, role?}` (system/user),
 * `{content, tool_calls}` (assistant), `{content, id}` (tool), `{index, finish_reason, message: {...}}` (choice).
 */
export function perMessageEventMessage(eventName: string, body: unknown): { message: Message; output: boolean } | null {
  const spec = PER_MESSAGE_EVENTS[eventName];
  if (!spec) return null;
  if (typeof body === 'string') body = { content: body };
  if (!isRecord(body)) body = {};
  const rec = body as Record<string, unknown>;
  if (spec.output) {
    const m = choiceMessage(rec.message !== undefined || rec.finish_reason !== undefined ? rec : { message: rec });
    return m ? { message: m, output: true } : null;
  }
  const m = toMessage(rec, spec.role);
  return m ? { message: m, output: false } : null;
}
