// Agent Lightning's LightningStore REST API (agentlightning 0.3, `agentlightning.store.client_server`, under
// /v1/agl), as tracelight serves it: the wire shapes (zod, lenient like pydantic's defaults: unknown fields are
// dropped, a span keeps them), the views it answers with, the status table between the two systems, and the pure
// conversions between an Agent Lightning span and the receiver's SpanRecord. The semantics live in
// queue/agl-store.ts, the routes in api/agl-store.ts, the SQL in store/agl.ts.
//
// Times are seconds since the epoch as floats (Agent Lightning's `time.time()`); tracelight keeps milliseconds.
import { z } from 'zod';
import type { AttemptStatus, RolloutStatus } from './rollouts.js';
import type { AttrValue, Attributes, SpanRecord } from './telemetry.js';

export const AGL_PREFIX = '/v1/agl';

export const AGL_ROLLOUT_STATUSES = ['queuing', 'preparing', 'running', 'failed', 'succeeded', 'cancelled', 'requeuing'] as const;
export type AglRolloutStatus = (typeof AGL_ROLLOUT_STATUSES)[number];
export const AGL_ATTEMPT_STATUSES = ['preparing', 'running', 'failed', 'succeeded', 'unresponsive', 'timeout'] as const;
export type AglAttemptStatus = (typeof AGL_ATTEMPT_STATUSES)[number];
export const AGL_WORKER_STATUSES = ['idle', 'busy', 'unknown'] as const;
export type AglWorkerStatus = (typeof AGL_WORKER_STATUSES)[number];
export const AGL_MODES = ['train', 'val', 'test'] as const;

// The one table between the two systems' statuses. Agent Lightning's names are tracelight's (the queue was built
// after its state machine), so each maps to itself; typed both ways, a status added on either side fails to compile.
export const AGL_TO_TRACELIGHT_ROLLOUT_STATUS: Readonly<Record<AglRolloutStatus, RolloutStatus>> = {
  queuing: 'queuing',
  preparing: 'preparing',
  running: 'running',
  failed: 'failed',
  succeeded: 'succeeded',
  cancelled: 'cancelled',
  requeuing: 'requeuing',
};
export const TRACELIGHT_TO_AGL_ROLLOUT_STATUS: Readonly<Record<RolloutStatus, AglRolloutStatus>> = {
  queuing: 'queuing',
  preparing: 'preparing',
  running: 'running',
  failed: 'failed',
  succeeded: 'succeeded',
  cancelled: 'cancelled',
  requeuing: 'requeuing',
};
export const AGL_TO_TRACELIGHT_ATTEMPT_STATUS: Readonly<Record<AglAttemptStatus, AttemptStatus>> = {
  preparing: 'preparing',
  running: 'running',
  failed: 'failed',
  succeeded: 'succeeded',
  unresponsive: 'unresponsive',
  timeout: 'timeout',
};
export const TRACELIGHT_TO_AGL_ATTEMPT_STATUS: Readonly<Record<AttemptStatus, AglAttemptStatus>> = {
  preparing: 'preparing',
  running: 'running',
  failed: 'failed',
  succeeded: 'succeeded',
  unresponsive: 'unresponsive',
  timeout: 'timeout',
};

/** `agentlightning.semconv.LightningResourceAttributes`. */
export const AGL_ROLLOUT_ID_KEY = 'agentlightning.rollout_id';
export const AGL_ATTEMPT_ID_KEY = 'agentlightning.attempt_id';
export const AGL_SEQUENCE_ID_KEY = 'agentlightning.span_sequence_id';

// ---- views (what the routes answer; field order as pydantic dumps them) -------------------------------------

export interface AglRolloutConfig {
  timeout_seconds: number | null;
  unresponsive_seconds: number | null;
  max_attempts: number;
  retry_condition: AglAttemptStatus[];
}

export interface AglAttempt {
  rollout_id: string;
  attempt_id: string;
  sequence_id: number;
  start_time: number;
  end_time: number | null;
  status: AglAttemptStatus;
  worker_id: string | null;
  last_heartbeat_time: number | null;
  metadata: Record<string, unknown> | null;
}

