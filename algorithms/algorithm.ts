// What a training algorithm is to the job runner and the scheduler: a config it parses, and a run over
// the data window that writes resources. APO is one; another algorithm is a folder of its own, an
// `algorithm.ts` implementing this, and a line in algorithms/registry.ts.
import type { ResourcePort, RolloutQueuePort, TrainingDataPort } from './ports.js';

/** What every run can reach; `queue` only where workers run the agent (active evaluation). */
export interface JobPorts {
  resources: ResourcePort;
  data?: TrainingDataPort;
  queue?: RolloutQueuePort;
}

/** A progress event of a run: `event` names it; `run_finished` is the job runner's, the rest the algorithm's. */
export type RunEvent = { event: string; [key: string]: unknown };

export interface RunContext {
  runId: string;
  job: string;
  /** Relative paths in the config are read from here. */
  baseDir: string;
  /** The data window: calls recorded in [sinceNs, untilNs). */
  window: { sinceNs: string; untilNs: string };
  promote?: boolean;
  /** Progress events (a run's events are the algorithm's own; `run_finished` is the runner's). */
  emit: (event: RunEvent) => void;
}

export interface AlgorithmResult {
  status: 'succeeded' | 'skipped';
  reason?: string;
  rollouts: number;
  /** The score the run started from and the best it reached (null where it has none). */
  baseline: number | null;
  best: number | null;
  bestVersion: number | null;
  promoted: boolean;
  /** Recorded with the run in job_runs. */
  metrics: Record<string, number>;
  resources?: { resource: string; versions: unknown[]; labels: Record<string, number> } | null;
  /** What the run found beyond its metrics (APO: every candidate and the reward curve), kept with the run. */
  report?: unknown;
}

export interface TrainingAlgorithm<C = unknown, R extends AlgorithmResult = AlgorithmResult> {
  /** The key of a `jobs:` entry (`apo: ./apo.yaml`), the `tracelight train <name>` command, job_runs.algorithm. */
  readonly name: string;
  /** One line for `tracelight train --help`. */
  readonly summary: string;
  /** Parses and checks a config (a file's contents or an inline object); `where` names it in errors. */
  parseConfig(raw: unknown, where: string): C;
  /** A job's default name when its config has none. */
  defaultJobName(config: C): string;
  /** Seconds of the newest data left for the next run (telemetry still on its way). */
  graceSeconds(config: C): number;
  /** Whether a run needs the rollout queue (workers run the agent), so a one-off run serves one. */
  needsWorkers(config: C): boolean;
  run(config: C, ports: JobPorts, ctx: RunContext): Promise<R>;
}
