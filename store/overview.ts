// What the web UI's overview shows, read from the store in a handful of bounded aggregate queries: activity
// per time bucket, LLM calls per agent and model, rollouts per status, the workers seen lately. Rows of the
// ReplacingMergeTree tables may still be duplicated before a merge, so counts are of distinct keys.
import type { Driver } from './driver.js';

export interface OverviewWindow {
  /** Start of the window, milliseconds since the epoch. */
  sinceMs: number;
  untilMs: number;
  bucketSeconds: number;
  /** Whether otel_traces is written (serve --no-raw leaves it empty). */
  raw: boolean;
}

export interface ActivityBucket {
  /** ISO time of the bucket's start. */
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
}

export interface WorkerSeen {
  worker_id: string;
  rollout_id: string;
  attempt_id: string;
  status: string;
  attempts: number;
  last_seen_at: string;
}

const num = (v: unknown): number => Number(v ?? 0);
const iso = (ms: unknown): string => new Date(Number(ms)).toISOString();

function windowParams(w: OverviewWindow): Record<string, string | number> {
  return { since: w.sinceMs / 1000, until: w.untilMs / 1000, bucket: w.bucketSeconds };
}

export async function activity(db: Driver, w: OverviewWindow): Promise<ActivityBucket[]> {
  const p = windowParams(w);
  const bucket = (col: string): string => `toUnixTimestamp(toStartOfInterval(${col}, toIntervalSecond({bucket:UInt32}))) * 1000`;
  const inWindow = (col: string): string =>
    `${col} >= fromUnixTimestamp64Milli(toInt64({since:Float64} * 1000)) AND ${col} < fromUnixTimestamp64Milli(toInt64({until:Float64} * 1000))`;
  const [calls, rewards, spans] = await Promise.all([
    db.query<{ b: string; calls: string; errors: string }>(
      `SELECT ${bucket('start_time')} AS b, uniqExact(trace_id, span_id) AS calls, uniqExactIf((trace_id, span_id), status = 'error') AS errors
       FROM llm_calls WHERE ${inWindow('start_time')} GROUP BY b`,
      p,
    ),
    db.query<{ b: string; n: string; mean: number | null }>(
      `SELECT ${bucket('time')} AS b, count() AS n, avg(value) AS mean
       FROM (SELECT time, value FROM rewards WHERE ${inWindow('time')} ORDER BY inserted_at DESC LIMIT 1 BY reward_id) GROUP BY b`,
      p,
    ),
    w.raw
      ? db.query<{ b: string; n: string }>(`SELECT ${bucket('Timestamp')} AS b, count() AS n FROM otel_traces WHERE ${inWindow('Timestamp')} GROUP BY b`, p)
      : Promise.resolve([]),
  ]);
  const buckets = new Map<number, ActivityBucket>();
  const step = w.bucketSeconds * 1000;
  for (let t = Math.floor(w.sinceMs / step) * step; t < w.untilMs; t += step) {
    buckets.set(t, { t: iso(t), spans: 0, llm_calls: 0, llm_errors: 0, rewards: 0, reward_mean: null });
  }
  const at = (b: string): ActivityBucket | undefined => buckets.get(Number(b));
  for (const r of calls) {
    const b = at(r.b);
    if (b) {
      b.llm_calls = num(r.calls);
      b.llm_errors = num(r.errors);
    }
  }
  for (const r of rewards) {
    const b = at(r.b);
    if (b) {
      b.rewards = num(r.n);
      b.reward_mean = r.mean === null ? null : Number(r.mean);
    }
  }
  for (const r of spans) {
    const b = at(r.b);
    if (b) b.spans = num(r.n);
  }
  return [...buckets.values()];
}

export async function callsByAgentModel(db: Driver, w: OverviewWindow): Promise<CallsByAgentModel[]> {
  const rows = await db.query<Record<string, string>>(
    `SELECT agent, if(response_model != '', response_model, request_model) AS model, count() AS calls, countIf(status = 'error') AS errors,
            sum(ifNull(input_tokens, 0)) AS input_tokens, sum(ifNull(output_tokens, 0)) AS output_tokens
     FROM (SELECT agent, response_model, request_model, status, input_tokens, output_tokens FROM llm_calls
           WHERE start_time >= fromUnixTimestamp64Milli(toInt64({since:Float64} * 1000)) AND start_time < fromUnixTimestamp64Milli(toInt64({until:Float64} * 1000))
           ORDER BY inserted_at DESC LIMIT 1 BY trace_id, span_id)
     GROUP BY agent, model ORDER BY calls DESC, agent, model LIMIT 200`,
    windowParams(w),
  );
  return rows.map((r) => ({
    agent: r.agent ?? '',
    model: r.model ?? '',
    calls: num(r.calls),
    errors: num(r.errors),
    input_tokens: num(r.input_tokens),
    output_tokens: num(r.output_tokens),
  }));
}

/** Rollouts per status, over all rollouts stored (the queue's whole backlog, not only the window). */
export async function rolloutCounts(db: Driver): Promise<Record<string, number>> {
  const rows = await db.query<{ status: string; n: string }>(
    `SELECT status, count() AS n FROM (SELECT rollout_id, status FROM rollouts ORDER BY rollout_id, version DESC LIMIT 1 BY rollout_id) GROUP BY status`,
  );
  return Object.fromEntries(rows.map((r) => [r.status, num(r.n)]));
}

/** Workers that started or heartbeat an attempt in the window, the most recently seen first. */
export async function workersSeen(db: Driver, w: OverviewWindow): Promise<WorkerSeen[]> {
  const rows = await db.query<Record<string, string>>(
    `SELECT worker_id, argMax(rollout_id, seen) AS rollout_id, argMax(attempt_id, seen) AS attempt_id, argMax(status, seen) AS status,
            count() AS attempts, toUnixTimestamp64Milli(max(seen)) AS seen_ms
     FROM (SELECT worker_id, rollout_id, attempt_id, status, greatest(started_at, ifNull(last_heartbeat_at, started_at), ifNull(ended_at, started_at)) AS seen
           FROM rollout_attempts
           -- an attempt seen in the window started at most a day before it (attempt deadlines are shorter)
           WHERE started_at >= fromUnixTimestamp64Milli(toInt64(({since:Float64} - 86400) * 1000))
           ORDER BY rollout_id, attempt_id, version DESC LIMIT 1 BY rollout_id, attempt_id)
     WHERE seen >= fromUnixTimestamp64Milli(toInt64({since:Float64} * 1000)) AND worker_id != ''
     GROUP BY worker_id ORDER BY max(seen) DESC LIMIT 100`,
    windowParams(w),
  );
  return rows.map((r) => ({
    worker_id: r.worker_id ?? '',
    rollout_id: r.rollout_id ?? '',
    attempt_id: r.attempt_id ?? '',
    status: r.status ?? '',
    attempts: num(r.attempts),
    last_seen_at: iso(r.seen_ms),
  }));
}