export interface AglRollout {
  rollout_id: string;
  input: unknown;
  start_time: number;
  end_time: number | null;
  mode: (typeof AGL_MODES)[number] | null;
  resources_id: string | null;
  status: AglRolloutStatus;
  config: AglRolloutConfig;
  metadata: Record<string, unknown> | null;
}

export interface AglAttemptedRollout extends AglRollout {
  attempt: AglAttempt;
}

export interface AglWorker {
  worker_id: string;
  status: AglWorkerStatus;
  heartbeat_stats: Record<string, unknown> | null;
  last_heartbeat_time: number | null;
  last_dequeue_time: number | null;
  last_busy_time: number | null;
  last_idle_time: number | null;
  current_rollout_id: string | null;
  current_attempt_id: string | null;
}

export interface AglResourcesUpdate {
  resources_id: string;
  create_time: number;
  update_time: number;
  version: number;
  resources: Record<string, AglResource>;
}

export interface AglPage<T> {
  items: T[];
  limit: number;
  offset: number;
  total: number;
}

/** The model fields each listing may sort by (pydantic's `model_fields`, in order: the 400 names them). */
export const AGL_FIELDS = {
  Rollout: ['rollout_id', 'input', 'start_time', 'end_time', 'mode', 'resources_id', 'status', 'config', 'metadata'],
  Attempt: ['rollout_id', 'attempt_id', 'sequence_id', 'start_time', 'end_time', 'status', 'worker_id', 'last_heartbeat_time', 'metadata'],
  ResourcesUpdate: ['resources_id', 'create_time', 'update_time', 'version', 'resources'],
  Worker: [
    'worker_id',
    'status',
    'heartbeat_stats',
    'last_heartbeat_time',
    'last_dequeue_time',
    'last_busy_time',
    'last_idle_time',
    'current_rollout_id',
    'current_attempt_id',
  ],
  Span: [
    'rollout_id',
    'attempt_id',
    'sequence_id',
    'trace_id',
    'span_id',
    'parent_id',
    'name',
    'status',
    'attributes',
    'events',
    'links',
    'start_time',
    'end_time',
    'context',
    'parent',
    'resource',
  ],
} as const;
export type AglModel = keyof typeof AGL_FIELDS;

// ---- resources (agentlightning.types.resources) -----------------------------------------------------------

const Llm = z.object({
  resource_type: z.literal('llm'),
  endpoint: z.string(),
  model: z.string(),
  api_key: z.string().nullable().default(null),
  sampling_parameters: z.record(z.string(), z.unknown()).default({}),
});
const ProxyLlm = Llm.extend({ resource_type: z.literal('proxy_llm') });
const PromptTemplate = z.object({
  resource_type: z.literal('prompt_template'),
  template: z.string(),
  engine: z.enum(['jinja', 'f-string', 'poml']),
});
export const AglResource = z.discriminatedUnion('resource_type', [Llm, ProxyLlm, PromptTemplate]);
export type AglResource = z.infer<typeof AglResource>;
export const AglNamedResources = z.record(z.string(), AglResource);
export type AglNamedResources = z.infer<typeof AglNamedResources>;

// ---- request bodies and queries ---------------------------------------------------------------------------

const Mode = z.enum(AGL_MODES).nullable();
const Metadata = z.record(z.string(), z.unknown());

export const AglRolloutConfigBody = z.object({
  timeout_seconds: z.number().nullable().default(null),
  unresponsive_seconds: z.number().nullable().default(null),
  max_attempts: z.number().int('must be an integer').min(1, 'must be 1 or more').default(1),
  retry_condition: z.array(z.enum(AGL_ATTEMPT_STATUSES)).default([]),
});
export type AglRolloutConfigBody = z.infer<typeof AglRolloutConfigBody>;

/** `EnqueueRolloutRequest`; `input` is any JSON value, null included. */
export const AglEnqueueRollout = z.object({
  input: z.unknown(),
  mode: Mode.optional(),
  resources_id: z.string().nullable().optional(),
  config: AglRolloutConfigBody.nullable().optional(),
  metadata: Metadata.nullable().optional(),
});
export type AglEnqueueRollout = z.infer<typeof AglEnqueueRollout>;

