// Normalizers: one OTLP batch (spans or log records) → LLM calls, separately-arriving content, rewards and
// rollout identities (schemas/genai.ts). Pure and synchronous; they never throw: a span that cannot be read is
// counted as unmatched, a malformed attribute only loses what it held.
//
// A span is an LLM call when its operation markers do not name another kind of operation (operations.ts) and
// some convention claims it (cheap key lookups first; JSON is parsed only for claimed spans). Each claiming convention then fills
// the fields still empty, most precise first, so a span that carries several conventions is one call. Which
// conventions exist, and their order, is the registry's (conventions.ts); what is left here are the passes that
// join spans to each other (LiteLLM raw token spans, AgentOps tool-call spans) and rewards and identities.

import {
  dropUnstorableNumbers,
  USAGE_DETAIL_FIELDS,
  type LlmCall,
  type LlmContent,
  type Message,
  type MessagePart,
  type NormalizedBatch,
  type Reward,
  type SpanConvention,
  type UnknownOperation,
} from '../schemas/genai.js';
import type { LogRecordRecord, SpanRecord } from '../schemas/telemetry.js';
import { agentOpsToolCall, rawRequestTokenIds } from './agentlightning.js';
import type { RawTokenIds } from './agentlightning.js';
import { detectCall, readConventions } from './conventions.js';
import { newDraft } from './draft.js';
import { normalizeFinishReason } from './finish-reasons.js';
import {
  AgentResolver,
  IdentityCollector,
  readConversationId,
  readResourceVersions,
  readRolloutIdentity,
  serviceName,
  TraceResourceCollector,
} from './identity.js';
import {
  EVENT_EVALUATION_RESULT,
  EVENT_OPERATION_DETAILS,
  isPerMessageEvent,
  perMessageEventMessage,
  readCommonGenAI,
  readMessageAttributes,
} from './otel-genai.js';
import { ResponseIdIndex, rewardFromLog, rewardsFromSpan } from './rewards.js';
import { str, structured } from './util.js';
import type { Attrs } from './util.js';

export { detectConventions } from './conventions.js';
export { EVENT_EVALUATION_RESULT, EVENT_OPERATION_DETAILS } from './otel-genai.js';
export { PROXY_PROMPT_TOKEN_IDS, PROXY_RESPONSE_LOGPROBS, PROXY_RESPONSE_TOKEN_IDS } from './llm-proxy.js';

const STATUS: ReadonlyArray<LlmCall['status']> = ['unset', 'ok', 'error'];

function buildCall(span: SpanRecord, conventions: SpanConvention[], agents: AgentResolver): LlmCall {
  const attrs = span.attributes ?? {};
  const resource = span.resource ?? {};
  const d = newDraft();
  readCommonGenAI(attrs, d);
  readConventions(span, attrs, conventions, d);
  const identity = readRolloutIdentity(attrs, resource);
  const output = outputOf(d.output ?? []);
  let finish = d.finish_reasons?.map(normalizeFinishReason) ?? null;
  if (finish === null) {
    finish = [];
    for (const m of output) if (m.finish_reason) finish.push(m.finish_reason);
  }
  // Gemini (and ADK's LiteLLM bridge) report STOP for a turn that ends in tool calls: it stopped to call them.
  if (output[0]?.parts.some((p) => p.type === 'tool_call') && finish[0] === 'stop') finish = ['tool_call', ...finish.slice(1)];
  const service = serviceName(resource);
  const status = STATUS[span.statusCode] ?? 'unset';
  return {
    trace_id: span.traceId,
    span_id: span.spanId,
    parent_span_id: span.parentSpanId,
    rollout_id: identity.rollout_id,
    attempt_id: identity.attempt_id,
    conversation_id: readConversationId(attrs, resource),
    start_time_unix_nano: span.startTimeUnixNano,
    end_time_unix_nano: span.endTimeUnixNano,
    agent: agents.resolve(span) || service,
    service,
    provider: d.provider,
    operation: d.operation || 'chat',
    request_model: d.request_model,
    response_model: d.response_model,
    input: withSystem(d.system ?? [], historyOf(d.input ?? [])),
    output,
    finish_reasons: finish,
    input_tokens: d.input_tokens,
    output_tokens: d.output_tokens,
    ...d.usage,
    ...(d.cost_usd !== null ? { cost_usd: d.cost_usd } : {}),
    prompt_token_ids: d.prompt_token_ids ?? [],
    response_token_ids: d.response_token_ids ?? [],
    response_logprobs: d.response_logprobs ?? [],
    resources: readResourceVersions(attrs, resource),
    tools: d.tools ?? [],
    conventions,
    status,
    error: status === 'error' ? span.statusMessage || str(attrs['error.type']) : '',
  };
}

