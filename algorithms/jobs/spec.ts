// Training jobs as configured: a single APO config (`tracelight train apo --config FILE`), or a `jobs:` list
// with cron schedules (`tracelight serve --config FILE`):
//
//   jobs:
//     - name: nightly-apo
//       schedule: "0 3 * * *"      # cron, 5 fields (or 6 with seconds)
//       apo: ./apo.yaml            # the APO config: a file (relative to this one) or the object inline
//
// Each entry names its algorithm by key (algorithms/registry.ts). The same file may hold the server's
// `api_keys:` (api/auth.ts), and then needs no jobs.
import { dirname, isAbsolute, resolve } from 'node:path';
import { Cron } from 'croner';
import { z } from 'zod';
import { ConfigError, describeIssues, readConfigFile, type ApoConfig } from '../apo/config.js';
import { ALGORITHMS, algorithmNamed } from '../registry.js';

export interface JobDefinition<C = unknown> {
  name: string;
  /** A name in algorithms/registry.ts. */
  algorithm: string;
  schedule: string | null;
  /** The algorithm's parsed config. */
  config: C;
  /** Where relative paths in the config are read from. */
  baseDir: string;
  /** The config as written (recorded with each run). */
  raw: unknown;
}

const AlgorithmConfig = z.union([z.string().min(1), z.record(z.string(), z.unknown())], {
  error: "must be the algorithm's config (a file path or the object)",
});

const JobEntry = z
  .strictObject({
    name: z
      .string()
      .min(1, 'must not be empty')
      .max(200)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'must be letters, digits and ._:-'),
    schedule: z.string().min(1, 'must be a cron expression'),
    ...Object.fromEntries(ALGORITHMS.map((a) => [a.name, AlgorithmConfig.optional()])),
  })
  .refine((j) => ALGORITHMS.filter((a) => (j as Record<string, unknown>)[a.name] !== undefined).length === 1, {
    message: `name exactly one algorithm: ${ALGORITHMS.map((a) => a.name).join(', ')}`,
  });

// Other top-level sections (api_keys: the server's own) are read by their owners; a file with only keys
// needs no jobs, but a file with neither is a mistake (a misspelt `jobs:`, say).
const JobsFile = z.looseObject({
  jobs: z.array(JobEntry, { error: 'must be a list of jobs' }).default([]),
});

/** Checks a cron expression; returns an error message, or null when it is valid. */
export function cronError(expr: string): string | null {
  try {
    const c = new Cron(expr, { paused: true });
    const next = c.nextRun();
    c.stop();
    return next ? null : 'it never fires';
  } catch (err) {
    return (err as Error).message;
  }
}

/** A job from one algorithm's config file (train <algorithm> --config FILE). */
export function jobFromFile(algorithm: string, path: string): JobDefinition {
  const algo = algorithmNamed(algorithm);
  if (!algo) throw new ConfigError(`unknown training algorithm "${algorithm}"`);
  const raw = readConfigFile(path);
  const config = algo.parseConfig(raw, path);
  return { name: algo.defaultJobName(config), algorithm, schedule: null, config, baseDir: dirname(resolve(path)), raw };
}

/** A job from one APO config (train apo --config FILE). */
export function apoJobFromFile(path: string): JobDefinition<ApoConfig> {
  return jobFromFile('apo', path) as JobDefinition<ApoConfig>;
}

/** The `jobs:` of a serve config file. */
export function jobsFromFile(path: string): JobDefinition[] {
  const raw = readConfigFile(path);
  const parsed = JobsFile.safeParse(raw);
  if (parsed.success && raw !== null && typeof raw === 'object' && !('jobs' in raw) && !('api_keys' in raw))
    throw new ConfigError(`${path}: jobs: is required`);
  if (!parsed.success) throw new ConfigError(`${path}: ${describeIssues(parsed.error)}`);
  const baseDir = dirname(resolve(path));
  const names = new Set<string>();
  return parsed.data.jobs.map((j, i) => {
    const where = `jobs[${i}]`;
    if (names.has(j.name)) throw new ConfigError(`${path}: ${where}.name: "${j.name}" is used twice`);
    names.add(j.name);
    const err = cronError(j.schedule);
    if (err) throw new ConfigError(`${path}: ${where}.schedule: invalid cron expression "${j.schedule}": ${err}`);
    const algo = ALGORITHMS.find((a) => (j as Record<string, unknown>)[a.name] !== undefined);
    if (!algo) throw new ConfigError(`${path}: ${where}: name exactly one algorithm`);
    const given = (j as Record<string, unknown>)[algo.name] as string | Record<string, unknown>;
    let raw: unknown = given;
    let dir = baseDir;
    let label = `${path}: ${where}.${algo.name}`;
    if (typeof given === 'string') {
      const file = isAbsolute(given) ? given : resolve(baseDir, given);
      raw = readConfigFile(file);
      dir = dirname(file);
      label = file;
    }
    const config = algo.parseConfig(raw, label);
    return { name: j.name, algorithm: algo.name, schedule: j.schedule, config, baseDir: dir, raw };
  });
}
