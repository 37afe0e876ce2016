// The normalized training-data model: whatever GenAI convention a span used, it becomes an LlmCall with
// messages in one shape. The message shape is the OpenTelemetry GenAI one (role + typed parts), so a
// current OTel instrumentation's `gen_ai.input.messages` maps onto it unchanged.

export type MessagePart =
  | { type: 'text'; content: string }
  | { type: 'tool_call'; id?: string; name: string; arguments: unknown }
  | { type: 'tool_call_response'; id?: string; response: unknown }
  | { type: 'reasoning'; content: string }
  /** Anything else (images, audio, files, provider-specific blocks), kept as sent. */
  | { type: string; [key: string]: unknown };

export interface Message {
  /** system | user | assistant | tool (or whatever role the instrumentation reported). */
  role: string;
  parts: MessagePart[];
  /** Participant name, when the instrumentation reports one. */
  name?: string;
  /** Output messages only. */
  finish_reason?: string;
}

/**
 * The conventions whose readers can claim a span as an LLM call, in their precedence order (the first to provide
 * a field wins it). The names live here, in the bottom layer, so the schema needs nothing from normalize/; the
 * registry there (normalize/conventions.ts) is typed from this tuple, so the compiler holds it to one reader per
 * name, in this order.
 */
export const CONVENTION_NAMES = [
  'otel-genai',
  'llm-proxy',
  'vercel-ai',
  'openinference',
  'openllmetry',
  'logfire',
  'haystack',
  'otel-genai-legacy',
  'agentlightning',
] as const;

export type SpanConvention = (typeof CONVENTION_NAMES)[number];

/**
 * Where a span's GenAI data came from, for debugging and for the counts on /metrics. `otel-genai-events` marks
 * content that arrived apart from its span (LlmContent, from OTLP log events): no reader claims spans with it.
 */
export type Convention = SpanConvention | 'otel-genai-events';

export interface LlmCall {
  trace_id: string;
  span_id: string;
  parent_span_id: string;
  /** Rollout identity read from this span or its resource ('' when the span carries none). */
  rollout_id: string;
  attempt_id: string;
  /** gen_ai.conversation.id (or an equivalent session id), a fallback rollout identity. */
  conversation_id: string;
  start_time_unix_nano: bigint;
  end_time_unix_nano: bigint;
  /** gen_ai.agent.name, else the service name. */
  agent: string;
  service: string;
  /** gen_ai.provider.name / gen_ai.system. */
  provider: string;
  /** chat, text_completion, embeddings, ... */
  operation: string;
  request_model: string;
  response_model: string;
  /** System instructions come first, as role "system" messages. */
  input: Message[];
  output: Message[];
  finish_reasons: string[];
  input_tokens: number | null;
  output_tokens: number | null;
  /** Input tokens read from the provider's prompt cache (part of input_tokens), when reported. */
  cache_read_input_tokens?: number | null;
  /** Input tokens written to the provider's prompt cache, when reported. */
  cache_creation_input_tokens?: number | null;
  /** Output tokens spent on reasoning (part of output_tokens), when reported. */
  reasoning_tokens?: number | null;
  /** What the call cost in US dollars, when the instrumentation reports it (OpenLIT, AG2, OpenInference's llm.cost.total). */
  cost_usd?: number | null;
  prompt_token_ids: number[];
  response_token_ids: number[];
  response_logprobs: number[];
  /** Resource versions the call used: name → version (tracelight.resource.<name>.version). */
  resources: Record<string, string>;
  /** Tool definitions offered to the model, as sent. */
  tools: unknown[];
  conventions: Convention[];
  status: 'ok' | 'error' | 'unset';
  error: string;
}

/** Content that arrives separately from its span (OTLP log events, span events), joined by (trace_id, span_id). */
export interface LlmContent {
  trace_id: string;
  span_id: string;
  /** Order of arrival within the span, so several events rebuild the conversation in order. */
  seq: number;
  time_unix_nano: bigint;
  input: Message[];
  output: Message[];
  convention: Convention;
}

export interface Reward {
  /** Stable id: the same reward delivered twice keeps one row. */
  reward_id: string;
  rollout_id: string;
  attempt_id: string;
  trace_id: string;
  /** The span the reward judges ('' when it judges the whole rollout). */
  span_id: string;
  name: string;
  value: number;
  label: string;
  explanation: string;
  /** span-event | log-event | agentlightning | api | rollout-complete */
  source: string;
  time_unix_nano: bigint;
  /** Explicitly marked primary (tracelight.reward.primary or the API's `primary`). */
  primary: boolean;
}