/**
 * A message without the empty text parts some instrumentations record beside a tool call (a null content), so
 * a message reads the same whichever instrumentation recorded it.
 */
function tidy(m: Message): Message {
  return m.parts.some((p) => p.type === 'text' && (p as { content: unknown }).content === '')
    ? { ...m, parts: m.parts.filter((p) => !(p.type === 'text' && (p as { content: unknown }).content === '')) }
    : m;
}

/** System instructions before the history, unless the history already opens with them (OpenLIT records both). */
function withSystem(system: Message[], history: Message[]): Message[] {
  if (system.length === 0) return history;
  const same = system.every((m, i) => history[i]?.role === 'system' && JSON.stringify(history[i]?.parts) === JSON.stringify(m.parts));
  return same ? history : [...system, ...history];
}

/** Output messages with their finish reasons in the one vocabulary (finish-reasons.ts). */
function outputOf(output: Message[]): Message[] {
  return output.map((m) => {
    const t = tidy(m);
    if (t.finish_reason === undefined) return t;
    const finish = normalizeFinishReason(t.finish_reason);
    // A turn that ends in tool calls stopped to call them, whatever the provider says (Gemini: STOP).
    return { ...t, finish_reason: finish === 'stop' && t.parts.some((p) => p.type === 'tool_call') ? 'tool_call' : finish };
  });
}

/** A history's assistant turns as sent back to the model: a finish reason is the output's, not the prompt's. */
function historyOf(input: Message[]): Message[] {
  return input.map((m) => {
    const t = tidy(m);
    if (t.finish_reason === undefined) return t;
    const { finish_reason: _finish, ...rest } = t;
    return rest;
  });
}

/** A call span that says nothing at all: no messages, usage, model or token ids (LlamaIndex's tool-preparation span). */
function isEmptyCall(c: LlmCall): boolean {
  return (
    c.input.length === 0 &&
    c.output.length === 0 &&
    c.input_tokens === null &&
    c.output_tokens === null &&
    USAGE_DETAIL_FIELDS.every((k) => c[k] === undefined || c[k] === null) &&
    (c.cost_usd === undefined || c.cost_usd === null) &&
    !c.request_model &&
    !c.response_model &&
    c.prompt_token_ids.length === 0 &&
    c.response_token_ids.length === 0
  );
}

/**
 * Calls that another call of the batch descends from are that call's wrappers, not requests of their own:
 * LlamaIndex traces its chat method twice, nested; an Agent's step wraps its generator's run. The innermost call
 * is the request the model served. (A wrapper exported in another batch than its inner call is not seen.)
 */
function dropWrappersAndEmpties(spans: readonly SpanRecord[], out: NormalizedBatch, callsBySpan: Map<string, LlmCall>): void {
  if (out.calls.length === 0) return;
  const parentOf = new Map<string, string>();
  for (const s of spans) if (s.parentSpanId) parentOf.set(`${s.traceId}/${s.spanId}`, `${s.traceId}/${s.parentSpanId}`);
  const wrappers = new Set<LlmCall>();
  for (const c of out.calls) {
    const seen = new Set<string>();
    for (let p = parentOf.get(`${c.trace_id}/${c.span_id}`); p !== undefined && !seen.has(p); p = parentOf.get(p)) {
      seen.add(p);
      const outer = callsBySpan.get(p);
      if (outer) wrappers.add(outer);
    }
  }
  const kept = out.calls.filter((c) => !wrappers.has(c) && !isEmptyCall(c));
  if (kept.length === out.calls.length) return;
  out.unmatchedSpans += out.calls.length - kept.length;
  out.calls = kept;
}