export const AglStartRolloutBody = AglEnqueueRollout.extend({ worker_id: z.string().nullable().optional() });
export const AglEnqueueManyBody = z.object({ rollouts: z.array(AglEnqueueRollout).max(10_000, 'at most 10000 rollouts per request') });
export const AglDequeueBody = z.object({ limit: z.number().int('must be an integer').default(1), worker_id: z.string().nullable().optional() });
export const AglWorkerIdBody = z.object({ worker_id: z.string().nullable().optional() });

export const AglUpdateRolloutBody = z.object({
  input: z.unknown().optional(),
  mode: Mode.optional(),
  resources_id: z.string().nullable().optional(),
  status: z.enum(AGL_ROLLOUT_STATUSES).nullable().optional(),
  config: AglRolloutConfigBody.nullable().optional(),
  metadata: Metadata.nullable().optional(),
});
export type AglUpdateRolloutBody = z.infer<typeof AglUpdateRolloutBody>;

export const AglUpdateAttemptBody = z.object({
  status: z.enum(AGL_ATTEMPT_STATUSES).nullable().optional(),
  worker_id: z.string().nullable().optional(),
  last_heartbeat_time: z.number().nullable().optional(),
  metadata: Metadata.nullable().optional(),
});
export type AglUpdateAttemptBody = z.infer<typeof AglUpdateAttemptBody>;

export const AglUpdateWorkerBody = z.object({ heartbeat_stats: Metadata.nullable().optional() });

export const AglWaitBody = z.object({ rollout_ids: z.array(z.string()).max(10_000, 'at most 10000 rollout ids'), timeout: z.number().nullable().optional() });
export const AglNextSequenceBody = z.object({ rollout_id: z.string(), attempt_id: z.string() });

const SortOrder = z.enum(['asc', 'desc']).default('asc');
const Logic = z.enum(['and', 'or']).default('and');
const Int = z.number().int('must be an integer');
/** A query parameter given once or repeated (`?status_in=a&status_in=b`). */
const Many = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]));
const QInt = z.coerce.number().int('must be an integer');

const page = { limit: Int.default(-1), offset: Int.default(0), sort_order: SortOrder };
const qpage = { limit: QInt.default(-1), offset: QInt.default(0), sort_order: SortOrder };

export const AglQueryRolloutsBody = z.object({
  status_in: z.array(z.enum(AGL_ROLLOUT_STATUSES)).nullable().optional(),
  rollout_id_in: z.array(z.string()).nullable().optional(),
  rollout_id_contains: z.string().nullable().optional(),
  sort_by: z.string().nullable().optional(),
  filter_logic: Logic,
  ...page,
});
export const AglQueryRolloutsQuery = z.object({
  status_in: Many.pipe(z.array(z.enum(AGL_ROLLOUT_STATUSES))).optional(),
  rollout_id_in: Many.optional(),
  rollout_id_contains: z.string().optional(),
  sort_by: z.string().optional(),
  filter_logic: Logic,
  ...qpage,
});
export type AglQueryRollouts = z.infer<typeof AglQueryRolloutsBody>;

export const AglQueryAttemptsBody = z.object({ sort_by: z.string().nullable().default('sequence_id'), ...page });
export const AglQueryAttemptsQuery = z.object({ sort_by: z.string().default('sequence_id'), ...qpage });
export type AglQueryAttempts = z.infer<typeof AglQueryAttemptsBody>;

export const AglQueryResourcesQuery = z.object({
  resources_id: z.string().optional(),
  resources_id_contains: z.string().optional(),
  sort_by: z.string().optional(),
  ...qpage,
});
export type AglQueryResources = z.infer<typeof AglQueryResourcesQuery>;

