// SQL for the rollout queue (tables rollouts and rollout_attempts, migration 5; migration 13 adds the columns
// resources_id and created_seq for Agent Lightning's LightningStore API, queue/agl-store.ts).
//
// The serving process owns the queue and keeps its authoritative state in memory; this store persists every
// change before the change is acknowledged. Each change writes the whole rollout as one row of `rollouts`
// (its attempts included, as JSON), so a rollout's state is written atomically and the newest row
// (highest `version`) is the state: reads pick it with `ORDER BY version DESC LIMIT 1 BY rollout_id`, exact
// without FINAL, and merges drop the older rows. The changed attempts are also written to
// `rollout_attempts`, one row per (rollout_id, attempt_id) and change, for SQL over attempts (by worker,
// by status). That table is an index derived from `rollouts` (the queue never reads it), so a change is
// acknowledged once its `rollouts` row is written, without waiting for the attempt row: half the inserts
// on the path of every claim and completion.
//
// The queue's writes go through a batch writer of their own with a short interval (a few ms): claims and
// completions wait for their write, so a long interval would be their latency, while concurrent changes
// still share one insert per table.
import type { AttemptRecord, RolloutConfig, RolloutMode, RolloutRecord, RolloutStatus, PinnedResource } from '../schemas/rollouts.js';
import { BatchWriter, type BatchWriterOptions } from './batch-writer.js';
import type { Driver } from './driver.js';
import { jsonLine } from './json-line.js';

export const DEFAULT_ROLLOUT_WRITER_OPTIONS: Partial<BatchWriterOptions> = {
  flushIntervalMs: 2,
  maxBatchRows: 5_000,
  maxBufferedBytes: 64 * 1024 * 1024,
};

interface RolloutRow {
  rollout_id: string;
  status: string;
  mode: string;
  input: string;
  resources: string;
  config: string;
  metadata: string;
  attempts: string;
  queue_seq: string | number;
  enqueued_ms: string | number;
  started_ms: string | number | null;
  ended_ms: string | number | null;
  updated_ms: string | number;
  version: string | number;
  resources_id?: string;
  created_seq?: string | number;
}

const COLUMNS = `rollout_id, status, mode, input, resources, config, metadata, attempts, queue_seq,
  toUnixTimestamp64Milli(enqueued_at) AS enqueued_ms, toUnixTimestamp64Milli(started_at) AS started_ms,
  toUnixTimestamp64Milli(ended_at) AS ended_ms, toUnixTimestamp64Milli(updated_at) AS updated_ms, version,
  resources_id, created_seq, attempt_count`;

/** The newest row of every rollout (the current state), as a subquery. */
export const LATEST_ROLLOUTS = `(SELECT ${COLUMNS} FROM rollouts ORDER BY rollout_id, version DESC LIMIT 1 BY rollout_id)`;

const FINAL_STATUSES = ['succeeded', 'failed', 'cancelled'];

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

function fromRow(r: RolloutRow): RolloutRecord {
  return {
    rollout_id: r.rollout_id,
    status: r.status as RolloutStatus,
    input: JSON.parse(r.input) as unknown,
    mode: r.mode === '' ? null : (r.mode as RolloutMode),
    resources: JSON.parse(r.resources) as Record<string, PinnedResource>,
    config: JSON.parse(r.config) as RolloutConfig,
    metadata: JSON.parse(r.metadata) as Record<string, unknown>,
    attempts: JSON.parse(r.attempts) as AttemptRecord[],
    queue_seq: Number(r.queue_seq),
    enqueued_at: Number(r.enqueued_ms),
    started_at: num(r.started_ms),
    ended_at: num(r.ended_ms),
    updated_at: Number(r.updated_ms),
    version: Number(r.version),
    resources_id: r.resources_id ? r.resources_id : null,
    created_seq: Number(r.created_seq ?? 0),
  };
}

export function rolloutRow(r: RolloutRecord): string {
  // DateTime64(3) columns take bare integers as millisecond ticks (see json-line.ts).
  return jsonLine(
    {
      rollout_id: r.rollout_id,
      status: r.status,
      mode: r.mode ?? '',
      input: JSON.stringify(r.input),
      resources: JSON.stringify(r.resources),
      config: JSON.stringify(r.config),
      metadata: JSON.stringify(r.metadata),
      attempts: JSON.stringify(r.attempts),
      attempt_count: r.attempts.length,
      latest_attempt_id: r.attempts[r.attempts.length - 1]?.attempt_id ?? '',
      queue_seq: r.queue_seq,
      enqueued_at: r.enqueued_at,
      started_at: r.started_at,
      ended_at: r.ended_at,
      updated_at: r.updated_at,
      version: r.version,
      resources_id: r.resources_id ?? '',
      created_seq: r.created_seq ?? 0,
    },
    {},
  );
}

