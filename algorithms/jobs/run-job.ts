// One run of a training job, recorded in job_runs: a row when it starts (status running) and one when it ends
// (succeeded, skipped or failed, with metrics, the resources written, the error). The run reads the data
// recorded since the job's watermark (the end of the window of its last successful run) up to its own start
// (less data.grace_seconds, so telemetry still on its way is left for the next run);
// only a successful run advances the watermark, so a failed or skipped run's data is read again next time.
import { randomBytes } from 'node:crypto';
import type { JobRun, JobRunLog } from '../../store/job-runs.js';
import type { AlgorithmResult, JobPorts, RunEvent } from '../algorithm.js';
import { algorithmNamed } from '../registry.js';
import type { JobDefinition } from './spec.js';

export type { JobPorts } from '../algorithm.js';

export interface RunJobOptions {
  trigger: 'manual' | 'schedule' | 'demo';
  promote?: boolean;
  emit?: (event: RunEvent) => void;
  /** Overrides the run id (tests). */
  runId?: string;
}

export interface JobOutcome<R extends AlgorithmResult = AlgorithmResult> {
  run: JobRun;
  result: R | null;
  error: Error | null;
}

export function newRunId(job: string, now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${job.replace(/[^A-Za-z0-9._-]+/g, '-')}-${stamp}-${randomBytes(3).toString('hex')}`;
}

export async function runJob<R extends AlgorithmResult = AlgorithmResult>(
  job: JobDefinition,
  runs: JobRunLog,
  ports: JobPorts,
  opts: RunJobOptions,
): Promise<JobOutcome<R>> {
  const algorithm = algorithmNamed(job.algorithm);
  if (!algorithm) throw new Error(`job ${job.name}: unknown training algorithm "${job.algorithm}"`);
  const caller = opts.emit ?? ((): void => undefined);
  const started = Date.now();
  const runId = opts.runId ?? newRunId(job.name, new Date(started));
  const since = await runs.watermark(job.name);
  const until = `${BigInt(Math.max(0, started - Math.round(algorithm.graceSeconds(job.config) * 1000))) * 1_000_000n}`;
  const run: JobRun = {
    run_id: runId,
    job: job.name,
    algorithm: job.algorithm,
    trigger: opts.trigger,
    status: 'running',
    config: job.raw,
    started_at: started,
    ended_at: null,
    window_start_ns: since,
    window_end_ns: until,
    metrics: {},
    resources: null,
    error: '',
    events: [],
    report: null,
  };
  await runs.write(run);
  const recorder = new EventRecorder(run, runs);
  const emit = (e: RunEvent): void => {
    recorder.record(e);
    caller(e);
  };

  let result: R | null = null;
  let error: Error | null = null;
  try {
    result = (await algorithm.run(job.config, ports, {
      emit,
      runId,
      job: job.name,
      baseDir: job.baseDir,
      window: { sinceNs: since, untilNs: until },
      promote: opts.promote,
    })) as R;
    run.status = result.status === 'skipped' ? 'skipped' : 'succeeded';
    run.metrics = result.metrics;
    run.resources = result.resources ?? null;
    run.report = result.report ?? null;
    if (result.status === 'skipped') run.error = `skipped: ${result.reason ?? ''}`;
  } catch (err) {
    error = err instanceof Error ? err : new Error(String(err));
    run.status = 'failed';
    run.error = error.message;
  }
  run.ended_at = Date.now();
  await recorder.settled();
  await runs.write(run);
  const finished: RunEvent = {
    event: 'run_finished',
    run_id: runId,
    status: run.status as 'succeeded' | 'failed' | 'skipped',
    rollouts: result?.rollouts ?? 0,
    ...(result?.baseline != null ? { baseline: result.baseline } : {}),
    ...(result?.best != null ? { best: result.best } : {}),
    ...(result?.bestVersion != null ? { best_version: result.bestVersion, promoted: result.promoted } : {}),
    ...(run.error ? { error: run.error } : {}),
  };
  caller(finished);
  return { run, result, error };
}

/** Events kept per run, and the longest text kept of one event's field (a critique, an error). */
const MAX_EVENTS = 2000;
const MAX_EVENT_TEXT = 4000;
/** Progress ticks say how far a phase is, which the run's page does not chart. */
const TICKS = new Set(['progress', 'run_started']);
/** After these the running run's record is rewritten, so its page charts it while it runs. */
const CHECKPOINTS = new Set(['baseline', 'round_finished', 'iteration', 'trained', 'stopped']);
const CHECKPOINT_EVERY_MS = 2000;

/**
 * Keeps a run's milestone events in its record and rewrites the record of a running run at checkpoints (at
 * most every two seconds, one write at a time), so a failure to write never fails the run itself.
 */
class EventRecorder {
  private writing: Promise<void> = Promise.resolve();
  private lastWrite = 0;
  private dropped = 0;

  constructor(
    private readonly run: JobRun,
    private readonly runs: JobRunLog,
  ) {}

  record(e: RunEvent): void {
    if (TICKS.has(e.event)) return;
    const events = (this.run.events ??= []);
    if (events.length >= MAX_EVENTS) {
      this.dropped++;
      return;
    }
    events.push(bounded(e));
    if (CHECKPOINTS.has(e.event) && Date.now() - this.lastWrite >= CHECKPOINT_EVERY_MS) {
      this.lastWrite = Date.now();
      const snapshot: JobRun = { ...this.run, events: [...events] };
      this.writing = this.writing.then(() => this.runs.write(snapshot)).catch(() => undefined);
    }
  }

  /** Waits for checkpoint writes, so the final record is the newest row. */
  async settled(): Promise<void> {
    await this.writing;
    if (this.dropped > 0) this.run.events?.push({ event: 'events_dropped', count: this.dropped });
  }
}

function bounded(e: RunEvent): RunEvent {
  return JSON.parse(
    JSON.stringify(e, (_k, v: unknown) => (typeof v === 'string' && v.length > MAX_EVENT_TEXT ? `${v.slice(0, MAX_EVENT_TEXT)}…` : v)),
  ) as RunEvent;
}
