// Agent Lightning 1.x's gateway API (`agentlightning.server`, 1.0.2), served by tracelight: the v1 data model
// (rollouts with their lifecycle, events, registered model servers), the request bodies and queries (zod), how
// v1 states read in tracelight's rollout vocabulary, and the port through which the gateway reaches the LLM
// proxy (instrumentation/proxy/gateway.ts implements it; api/ cannot import instrumentation/).
//
//   v1 lifecycle (the caller drives it with PATCH; terminal states are final):
//     queuing ──► running ──► succeeded
//        │           └──────► failed
//        └──────────────────► failed
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AttemptStatus, RolloutStatus } from './rollouts.js';

export const AGL_STATES = ['queuing', 'running', 'succeeded', 'failed'] as const;
export type AglState = (typeof AGL_STATES)[number];

export const AGL_VALID_TRANSITIONS: Readonly<Record<AglState, readonly AglState[]>> = {
  queuing: ['running', 'failed'],
  running: ['succeeded', 'failed'],
  succeeded: [],
  failed: [],
};

export const AGL_TERMINAL_STATES: ReadonlySet<AglState> = new Set(['succeeded', 'failed']);

/** The attempt a rollout's events are read from when its status names none. */
export const AGL_DEFAULT_ATTEMPT_ID = '0';

/**
 * The one table between the two lifecycles: what each v1 state is in the rollout queue. A v1 rollout enters the
 * queue when it starts running (its controller chose the rollout and the attempt, so it is never queued there
 * for a tracelight worker to claim); `attempt` is what its one queue attempt is then. A rollout failed before it
 * ran has no queue rollout.
 */
export const AGL_STATE_MAPPING: Readonly<Record<AglState, { tracelight: RolloutStatus | null; attempt: AttemptStatus | null }>> = {
  queuing: { tracelight: null, attempt: null },
  running: { tracelight: 'running', attempt: 'running' },
  succeeded: { tracelight: 'succeeded', attempt: 'succeeded' },
  failed: { tracelight: 'failed', attempt: 'failed' },
};

export const AGL_MODES = ['train', 'val'] as const;
export type AglMode = (typeof AGL_MODES)[number];

/** Longest id a path or body may carry (the ids become span attributes and ClickHouse keys). */
export const AGL_MAX_ID = 256;
export const AGL_MAX_BATCH = 10_000;

// ---- what the API returns (the shapes of agentlightning.schemas) -----------------------------------------

export interface AglRolloutConfig {
  timeout_seconds: number;
  local: { agent_class: string | null; env_map: Record<string, string> } | null;
  k8s: { job_template: string | null } | null;
}

export interface AglLifecycleStatus {
  state: AglState;
  k8s_job_name: string | null;
  last_attempt_id: string | null;
  error_message: string | null;
  version: number;
  /** Seconds since the epoch (float), as Python's time.time(). */
  created_at: number;
  updated_at: number;
}

export interface AglRollout {
  rollout_id: string;
  input: unknown;
  is_train: boolean;
  config: AglRolloutConfig;
  metadata: Record<string, unknown>;
  status: AglLifecycleStatus;
}

export interface AglEvent {
  event_type: string;
  rollout_id: string;
  attempt_id: string;
  timestamp: number;
  data: Record<string, unknown>;
}

export interface AglModel {
  model: string;
  endpoint: string;
  version: number;
}

export interface AglTerminalItem {
  rollout_id: string;
  state: AglState;
  data_id: string;
  is_train: boolean;
}

// ---- request bodies and queries ------------------------------------------------------------------------

const Id = z.string().min(1, 'must not be empty').max(AGL_MAX_ID, `must be at most ${AGL_MAX_ID} characters`);
const Int = z.number().int('must be an integer');
const NullableText = z.string().max(100_000).nullable();

export const AglRolloutConfigInput = z.object({
  timeout_seconds: Int.default(3600),
  local: z
    .object({ agent_class: z.string().max(1000).nullable().default(null), env_map: z.record(z.string(), z.string()).default({}) })
    .nullable()
    .default(null),
  k8s: z
    .object({ job_template: z.string().max(1_000_000).nullable().default(null) })
    .nullable()
    .default(null),
});

export const AglMetadataInput = z.looseObject({ batch_idx: Int.nullable().default(null), sample_idx_in_batch: Int.nullable().default(null) });

export const AglRolloutCreate = z.object({
  // Any JSON value, null included, but present.
  input: z.unknown().refine((v) => v !== undefined, 'Field required'),
  is_train: z.boolean().default(true),
  config: AglRolloutConfigInput.nullable().optional(),
  metadata: AglMetadataInput.nullable().optional(),
  rollout_id: Id.nullable().optional(),
});
export type AglRolloutCreate = z.infer<typeof AglRolloutCreate>;