export function attemptRow(a: AttemptRecord): string {
  return jsonLine(
    {
      rollout_id: a.rollout_id,
      attempt_id: a.attempt_id,
      sequence: a.sequence,
      worker_id: a.worker_id,
      status: a.status,
      started_at: a.started_at,
      ended_at: a.ended_at,
      last_heartbeat_at: a.last_heartbeat_at,
      error: a.error,
      version: a.version,
    },
    {},
  );
}

export interface RolloutListQuery {
  statuses?: readonly RolloutStatus[];
  mode?: RolloutMode;
  /** An RE2 pattern (matched by the engine) an agent of one of the rollout's LLM calls matches. */
  agent?: string;
  /** Enqueued at or after, nanoseconds since the epoch. */
  sinceNs?: string;
  minReward?: number;
  maxReward?: number;
  limit: number;
}

/** What a rollouts list shows beside the queue's record: its primary reward and the agents of its calls. */
export interface RolloutSummary {
  reward: number | null;
  agents: string[];
}

// The primary reward as the list sees it: one marked primary, else the latest (the triplet assembler also
// prefers a reward on the rollout as a whole over one on a call; the list does not read the calls for that).
const REWARD_OF_ROLLOUT = `SELECT rollout_id, argMax(value, (is_primary, time)) AS reward
  FROM (SELECT rollout_id, value, is_primary, time FROM rewards WHERE rollout_id != '' AND rollout_id IN ids ORDER BY inserted_at DESC LIMIT 1 BY reward_id)
  GROUP BY rollout_id`;
// A call belongs to a rollout by its own attribute or by its trace's declared identity.
const AGENTS_OF_ROLLOUT = `SELECT rollout_id, groupUniqArray(100)(agent) AS agents FROM (
    SELECT rollout_id, agent FROM llm_calls WHERE rollout_id != '' AND rollout_id IN ids
    UNION ALL
    SELECT i.rollout_id, c.agent FROM llm_calls AS c
      INNER JOIN (SELECT DISTINCT trace_id, rollout_id FROM trace_identities WHERE rollout_id IN ids) AS i ON c.trace_id = i.trace_id)
  WHERE agent != '' GROUP BY rollout_id`;

export class RolloutStore {
  /** Created on the first write, so a store used only for reads needs no close. */
  private writer: BatchWriter | null = null;

  constructor(
    private readonly db: Driver,
    private readonly writerOptions: Partial<BatchWriterOptions> = {},
  ) {}

  /** Attempt rows the store refused (the `rollouts` rows, which hold the attempts too, were written). */
  attemptRowsLost = 0;

  /**
   * Resolves once the rollouts' rows are written (rejects with the batch writer's errors: back-pressure,
   * store failing); the attempt rows are written alongside, not waited for.
   */
  write(rollouts: readonly RolloutRecord[], attempts: readonly AttemptRecord[]): Promise<void> {
    const writer = (this.writer ??= new BatchWriter(this.db, { ...DEFAULT_ROLLOUT_WRITER_OPTIONS, ...this.writerOptions }));
    if (attempts.length > 0) {
      writer.write([{ table: 'rollout_attempts', lines: attempts.map(attemptRow) }]).catch((err: Error) => {
        if (this.attemptRowsLost === 0) process.emitWarning(`tracelight: rollout_attempts rows not written (rollouts holds them too): ${err.message}`);
        this.attemptRowsLost += attempts.length;
      });
    }
    return writer.write([{ table: 'rollouts', lines: rollouts.map(rolloutRow) }]);
  }