/** Drops the values no training column can hold, counting them (see dropUnstorableNumbers). */
function finish(out: NormalizedBatch): NormalizedBatch {
  let dropped = 0;
  for (const c of out.calls) dropped += dropUnstorableNumbers(c);
  if (dropped > 0) out.droppedValues = dropped;
  return out;
}

function emptyBatch(): NormalizedBatch {
  return { calls: [], contents: [], rewards: [], identities: [], traceResources: [], unmatchedSpans: 0 };
}

export function normalizeSpans(spans: readonly SpanRecord[]): NormalizedBatch {
  const out = emptyBatch();
  const identities = new IdentityCollector();
  const traceResources = new TraceResourceCollector();
  const agents = new AgentResolver(spans);
  const responses = new ResponseIdIndex(spans);
  const callsBySpan = new Map<string, LlmCall>();
  const rawTokenSpans: Array<{ span: SpanRecord; ids: RawTokenIds }> = [];
  const toolCallSpans: Array<{ span: SpanRecord; part: MessagePart }> = [];
  const unknown = new UnknownOperations();

  for (const span of spans) {
    try {
      const attrs = span.attributes ?? {};
      const identity = readRolloutIdentity(attrs, span.resource ?? {});
      identities.add(span.traceId, identity, span.startTimeUnixNano);
      let matched = false;

      const rewards: Reward[] = rewardsFromSpan(span, identity, responses);
      if (rewards.length > 0) {
        out.rewards.push(...rewards);
        matched = true;
      }

      const { conventions, operation } = detectCall(span);
      if (operation?.kind === 'unknown') unknown.add(operation.source, operation.operation);
      // A call's own versions are on the call; a version on another span (the rollout root, an agent span)
      // is the trace's, for the calls that come after it.
      if (conventions.length === 0) traceResources.add(span.traceId, readResourceVersions(attrs, {}), span.startTimeUnixNano);
      if (conventions.length > 0) {
        const call = buildCall(span, conventions, agents);
        out.calls.push(call);
        callsBySpan.set(`${span.traceId}/${span.spanId}`, call);
        matched = true;
      } else {
        const ids = rawRequestTokenIds(span);
        const toolCall = ids ? null : agentOpsToolCall(span);
        if (ids) {
          rawTokenSpans.push({ span, ids });
          matched = true;
        } else if (toolCall) {
          toolCallSpans.push({ span, part: toolCall });
          matched = true;
        }
      }
      if (!matched) out.unmatchedSpans++;
    } catch {
      out.unmatchedSpans++;
    }
  }

  dropWrappersAndEmpties(spans, out, callsBySpan);

  // LiteLLM raw request spans: their token ids belong to the parent `litellm_request` call.
  for (const { span, ids } of rawTokenSpans) {
    try {
      const parent = callsBySpan.get(`${span.traceId}/${span.parentSpanId}`);
      if (parent) {
        if (parent.prompt_token_ids.length === 0 && ids.prompt) parent.prompt_token_ids = ids.prompt;
        if (parent.response_token_ids.length === 0 && ids.response) parent.response_token_ids = ids.response;
        continue;
      }
      // The parent call is not in this batch: keep the token ids as a call of their own.
      const call = buildCall(span, ['agentlightning'], agents);
      call.prompt_token_ids = ids.prompt ?? [];
      call.response_token_ids = ids.response ?? [];
      out.calls.push(call);
    } catch {
      out.unmatchedSpans++;
    }
  }

  // AgentOps tool-call spans: the tool calls their parent LLM call returned (agentlightning.ts).
  for (const { span, part } of toolCallSpans) {
    const parent = callsBySpan.get(`${span.traceId}/${span.parentSpanId}`);
    if (!parent) {
      out.unmatchedSpans++;
      continue;
    }
    let message = parent.output[0];
    if (!message) {
      message = { role: 'assistant', parts: [] };
      parent.output.push(message);
    }
    const id = (part as { id?: string }).id;
    if (!message.parts.some((p) => p.type === 'tool_call' && (p as { id?: string }).id === id)) message.parts.push(part);
  }

  out.identities = identities.list();
  out.traceResources = traceResources.list();
  const unknownList = unknown.list();
  if (unknownList.length > 0) out.unknownOperations = unknownList;
  return finish(out);
}