export const AglRolloutCreateBody = z.array(AglRolloutCreate).max(AGL_MAX_BATCH);

/** Only the nested status may be patched; a field sent (null included) is a field set. */
export const AglStatusPatch = z.strictObject({
  state: z.enum(AGL_STATES).nullable().optional(),
  k8s_job_name: z.string().max(1000).nullable().optional(),
  last_attempt_id: Id.nullable().optional(),
  error_message: NullableText.optional(),
});
export const AglRolloutPatch = z.object({ status: AglStatusPatch.nullable().optional() });
export type AglStatusPatch = z.infer<typeof AglStatusPatch>;

export const AglEventCreate = z.object({
  event_type: z.string().max(200),
  data: z.record(z.string(), z.unknown()).default({}),
});

export const AglModelsBody = z
  .array(z.object({ model: z.string().min(1).max(512), endpoint: z.string().min(1).max(2048), version: Int.default(0) }))
  .max(AGL_MAX_BATCH);

const Repeated = <T extends z.ZodType>(item: T) => z.preprocess((v) => (v === undefined ? v : Array.isArray(v) ? v : [v]), z.array(item).min(1));

// FastAPI's reading of a boolean query value.
const QueryBool = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? ['1', 'true', 'yes', 'on'].includes(v.toLowerCase())
        ? true
        : ['0', 'false', 'no', 'off'].includes(v.toLowerCase())
          ? false
          : v
      : v,
  z.boolean(),
);

export const AglListQuery = z.object({
  state_in: Repeated(z.enum(AGL_STATES)),
  limit: z.coerce.number().int('must be an integer').default(500),
});

export const AglTerminalQuery = z.object({
  after: z.coerce.number().int('must be an integer').default(0),
  limit: z.coerce.number().int('must be an integer').default(1000),
});

export const AglEventsQuery = z.object({
  event_type: z.string().max(200).optional(),
  format: z.string().max(100).optional(),
  include_routed_experts: QueryBool.default(true),
});

export const AglPauseBody = z.object({
  retry_after_seconds: Int.default(5),
  reason: z.string().max(10_000).nullable().default(null),
});

export const AglRolloutParams = z.object({ rollout_id: Id });
export const AglAttemptParams = z.object({ rollout_id: Id, attempt_id: Id });

// ---- the gateway's reach into the LLM proxy -------------------------------------------------------------

export type AglOperation = 'chat' | 'text_completion';

/** Where a proxied call goes: the version of an `llm` resource the rollout pinned, or a registered model server. */
export type AglTarget =
  { kind: 'resource'; resource: { name: string; version: number; kind: string; content: unknown } } | { kind: 'server'; upstream: string; model: string };

export interface AglProxyCall {
  operation: AglOperation;
  /** The request as the gateway prepared it (mode's temperature, token ids and logprobs asked for). */
  body: Record<string, unknown>;
  target: AglTarget;
  rolloutId: string;
  attemptId: string;
  mode: AglMode;
}

/** What came back, for the rollout's model_request event. */
export interface AglProxyAnswer {
  /** The request as sent upstream. */
  sent: Record<string, unknown>;
  status: number;
  /** The answer parsed as JSON, or null when it was not JSON. */
  body: unknown;
  latencyMs: number;
}

/** A model_request event posted by a client, recorded as the LLM call it describes. */
export interface AglRecordedCall {
  rolloutId: string;
  attemptId: string;
  /** Seconds since the epoch, when the event was written. */
  timestamp: number;
  data: Record<string, unknown>;
}

export interface AglLlmPort {
  /** Forwards one call and answers the agent; `onAnswer` runs before the answer is sent. */
  forward(request: FastifyRequest, reply: FastifyReply, call: AglProxyCall, onAnswer: (a: AglProxyAnswer) => Promise<void>): Promise<FastifyReply>;
  record(call: AglRecordedCall): Promise<void>;
  close(): Promise<void>;
}

/** OTLP ExportTraceServiceRequest bytes into the store's ingest path (decode, normalize, write). */
export type OtlpTraceSink = (exportTraceServiceRequest: Uint8Array) => Promise<void>;

export type AglLlmFactory = (sink: OtlpTraceSink) => AglLlmPort;

/** The span attribute naming the mode of a call made through the gateway's proxy route. */
export const AGL_MODE_ATTRIBUTE = 'tracelight.rollout.mode';

/** A failure the gateway answers with a status of its own (the upstream's 502 / 504), as `{detail}`. */
export class AglGatewayError extends Error {
  override name = 'AglGatewayError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
