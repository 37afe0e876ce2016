// The rollout queue's data model (Agent Lightning's LightningStore rollout/attempt API, over plain HTTP):
// statuses, per-rollout retry configuration, the request bodies (zod) and the domain errors. The queue
// itself lives in queue/rollout-queue.ts, its SQL in store/rollouts.ts.
//
//   rollout  queuing ──claim──► preparing ──heartbeat/span──► running ──complete──► succeeded | failed
//               ▲                   │                            │
//               └──── requeuing ◄───┴── attempt timeout / unresponsive / failed, when config allows a retry
//   any non-final rollout ──cancel──► cancelled
//
//   attempt  preparing ──► running ──► succeeded | failed | timeout | unresponsive
import { z } from 'zod';
import { errorClass } from './errors.js';

export const ROLLOUT_STATUSES = ['queuing', 'preparing', 'running', 'succeeded', 'failed', 'cancelled', 'requeuing'] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

export const ATTEMPT_STATUSES = ['preparing', 'running', 'succeeded', 'failed', 'timeout', 'unresponsive'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

export const ROLLOUT_MODES = ['train', 'val', 'test'] as const;
export type RolloutMode = (typeof ROLLOUT_MODES)[number];

/** Attempt outcomes a rollout may be retried after (config.retry_on). */
export const RETRYABLE_ATTEMPT_STATUSES = ['failed', 'timeout', 'unresponsive'] as const;
export type RetryableAttemptStatus = (typeof RETRYABLE_ATTEMPT_STATUSES)[number];

export const FINAL_ROLLOUT_STATUSES: ReadonlySet<RolloutStatus> = new Set(['succeeded', 'failed', 'cancelled']);
export const CLAIMABLE_ROLLOUT_STATUSES: ReadonlySet<RolloutStatus> = new Set(['queuing', 'requeuing']);
export const ACTIVE_ATTEMPT_STATUSES: ReadonlySet<AttemptStatus> = new Set(['preparing', 'running']);

export interface RolloutConfig {
  /** An attempt still unfinished this long after it was claimed times out (null: never). */
  timeout_seconds: number | null;
  /** An attempt with no heartbeat (or span carrying its id) for this long is unresponsive (null: never). */
  unresponsive_seconds: number | null;
  /** Attempts a rollout may use in all, the first included. */
  max_attempts: number;
  /** Attempt outcomes that requeue the rollout (while attempts are left); any other outcome is final. */
  retry_on: RetryableAttemptStatus[];
}

export const DEFAULT_ROLLOUT_CONFIG: Readonly<RolloutConfig> = Object.freeze({
  timeout_seconds: 600,
  unresponsive_seconds: 120,
  max_attempts: 1,
  retry_on: ['timeout', 'unresponsive'] as RetryableAttemptStatus[],
});

/** Longest a claim (wait_ms) or a wait (timeout_ms) may hold its request open. */
export const MAX_WAIT_MS = 60_000;
export const MAX_ENQUEUE_BATCH = 10_000;

/** A resource as the rollout asked for it (`ref`: a version number or a label), pinned to a version at enqueue. */
export interface PinnedResource {
  ref: number | string;
  version: number;
}

export interface AttemptRecord {
  rollout_id: string;
  attempt_id: string;
  /** 1 for the first attempt of a rollout, 2 for its first retry, … */
  sequence: number;
  worker_id: string;
  status: AttemptStatus;
  /** Milliseconds since the epoch. */
  started_at: number;
  ended_at: number | null;
  last_heartbeat_at: number | null;
  error: string;
  version: number;
  /** Agent Lightning's per-attempt metadata (absent on attempts made through tracelight's own API). */
  metadata?: Record<string, unknown> | null;
}

/** One rollout with its attempts: the unit the queue keeps in memory and persists as one row. */
export interface RolloutRecord {
  rollout_id: string;
  status: RolloutStatus;
  input: unknown;
  mode: RolloutMode | null;
  resources: Record<string, PinnedResource>;
  config: RolloutConfig;
  metadata: Record<string, unknown>;
  attempts: AttemptRecord[];
  /** Orders claimable rollouts (FIFO): set when the rollout is enqueued or requeued. */
  queue_seq: number;
  enqueued_at: number;
  /** When the first attempt was claimed. */
  started_at: number | null;
  ended_at: number | null;
  updated_at: number;
  /** Increases with every change (microsecond hybrid clock); the newest row wins. */
  version: number;
  /** Agent Lightning's resources snapshot for the rollout (queue/agl-store.ts); null or absent: none. */
  resources_id?: string | null;
  /** The queue clock at creation: Agent Lightning lists rollouts in creation order (0: made before it was kept). */
  created_seq?: number;
}

// ---- what the API returns ---------------------------------------------------------------------------------

export interface AttemptView {
  attempt_id: string;
  sequence: number;
  worker_id: string;
  status: AttemptStatus;
  started_at: string;
  ended_at: string | null;
  last_heartbeat_at: string | null;
  error: string | null;
}

export interface RolloutView {
  rollout_id: string;
  status: RolloutStatus;
  input: unknown;
  mode: RolloutMode | null;
  resources: Record<string, PinnedResource>;
  config: RolloutConfig;
  metadata: Record<string, unknown>;
  attempt_count: number;
  latest_attempt_id: string | null;
  attempts: AttemptView[];
  timings: {
    enqueued_at: string;
    started_at: string | null;
    ended_at: string | null;
    updated_at: string;
    /** From enqueue to the first claim (so far, while still queued). */
    queued_seconds: number;
    /** From the first claim to the end (so far, while unfinished); null before the first claim. */
    run_seconds: number | null;
  };
}

/** What a worker gets from a claim. */
export interface ClaimedRollout {
  rollout_id: string;
  attempt_id: string;
  sequence: number;
  input: unknown;
  mode: RolloutMode | null;
  resources: Record<string, { version: number; kind: string; content: unknown }>;
  config: RolloutConfig;
  metadata: Record<string, unknown>;
}

// ---- request bodies ----------------------------------------------------------------------------------------

export const RolloutId = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');
const Seconds = z
  .number()
  .positive('must be more than 0')
  .max(30 * 86_400, 'must be at most 30 days')
  .nullable();

export const RolloutConfigInput = z.strictObject({
  timeout_seconds: Seconds.optional(),
  unresponsive_seconds: Seconds.optional(),
  max_attempts: z.number().int('must be an integer').min(1, 'must be 1 or more').max(100, 'must be at most 100').optional(),
  retry_on: z.array(z.enum(RETRYABLE_ATTEMPT_STATUSES)).max(3).optional(),
});
export type RolloutConfigInput = z.infer<typeof RolloutConfigInput>;

/** A version number, a numeric string (a version) or a label. */
export const ResourceRef = z.union([
  z.number().int('a version must be an integer').min(1, 'a version must be 1 or more'),
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a version number or a label name'),
]);

export const EnqueueItem = z.strictObject({
  // Bodies are parsed JSON already, so any value present is JSON.
  input: z.unknown().refine((v) => v !== undefined, 'is required (any JSON value)'),
  mode: z.enum(ROLLOUT_MODES).optional(),
  resources: z.record(z.string().min(1).max(128), ResourceRef).optional(),
  config: RolloutConfigInput.optional(),
  metadata: z.record(z.string(), z.json()).optional(),
});
export type EnqueueItem = z.infer<typeof EnqueueItem>;

export const ClaimBody = z.strictObject({
  worker_id: z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
  wait_ms: z.number().int('must be an integer').min(0, 'must be 0 or more').max(MAX_WAIT_MS, `must be at most ${MAX_WAIT_MS}`).optional(),
});

export const CompleteBody = z.strictObject({
  status: z.enum(['succeeded', 'failed']),
  reward: z.number().finite('must be a finite number').optional(),
  error: z.string().max(100_000).optional(),
});

export const HeartbeatBody = z.strictObject({});

/** Most attempt ids one forwarded-activity request may carry (a receiver sends what it saw in about a second). */
export const MAX_ACTIVITY_IDS = 2000;

/** Attempt ids seen in spans by a receiver process (`serve --role receiver`), forwarded to the queue's owner. */
export const ActivityBody = z.strictObject({
  attempt_ids: z.array(z.string().min(1).max(256)).min(1).max(MAX_ACTIVITY_IDS),
});

export const WaitBody = z.strictObject({
  rollout_ids: z.array(RolloutId).min(1, 'must name at least one rollout').max(MAX_ENQUEUE_BATCH),
  timeout_ms: z.number().int('must be an integer').min(0, 'must be 0 or more').max(MAX_WAIT_MS, `must be at most ${MAX_WAIT_MS}`).optional(),
});

export const ListQuery = z.strictObject({
  status: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(ROLLOUT_STATUSES)))
    .optional(),
  mode: z.enum(ROLLOUT_MODES).optional(),
  /** An RE2 pattern an agent of one of the rollout's LLM calls matches. */
  agent: z.string().min(1).max(256, 'must be at most 256 characters').optional(),
  /** Enqueued at or after: an ISO date-time or epoch milliseconds/nanoseconds. */
  since: z.string().min(1).max(40, 'must be at most 40 characters').optional(),
  /** Bounds on the rollout's primary reward (a rollout without one matches neither). */
  min_reward: z.coerce.number().finite().optional(),
  max_reward: z.coerce.number().finite().optional(),
  limit: z.coerce.number().int('must be an integer').min(1, 'must be 1 or more').max(10_000, 'must be at most 10000').default(100),
});

/** Applies the defaults to a rollout's config. */
export function rolloutConfig(input: RolloutConfigInput | undefined): RolloutConfig {
  return {
    timeout_seconds: input?.timeout_seconds === undefined ? DEFAULT_ROLLOUT_CONFIG.timeout_seconds : input.timeout_seconds,
    unresponsive_seconds: input?.unresponsive_seconds === undefined ? DEFAULT_ROLLOUT_CONFIG.unresponsive_seconds : input.unresponsive_seconds,
    max_attempts: input?.max_attempts ?? DEFAULT_ROLLOUT_CONFIG.max_attempts,
    retry_on: input?.retry_on ? [...new Set(input.retry_on)] : [...DEFAULT_ROLLOUT_CONFIG.retry_on],
  };
}

// ---- errors (kinds of schemas/errors.ts) -------------------------------------------------

export const RolloutValidationError = errorClass('RolloutValidationError', 'invalid');
export const RolloutNotFoundError = errorClass('RolloutNotFoundError', 'not_found');
/** The request does not fit the rollout's or attempt's current state (409). */
export const RolloutConflictError = errorClass('RolloutConflictError', 'conflict');
/** The queue is shutting down (503). */
export const QueueClosedError = errorClass('QueueClosedError', 'unavailable', 1);