/** Longest operation name kept for the metric label; a sender chooses it, so it is cut. */
const MAX_OPERATION_LABEL = 80;

class UnknownOperations {
  private readonly counts = new Map<string, UnknownOperation>();
  add(source: string, operation: string): void {
    const name = operation.length > MAX_OPERATION_LABEL ? operation.slice(0, MAX_OPERATION_LABEL) : operation;
    const key = `${source}\u0000${name}`;
    const seen = this.counts.get(key);
    if (seen) seen.spans++;
    else this.counts.set(key, { source, operation: name, spans: 1 });
  }
  list(): UnknownOperation[] {
    return [...this.counts.values()];
  }
}

/** The GenAI event name of a log record: the OTLP `event_name` field, else the older `event.name` attribute. */
function logEventName(rec: LogRecordRecord): string {
  return rec.eventName || str(rec.attributes?.['event.name']);
}

export function normalizeLogs(logs: readonly LogRecordRecord[]): NormalizedBatch {
  const out = emptyBatch();
  const identities = new IdentityCollector();
  const seqBySpan = new Map<string, number>();

  const nextSeq = (rec: LogRecordRecord): number => {
    const key = `${rec.traceId}/${rec.spanId}`;
    const seq = seqBySpan.get(key) ?? 0;
    seqBySpan.set(key, seq + 1);
    return seq;
  };

  for (const rec of logs) {
    try {
      const name = logEventName(rec);
      if (!name.startsWith('gen_ai.')) continue;
      const attrs = rec.attributes ?? {};
      const identity = readRolloutIdentity(attrs, rec.resource ?? {});
      identities.add(rec.traceId, identity, rec.timeUnixNano || rec.observedTimeUnixNano);

      if (name === EVENT_EVALUATION_RESULT) {
        const reward = rewardFromLog(rec, identity);
        if (reward) out.rewards.push(reward);
        continue;
      }
      if (!rec.traceId || !rec.spanId) continue;
      const time = rec.timeUnixNano || rec.observedTimeUnixNano;

      if (name === EVENT_OPERATION_DETAILS) {
        // Message attributes on the record; a body carrying the same keys is accepted too.
        let set = readMessageAttributes(attrs);
        if (set.input.length === 0 && set.output.length === 0 && set.system.length === 0) {
          const body = structured(rec.body);
          if (body && typeof body === 'object' && !Array.isArray(body)) set = readMessageAttributes(body as Attrs);
        }
        if (set.input.length === 0 && set.output.length === 0 && set.system.length === 0) continue;
        out.contents.push(content(rec, nextSeq(rec), time, [...set.system, ...set.input], set.output));
        continue;
      }
      if (isPerMessageEvent(name)) {
        const m = perMessageEventMessage(name, structured(rec.body));
        // Without content capture the events still arrive, with empty bodies: nothing to keep.
        if (!m || m.message.parts.length === 0) continue;
        out.contents.push(content(rec, nextSeq(rec), time, m.output ? [] : [m.message], m.output ? [m.message] : []));
      }
    } catch {
      // A record that cannot be read is skipped; it is still stored raw in otel_logs.
    }
  }
  out.identities = identities.list();
  return finish(out);
}

function content(rec: LogRecordRecord, seq: number, time: bigint, input: LlmContent['input'], output: LlmContent['output']): LlmContent {
  return {
    trace_id: rec.traceId,
    span_id: rec.spanId,
    seq,
    time_unix_nano: time,
    input: historyOf(input),
    output: outputOf(output),
    convention: 'otel-genai-events',
  };
}
