// Training job runs (table `job_runs`): one row per run and change — written when the run starts, again when
// it ends — the newest row per (job, run_id) (highest `version`) being the run's state. The watermark of a job
// is the end of the data window of its latest SUCCESSFUL run: a failed run is recorded but never advances it.
import type { Driver } from './driver.js';
import { jsonLine, nextVersion } from './json-line.js';

export type JobRunStatus = 'running' | 'succeeded' | 'failed' | 'skipped';

export interface JobRun {
  run_id: string;
  job: string;
  algorithm: string;
  /** manual | schedule | demo */
  trigger: string;
  status: JobRunStatus;
  /** The job's configuration as it ran (JSON). */
  config: unknown;
  /** Milliseconds since the epoch. */
  started_at: number;
  ended_at: number | null;
  /** The data window, nanoseconds since the epoch: rows recorded in [window_start, window_end). */
  window_start_ns: string;
  window_end_ns: string;
  metrics: Record<string, number>;
  /** Resource versions and labels the run wrote. */
  resources: unknown;
  error: string;
  /** The milestone events the run emitted, in order (rounds, candidates, iterations; not progress ticks). */
  events?: RunEventRecord[];
  /** The algorithm's closing report (APO: its candidates and curve), null before it ends. */
  report?: unknown;
}

export type RunEventRecord = { event: string; [key: string]: unknown };

interface Row {
  run_id: string;
  job: string;
  algorithm: string;
  trigger: string;
  status: string;
  config: string;
  started_ms: string | number;
  ended_ms: string | number | null;
  window_start_ns: string;
  window_end_ns: string;
  metrics: Record<string, number | string>;
  resources: string;
  error: string;
  events: string;
  report: string;
}

const COLUMNS = `run_id, job, algorithm, trigger, status, config,
  toUnixTimestamp64Milli(started_at) AS started_ms, toUnixTimestamp64Milli(ended_at) AS ended_ms,
  toString(toUnixTimestamp64Nano(window_start)) AS window_start_ns, toString(toUnixTimestamp64Nano(window_end)) AS window_end_ns,
  metrics, resources, error, events, report`;

// A list shows no run's events or report (a run page reads them): they can be large.
const LIST_COLUMNS = COLUMNS.replace('events, report', `'[]' AS events, 'null' AS report`);

function parse(r: Row): JobRun {
  const json = (s: string): unknown => {
    try {
      return JSON.parse(s);
    } catch {
      return s;
    }
  };
  return {
    run_id: r.run_id,
    job: r.job,
    algorithm: r.algorithm,
    trigger: r.trigger,
    status: r.status as JobRunStatus,
    config: json(r.config),
    started_at: Number(r.started_ms),
    ended_at: r.ended_ms === null ? null : Number(r.ended_ms),
    window_start_ns: r.window_start_ns,
    window_end_ns: r.window_end_ns,
    metrics: Object.fromEntries(Object.entries(r.metrics).map(([k, v]) => [k, Number(v)])),
    resources: json(r.resources),
    error: r.error,
    events: ((e) => (Array.isArray(e) ? (e as RunEventRecord[]) : []))(json(r.events)),
    report: json(r.report) ?? null,
  };
}

/** Where a training run is recorded: the store itself, or a tracelight server that owns it (client/). */
export interface JobRunLog {
  /** Writes the run's current state (the newest write is the state). */
  write(run: JobRun): Promise<void>;
  /** The end of the data window of the job's latest successful run ('0' when it never succeeded). */
  watermark(job: string): Promise<string>;
}

export class JobRunStore implements JobRunLog {
  constructor(private readonly db: Driver) {}

  /** Writes the run's current state (a new row; the newest is the state). */
  async write(run: JobRun): Promise<void> {
    const line = jsonLine(
      {
        run_id: run.run_id,
        job: run.job,
        algorithm: run.algorithm,
        trigger: run.trigger,
        status: run.status,
        config: JSON.stringify(run.config ?? null),
        started_at: run.started_at,
        ended_at: run.ended_at,
        metrics: Object.fromEntries(Object.entries(run.metrics).filter(([, v]) => Number.isFinite(v))),
        resources: JSON.stringify(run.resources ?? null),
        error: run.error,
        events: JSON.stringify(run.events ?? []),
        report: JSON.stringify(run.report ?? null),
        version: nextVersion(),
      },
      { window_start: BigInt(run.window_start_ns), window_end: BigInt(run.window_end_ns) },
    );
    await this.db.insertJsonEachRow('job_runs', Buffer.from(`${line}\n`));
  }

  async get(runId: string): Promise<JobRun | null> {
    const rows = await this.db.query<Row>(`SELECT ${COLUMNS} FROM job_runs WHERE run_id = {id:String} ORDER BY version DESC LIMIT 1`, { id: runId });
    return rows[0] ? parse(rows[0]) : null;
  }

  /** The job's runs, newest first (every job's when `job` is omitted). */
  async list(opts: { job?: string; limit?: number } = {}): Promise<JobRun[]> {
    const rows = await this.db.query<Row>(
      `SELECT ${LIST_COLUMNS} FROM (
         SELECT * FROM job_runs WHERE ({job:String} = '' OR job = {job:String}) ORDER BY version DESC LIMIT 1 BY job, run_id
       ) ORDER BY started_at DESC, run_id DESC LIMIT {limit:UInt32}`,
      { job: opts.job ?? '', limit: opts.limit ?? 100 },
    );
    return rows.map(parse);
  }

  /** The end of the data window of the job's latest successful run ('0' when it never succeeded). */
  async watermark(job: string): Promise<string> {
    const rows = await this.db.query<{ w: string }>(
      `SELECT toString(toUnixTimestamp64Nano(max(window_end))) AS w FROM (
         SELECT status, window_end FROM job_runs WHERE job = {job:String} ORDER BY version DESC LIMIT 1 BY run_id
       ) WHERE status = 'succeeded'`,
      { job },
    );
    const w = rows[0]?.w;
    return w && /^\d+$/.test(w) && w !== '0' ? w : '0';
  }
}