/** Rollout identity declared by any span of a trace (usually the agent's root span), inherited by the rest. */
export interface TraceIdentity {
  trace_id: string;
  rollout_id: string;
  attempt_id: string;
  time_unix_nano: bigint;
}

/**
 * A resource version a span that is not an LLM call declares (`tracelight.resource.<name>.version`, e.g. on the
 * rollout's root span after the agent fetched a prompt): the trace's calls that start at or after it and declare
 * no version of that resource themselves ran with it.
 */
export interface TraceResource {
  trace_id: string;
  name: string;
  version: string;
  time_unix_nano: bigint;
}

/** What the normalizers produce from one OTLP batch. */
export interface NormalizedBatch {
  calls: LlmCall[];
  contents: LlmContent[];
  rewards: Reward[];
  identities: TraceIdentity[];
  traceResources: TraceResource[];
  /** Spans that matched no GenAI convention (kept raw in otel_traces only). */
  unmatchedSpans: number;
  /** Derived numeric values dropped because the training columns cannot hold them (set when > 0). */
  droppedValues?: number;
  /** Spans whose operation marker names an operation no table knows (normalize/operations.ts), by marker and name (set when any). */
  unknownOperations?: UnknownOperation[];
}

export interface UnknownOperation {
  /** The attribute that named it (`gen_ai.operation.name`, `openinference.span.kind`, …). */
  source: string;
  operation: string;
  spans: number;
}

/** Canonical JSON (object keys sorted), so a value re-serialized by another layer still compares equal. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** What identifies one tool call across sources that may lose its id: the tool's name and its arguments. */
export function toolCallSignature(name: unknown, args: unknown): string {
  return `${String(name ?? '')}\u0000${canonicalJson(args ?? null)}`;
}

/** The optional token counts beside input_tokens / output_tokens (llm_calls columns of the same names). */
export const USAGE_DETAIL_FIELDS = ['cache_read_input_tokens', 'cache_creation_input_tokens', 'reasoning_tokens'] as const;
export type UsageDetailField = (typeof USAGE_DETAIL_FIELDS)[number];

const UINT32_MAX = 4_294_967_295;
const FLOAT32_MAX = 3.4028234663852886e38;
const isCount = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= UINT32_MAX;
const isLogprob = (n: number): boolean => Number.isFinite(n) && Math.abs(n) <= FLOAT32_MAX;

/**
 * Clears the numeric fields of `call` that its llm_calls columns (UInt32 counts and token ids, Float32
 * logprobs) cannot hold, and returns how many it cleared. A span's attributes are the sender's to choose:
 * `input_tokens = -5` or a token id of 1.5 must cost that one value, never the request (the engine would
 * refuse the row) and never a silent wrap (99999999999 stored as 1215752191).
 */
export function dropUnstorableNumbers(call: LlmCall): number {
  let dropped = 0;
  if (call.input_tokens !== null && !isCount(call.input_tokens)) {
    call.input_tokens = null;
    dropped++;
  }
  if (call.output_tokens !== null && !isCount(call.output_tokens)) {
    call.output_tokens = null;
    dropped++;
  }
  for (const k of USAGE_DETAIL_FIELDS) {
    const v = call[k];
    if (v !== undefined && v !== null && !isCount(v)) {
      call[k] = null;
      dropped++;
    }
  }
  if (call.cost_usd !== undefined && call.cost_usd !== null && !(Number.isFinite(call.cost_usd) && call.cost_usd >= 0)) {
    call.cost_usd = null;
    dropped++;
  }
  if (!call.prompt_token_ids.every(isCount)) {
    call.prompt_token_ids = [];
    dropped++;
  }
  if (!call.response_token_ids.every(isCount)) {
    call.response_token_ids = [];
    dropped++;
  }
  if (!call.response_logprobs.every(isLogprob)) {
    call.response_logprobs = [];
    dropped++;
  }
  return dropped;
}

/** tracelight's own attribute keys, used only where no standard exists (docs/architecture.md). */
export const TL = {
  rolloutId: 'tracelight.rollout.id',
  attemptId: 'tracelight.attempt.id',
  resourceVersionPrefix: 'tracelight.resource.',
  resourceVersionSuffix: '.version',
  rewardPrimary: 'tracelight.reward.primary',
} as const;

/** The model ids tracelight's simulated OpenAI-compatible model answers as (examples/simulated-model). */
export const SIMULATED_MODEL_IDS = ['sim-small', 'sim-large'] as const;

/** Whether a model name is the simulated model's, so what it produced is never mistaken for a real LLM's. */
export function isSimulatedModel(model: string): boolean {
  return SIMULATED_MODEL_IDS.some((id) => model === id || model.startsWith(`${id}-`));
}
