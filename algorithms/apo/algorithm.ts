// APO as a training algorithm the job runner and the scheduler run (algorithms/algorithm.ts).
import type { TrainingAlgorithm } from '../algorithm.js';
import { parseApoConfig, type ApoConfig } from './config.js';
import { runApo, type ApoResult } from './run.js';

export const apoAlgorithm: TrainingAlgorithm<ApoConfig, ApoResult & { resources: { resource: string; versions: unknown[]; labels: Record<string, number> } }> =
  {
    name: 'apo',
    summary: 'automatic prompt optimization of a prompt_template resource (textual-gradient beam search or GEPA-style evolution; few-shot demonstrations)',
    parseConfig: (raw, where) => parseApoConfig(raw, where),
    defaultJobName: (config) => config.name ?? `apo:${config.resource}`,
    graceSeconds: (config) => config.data.grace_seconds,
    needsWorkers: (config) => config.evaluation.mode === 'active',
    async run(config, ports, ctx) {
      const result = await runApo(config, { ...ports, ...ctx });
      return { ...result, resources: { resource: config.resource, versions: result.written, labels: result.labels } };
    },
  };
