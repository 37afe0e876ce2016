// Runs jobs on their cron schedules (croner). A job never overlaps itself: a tick that comes while the
// previous run of the same job is still going is skipped (and reported), not queued.
import { Cron } from 'croner';
import type { JobRunStore } from '../../store/job-runs.js';
import { runJob, type JobOutcome, type JobPorts } from './run-job.js';
import type { JobDefinition } from './spec.js';
import type { RunEvent } from '../algorithm.js';

export interface SchedulerEvents {
  onStart?(job: JobDefinition): void;
  onFinish?(job: JobDefinition, outcome: JobOutcome): void;
  /** A tick came while the job was still running. */
  onOverlap?(job: JobDefinition): void;
  onError?(job: JobDefinition, err: Error): void;
  /** Events of each run (jsonl logging). */
  emit?: (event: RunEvent) => void;
}

export class Scheduler {
  private readonly crons: Cron[] = [];
  private readonly running = new Map<string, Promise<unknown>>();
  private stopped = false;

  constructor(
    private readonly jobs: readonly JobDefinition[],
    private readonly runs: JobRunStore,
    private readonly ports: JobPorts,
    private readonly events: SchedulerEvents = {},
  ) {}

  start(): void {
    for (const job of this.jobs) {
      if (!job.schedule) continue;
      this.crons.push(
        new Cron(job.schedule, { unref: false }, () => {
          void this.tick(job);
        }),
      );
    }
  }

  /** When each job runs next. */
  nextRuns(): { job: string; schedule: string; next: Date | null }[] {
    return this.jobs.filter((j) => j.schedule).map((j, i) => ({ job: j.name, schedule: j.schedule as string, next: this.crons[i]?.nextRun() ?? null }));
  }

  /** Runs the job now unless it is already running (then reports the overlap and returns null). */
  tick(job: JobDefinition): Promise<unknown> | null {
    if (this.stopped) return null;
    if (this.running.has(job.name)) {
      this.events.onOverlap?.(job);
      return null;
    }
    this.events.onStart?.(job);
    const p = runJob(job, this.runs, this.ports, { trigger: 'schedule', emit: this.events.emit })
      .then((outcome) => this.events.onFinish?.(job, outcome))
      .catch((err: Error) => this.events.onError?.(job, err))
      .finally(() => this.running.delete(job.name));
    this.running.set(job.name, p);
    return p;
  }

  /** Stops scheduling and waits for running jobs to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const c of this.crons) c.stop();
    await Promise.allSettled([...this.running.values()]);
  }
}
