// The REST API's answers as the UI reads them. web/ imports nothing from the server's code (it talks to it over
// HTTP only), so these are copies of the shapes in schemas/, store/ and training/, kept to the fields used.

export type Scope = 'ingest' | 'worker' | 'read' | 'admin';

export interface Session {
  auth: boolean;
  scopes: Scope[];
}

// ---- rollouts (schemas/rollouts.ts) --------------------------------------------------------------------

export const ROLLOUT_STATUSES = ['queuing', 'preparing', 'running', 'succeeded', 'failed', 'cancelled', 'requeuing'] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);
export const ROLLOUT_MODES = ['train', 'val', 'test'] as const;

export interface AttemptView {
  attempt_id: string;
  sequence: number;
  worker_id: string;
  status: string;
  started_at: string;
  ended_at: string | null;
  last_heartbeat_at: string | null;
  error: string | null;
}

export interface RolloutView {
  rollout_id: string;
  status: RolloutStatus;
  input: unknown;
  mode: string | null;
  resources: Record<string, { ref: number | string; version: number }>;
  config: Record<string, unknown>;
  metadata: Record<string, unknown>;
  attempt_count: number;
  latest_attempt_id: string | null;
  attempts: AttemptView[];
  timings: {
    enqueued_at: string;
    started_at: string | null;
    ended_at: string | null;
    updated_at: string;
    queued_seconds: number;
    run_seconds: number | null;
  };
  /** On list items only: the rollout's primary reward and the agents of its calls. */
  reward?: number | null;
  agents?: string[];
}

// ---- calls and rewards (store/training-queries.ts, training/triplets.ts) -------------------------------

export type MessagePart =
  | { type: 'text'; content: string }
  | { type: 'tool_call'; id?: string; name: string; arguments: unknown }
  | { type: 'tool_call_response'; id?: string; response: unknown }
  | { type: 'reasoning'; content: string }
  | { type: string; [key: string]: unknown };

export interface Message {
  role: string;
  parts: MessagePart[];
  name?: string;
  finish_reason?: string;
}

export interface StoredCall {
  trace_id: string;
  span_id: string;
  parent_span_id: string;
  start_ns: string;
  end_ns: string;
  agent: string;
  service: string;
  provider: string;
  operation: string;
  request_model: string;
  response_model: string;
  input: Message[];
  output: Message[];
  finish_reasons: string[];
  input_tokens: number | null;
  output_tokens: number | null;
  resources: Record<string, string>;
  tools: unknown[];
  status: string;
  error: string;
}

export interface StoredReward {
  reward_id: string;
  rollout_id: string;
  attempt_id: string;
  trace_id: string;
  span_id: string;
  name: string;
  value: number;
  label: string;
  explanation: string;
  source: string;
  is_primary: boolean;
  time_ns: string;
}

export interface RolloutCalls {
  rollout_id: string;
  attempt_ids: string[];
  trace_ids: string[];
  calls: StoredCall[];
  rewards: StoredReward[];
}

export const REWARD_POLICIES = ['final', 'last-call', 'per-span'] as const;

export interface Triplet {
  rollout_id: string;
  attempt_id: string;
  trace_id: string;
  span_id: string;
  step: number;
  agent: string;
  model: string;
  start_time_unix_nano: string;
  prompt: Message[];
  response: Message | null;
  reward: number | null;
  reward_name: string | null;
  rewards: Record<string, number>;
  usage: { input_tokens: number | null; output_tokens: number | null };
  finish_reason: string | null;
  token_ids?: { prompt: number[]; response: number[] };
  logprobs?: number[];
  tools?: unknown[];
  resources: Record<string, string>;
}

export interface TripletPage {
  triplets: Triplet[];
  next_cursor: string | null;
}

// ---- resources (schemas/resources.ts) ------------------------------------------------------------------

export type ResourceKind = 'prompt_template' | 'llm' | 'model' | 'json';

export interface ResourceSummary {
  name: string;
  kind: ResourceKind;
  latest_version: number;
  versions: number;
  labels: Record<string, number>;
  updated_at: string;
}

export interface ResourceVersion {
  name: string;
  version: number;
  kind: ResourceKind;
  content: unknown;
  parent: number | null;
  metrics: Record<string, number>;
  labels: string[];
  author: string | null;
  created_at: string;
}

export interface ResourceHistory {
  name: string;
  kind: ResourceKind;
  labels: Record<string, number>;
  versions: ResourceVersion[];
}

export interface LabelMove {
  name: string;
  label: string;
  version: number;
  previous: number | null;
}

// ---- training runs (store/job-runs.ts, algorithms/) ----------------------------------------------------

export type RunEvent = { event: string; [key: string]: unknown };

export interface JobRun {
  run_id: string;
  job: string;
  algorithm: string;
  trigger: string;
  status: 'running' | 'succeeded' | 'failed' | 'skipped';
  config: unknown;
  started_at: number;
  ended_at: number | null;
  window_start_ns: string;
  window_end_ns: string;
  metrics: Record<string, number>;
  resources: unknown;
  error: string;
  events?: RunEvent[];
  report?: unknown;
}

/** algorithms/apo/types.ts CandidateSummary. */
export interface CandidateSummary {
  id: string;
  parent: string | null;
  round: number;
  version?: number;
  train: number | null;
  train_n: number;
  validation: number | null;
}

export interface ApoReport {
  candidates: CandidateSummary[];
  curve: { rollouts: number; best_validation: number }[];
  stop_reason: string;
  start_version?: number;
  best_version?: number | null;
}

// ---- overview (api/overview.ts, store/overview.ts) -----------------------------------------------------

export interface ActivityBucket {
  t: string;
  spans: number;
  llm_calls: number;
  llm_errors: number;
  rewards: number;
  reward_mean: number | null;
}

export interface CallsByAgentModel {
  agent: string;
  model: string;
  calls: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  simulated: boolean;
}

export interface WorkerSeen {
  worker_id: string;
  rollout_id: string;
  attempt_id: string;
  status: string;
  attempts?: number;
  last_seen_at?: string;
  last_heartbeat_at?: string | null;
}

export interface Overview {
  now: string;
  minutes: number;
  bucket_seconds: number;
  raw?: boolean;
  simulated: boolean;
  ingest: Record<string, number | boolean>;
  series: ActivityBucket[];
  calls: CallsByAgentModel[];
  rollouts: { counts: Record<string, number>; active: RolloutView[] };
  workers: WorkerSeen[];
  training: { running: JobRun[]; recent: JobRun[] };
}

// ---- traces (store/trace-spans.ts) ---------------------------------------------------------------------

export interface TraceSpan {
  span_id: string;
  parent_span_id: string;
  name: string;
  kind: string;
  service: string;
  start_ns: string;
  duration_ns: string;
  status_code: string;
  status_message: string;
  attributes: Record<string, string>;
  events: { time_ns: string; name: string; attributes: Record<string, string> }[];
}

export interface TraceView {
  trace_id: string;
  source: 'otel_traces' | 'llm_calls';
  truncated?: boolean;
  spans: TraceSpan[];
}