const spanFilters = {
  trace_id: z.string().nullable().optional(),
  trace_id_contains: z.string().nullable().optional(),
  span_id: z.string().nullable().optional(),
  span_id_contains: z.string().nullable().optional(),
  parent_id: z.string().nullable().optional(),
  parent_id_contains: z.string().nullable().optional(),
  name: z.string().nullable().optional(),
  name_contains: z.string().nullable().optional(),
};
export const AglQuerySpansBody = z.object({
  rollout_id: z.string(),
  attempt_id: z.string().nullable().optional(),
  ...spanFilters,
  filter_logic: Logic,
  sort_by: z.string().nullable().default('sequence_id'),
  ...page,
});
export const AglQuerySpansQuery = z.object({
  rollout_id: z.string(),
  attempt_id: z.string().optional(),
  ...spanFilters,
  filter_logic: Logic,
  sort_by: z.string().default('sequence_id'),
  ...qpage,
});
export type AglQuerySpans = z.infer<typeof AglQuerySpansBody>;

export const AglQueryWorkersBody = z.object({
  status_in: z.array(z.enum(AGL_WORKER_STATUSES)).nullable().optional(),
  worker_id_contains: z.string().nullable().optional(),
  sort_by: z.string().nullable().optional(),
  filter_logic: Logic,
  ...page,
});
export const AglQueryWorkersQuery = z.object({
  status_in: Many.pipe(z.array(z.enum(AGL_WORKER_STATUSES))).optional(),
  worker_id_contains: z.string().optional(),
  sort_by: z.string().optional(),
  filter_logic: Logic,
  ...qpage,
});
export type AglQueryWorkers = z.infer<typeof AglQueryWorkersBody>;

// ---- spans (agentlightning.types.tracer.Span: extra fields are kept, as pydantic's extra="allow") ----------

const SpanContext = z.looseObject({ trace_id: z.string(), span_id: z.string(), is_remote: z.boolean(), trace_state: z.record(z.string(), z.string()) });
const Attrs = z.record(z.string(), z.unknown());
export const AglSpanBody = z.looseObject({
  rollout_id: z.string(),
  attempt_id: z.string(),
  sequence_id: Int,
  trace_id: z.string(),
  span_id: z.string(),
  parent_id: z.string().nullable(),
  name: z.string(),
  status: z.looseObject({ status_code: z.enum(['UNSET', 'OK', 'ERROR']), description: z.string().nullable().default(null) }),
  attributes: Attrs,
  events: z.array(z.looseObject({ name: z.string(), attributes: Attrs, timestamp: z.number().nullable().default(null) })),
  links: z.array(z.looseObject({ context: SpanContext, attributes: Attrs.nullable().default(null) })),
  start_time: z.number().nullable(),
  end_time: z.number().nullable(),
  context: SpanContext.nullable(),
  parent: SpanContext.nullable(),
  resource: z.looseObject({ attributes: Attrs, schema_url: z.string() }),
});
export type AglSpan = z.infer<typeof AglSpanBody>;

const STATUS_CODES = ['UNSET', 'OK', 'ERROR'] as const;
const KIND_NUMBERS: Record<string, number> = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 };

const nanos = (seconds: number | null | undefined): bigint =>
  typeof seconds === 'number' && Number.isFinite(seconds) ? BigInt(Math.round(seconds * 1e9)) : 0n;
/** Agent Lightning's `convert_timestamp`: nanoseconds to seconds, 0 to null. */
const seconds = (ns: bigint): number | null => (ns === 0n ? null : Number(ns) / 1e9);