  async get(rolloutId: string): Promise<RolloutRecord | null> {
    const rows = await this.db.query<RolloutRow>(`SELECT ${COLUMNS} FROM rollouts WHERE rollout_id = {id:String} ORDER BY version DESC LIMIT 1`, {
      id: rolloutId,
    });
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async getMany(rolloutIds: readonly string[]): Promise<RolloutRecord[]> {
    if (rolloutIds.length === 0) return [];
    const rows = await this.db.query<RolloutRow>(
      `SELECT ${COLUMNS} FROM rollouts WHERE rollout_id IN {ids:Array(String)} ORDER BY rollout_id, version DESC LIMIT 1 BY rollout_id`,
      { ids: [...rolloutIds] },
    );
    return rows.map(fromRow);
  }

  /** Newest first (by enqueue time). */
  async list(q: RolloutListQuery): Promise<RolloutRecord[]> {
    // The agent and reward filters read the training tables only for rollouts the cheap filters kept.
    const byAgent =
      q.agent === undefined ? '' : `AND rollout_id IN (SELECT rollout_id FROM (${AGENTS_OF_ROLLOUT}) WHERE arrayExists(a -> match(a, {agent:String}), agents))`;
    const bounds = [q.minReward === undefined ? '' : 'reward >= {minReward:Float64}', q.maxReward === undefined ? '' : 'reward <= {maxReward:Float64}'].filter(
      Boolean,
    );
    const byReward = bounds.length === 0 ? '' : `AND rollout_id IN (SELECT rollout_id FROM (${REWARD_OF_ROLLOUT}) WHERE ${bounds.join(' AND ')})`;
    const rows = await this.db.query<RolloutRow>(
      `WITH ids AS (SELECT rollout_id FROM ${LATEST_ROLLOUTS}
                    WHERE (empty({statuses:Array(String)}) OR has({statuses:Array(String)}, status))
                      AND ({mode:String} = '' OR mode = {mode:String})
                      AND enqueued_ms >= intDiv({sinceNs:UInt64}, 1000000))
       SELECT * FROM ${LATEST_ROLLOUTS}
       WHERE rollout_id IN ids ${byAgent} ${byReward}
       ORDER BY enqueued_ms DESC, rollout_id
       LIMIT {limit:UInt32}`,
      {
        statuses: [...(q.statuses ?? [])],
        mode: q.mode ?? '',
        sinceNs: q.sinceNs ?? '0',
        agent: q.agent ?? '',
        ...(q.minReward === undefined ? {} : { minReward: q.minReward }),
        ...(q.maxReward === undefined ? {} : { maxReward: q.maxReward }),
        limit: q.limit,
      },
    );
    return rows.map(fromRow);
  }

  /** Reward and agents of each listed rollout (missing ids get a null reward and no agents). */
  async summaries(rolloutIds: readonly string[]): Promise<Map<string, RolloutSummary>> {
    const out = new Map<string, RolloutSummary>(rolloutIds.map((id) => [id, { reward: null, agents: [] }]));
    if (rolloutIds.length === 0) return out;
    const params = { list: [...rolloutIds] };
    const withIds = (sql: string): string => `WITH ids AS (SELECT arrayJoin({list:Array(String)}) AS rollout_id) ${sql}`;
    const [rewards, agents] = await Promise.all([
      this.db.query<{ rollout_id: string; reward: number | string }>(withIds(REWARD_OF_ROLLOUT), params),
      this.db.query<{ rollout_id: string; agents: string[] }>(withIds(AGENTS_OF_ROLLOUT), params),
    ]);
    for (const r of rewards) {
      const s = out.get(r.rollout_id);
      if (s) s.reward = Number(r.reward);
    }
    for (const r of agents) {
      const s = out.get(r.rollout_id);
      if (s) s.agents = [...r.agents].sort();
    }
    return out;
  }

  /** Every rollout that is not final (what the queue reloads at start), in queue order. */
  async loadLive(): Promise<RolloutRecord[]> {
    const rows = await this.db.query<RolloutRow>(`SELECT * FROM ${LATEST_ROLLOUTS} WHERE status NOT IN {final:Array(String)} ORDER BY queue_seq, rollout_id`, {
      final: FINAL_STATUSES,
    });
    return rows.map(fromRow);
  }

  /** The largest version written so far (0 when none), so versions keep increasing across restarts. */
  async maxVersion(): Promise<number> {
    const rows = await this.db.query<{ v: string | number }>(`SELECT max(version) AS v FROM rollouts`);
    return Number(rows[0]?.v ?? 0);
  }

  /** Writes everything buffered and stops the writer. */
  async close(): Promise<void> {
    if (!this.writer) return;
    await this.writer.drain();
    this.writer.close();
  }
}
