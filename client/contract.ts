// One contract for everything a tool does with tracelight's data: read triplets and rollouts, run SQL,
// manage resources, use the rollout queue. The CLI and the training jobs hold a TracelightClient and never
// ask whether it talks to a server or to the store: that is decided once, when the client is opened.
import type { ResourceHistory, ResourceSummary, ResourceVersion, LabelMove, NewVersion } from '../schemas/resources.js';
import type { EnqueueItem, RolloutView } from '../schemas/rollouts.js';
import type { EnqueueResult, WaitResult } from '../queue/rollout-queue.js';
import type { RolloutListQuery } from '../store/index.js';
import type { JobRun, JobRunLog } from '../store/job-runs.js';
import type { TripletPage, TripletQuery } from '../training/training-data.js';
import type { Rollout } from '../training/triplets.js';

export type Row = Record<string, unknown>;

export interface ResourcesClient {
  list(): Promise<ResourceSummary[]>;
  /** By version, by label, or (neither) production else the latest. */
  resolve(name: string, sel?: { label?: string; version?: number }): Promise<ResourceVersion>;
  history(name: string, opts?: { limit?: number; before?: number }): Promise<ResourceHistory>;
  createVersion(name: string, input: NewVersion): Promise<ResourceVersion>;
  moveLabel(name: string, label: string, version: number, author?: string | null): Promise<LabelMove>;
  removeLabel(name: string, label: string): Promise<LabelMove>;
}

export interface QueueClient {
  enqueue(items: readonly EnqueueItem[]): Promise<EnqueueResult[]>;
  list(q: RolloutListQuery): Promise<RolloutView[]>;
  /** Null when the queue does not know the rollout. */
  get(id: string): Promise<RolloutView | null>;
  cancel(id: string): Promise<RolloutView>;
  /** Answers when every rollout is final or `timeoutMs` has passed (at most a minute per call). */
  wait(ids: readonly string[], timeoutMs: number): Promise<WaitResult>;
}

/** The record of training runs (job_runs): what `tracelight train` writes and `train runs` reads. */
export interface RunsClient extends JobRunLog {
  list(q: { job?: string; limit: number }): Promise<JobRun[]>;
  /** Null when no such run is recorded. */
  get(id: string): Promise<JobRun | null>;
}

export interface TracelightClient {
  /** Where the data is, for messages ("the tracelight server at …", "the embedded store in …"). */
  readonly where: string;
  /** Read-only SQL (the engine's sandbox and limits apply). */
  sql(sql: string, params?: Record<string, string | number | boolean | null>): Promise<Row[]>;
  /** One page of triplets; `agent` is an RE2 pattern, `sinceNs` nanoseconds since the epoch. */
  triplets(q: TripletQuery): Promise<TripletPage>;
  /** A rollout's LLM calls and rewards (null when none are stored). */
  rollout(id: string): Promise<Rollout | null>;
  /** Several rollouts; without `calls`, only their rewards are read (cheaper). */
  rollouts(ids: readonly string[], opts?: { calls?: boolean }): Promise<Rollout[]>;
  readonly resources: ResourcesClient;
  readonly queue: QueueClient;
  readonly runs: RunsClient;
  close(): Promise<void>;
}