/** A span sent through the REST API as the receiver's record, so it is stored and normalized like any OTLP span. */
export function spanRecordFromAgl(span: AglSpan): SpanRecord {
  const ctx = span.context;
  const kind = typeof span.kind === 'string' ? (KIND_NUMBERS[span.kind.replace(/^SpanKind\./, '')] ?? 0) : 0;
  return {
    traceId: span.trace_id.toLowerCase(),
    spanId: span.span_id.toLowerCase(),
    parentSpanId: (span.parent_id ?? '').toLowerCase(),
    traceState: ctx
      ? Object.entries(ctx.trace_state)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')
      : '',
    flags: 0,
    name: span.name,
    kind,
    startTimeUnixNano: nanos(span.start_time),
    endTimeUnixNano: nanos(span.end_time),
    attributes: span.attributes as Attributes,
    events: span.events.map((e) => ({ timeUnixNano: nanos(e.timestamp), name: e.name, attributes: e.attributes as Attributes })),
    links: span.links.map((l) => ({
      traceId: l.context.trace_id,
      spanId: l.context.span_id,
      traceState: Object.entries(l.context.trace_state)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      attributes: (l.attributes ?? {}) as Attributes,
    })),
    statusCode: STATUS_CODES.indexOf(span.status.status_code),
    statusMessage: span.status.description ?? '',
    // The span's own ids are authoritative (a span made by `Span.from_attributes` has an empty resource): they go
    // where Agent Lightning's tracer puts them, so the normalizers file the span's LLM calls and rewards under them.
    resource: { ...(span.resource.attributes as Attributes), [AGL_ROLLOUT_ID_KEY]: span.rollout_id, [AGL_ATTEMPT_ID_KEY]: span.attempt_id },
    resourceSchemaUrl: span.resource.schema_url,
    scope: { name: '', version: '', attributes: {} },
    scopeSchemaUrl: '',
  };
}

/** An OTLP attribute value as Agent Lightning's `_any_value_to_python` gives it (bytes as hex). */
function plain(v: AttrValue): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (Array.isArray(v)) return v.map(plain);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
}

const plainAttrs = (a: Attributes): Record<string, unknown> => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, plain(v)]));

/** The (rollout, attempt, sequence id) an OTLP span names, read as `spans_from_proto` does: span attribute, else resource. */
export function aglIdsOf(rec: SpanRecord): { rollout_id: string; attempt_id: string; sequence_id: number | null } | null {
  const pick = (key: string): AttrValue | undefined => rec.attributes[key] ?? rec.resource[key];
  const rollout = pick(AGL_ROLLOUT_ID_KEY);
  const attempt = pick(AGL_ATTEMPT_ID_KEY);
  // Agent Lightning resets both to '' between rollouts; such spans belong to no rollout.
  if (rollout === undefined || rollout === null || attempt === undefined || attempt === null) return null;
  const r = String(plain(rollout));
  const a = String(plain(attempt));
  if (r === '' || a === '') return null;
  const seq = pick(AGL_SEQUENCE_ID_KEY);
  const n = seq === undefined || seq === null ? NaN : Number(String(plain(seq)));
  return { rollout_id: r, attempt_id: a, sequence_id: Number.isInteger(n) && n >= 0 ? n : null };
}

/** An OTLP span as Agent Lightning's server turns it into its Span (`spans_from_proto`). */
export function aglSpanFromRecord(rec: SpanRecord, rolloutId: string, attemptId: string, sequenceId: number): AglSpan {
  const traceId = rec.traceId || '0'.repeat(32);
  const spanId = rec.spanId || '0'.repeat(16);
  return {
    rollout_id: rolloutId,
    attempt_id: attemptId,
    sequence_id: sequenceId,
    trace_id: traceId,
    span_id: spanId,
    parent_id: rec.parentSpanId === '' ? null : rec.parentSpanId,
    name: rec.name,
    status: { status_code: STATUS_CODES[rec.statusCode] ?? 'UNSET', description: rec.statusMessage === '' ? null : rec.statusMessage },
    attributes: plainAttrs(rec.attributes),
    events: rec.events.map((e) => ({ name: e.name, attributes: plainAttrs(e.attributes), timestamp: seconds(e.timeUnixNano) })),
    links: rec.links.map((l) => {
      const attrs = plainAttrs(l.attributes);
      return {
        context: { trace_id: l.traceId || '0'.repeat(32), span_id: l.spanId || '0'.repeat(16), is_remote: false, trace_state: {} },
        attributes: Object.keys(attrs).length === 0 ? null : attrs,
      };
    }),
    start_time: seconds(rec.startTimeUnixNano),
    end_time: seconds(rec.endTimeUnixNano),
    context: { trace_id: traceId, span_id: spanId, is_remote: false, trace_state: {} },
    parent: null,
    resource: { attributes: plainAttrs(rec.resource), schema_url: rec.resourceSchemaUrl },
  };
}
