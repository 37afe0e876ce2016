// GRPO and SFT as training algorithms the job runner, the scheduler and `tracelight train` run.
import type { TrainingAlgorithm } from '../algorithm.js';
import { parseGrpoConfig, parseSftConfig, type GrpoConfig, type SftConfig } from './config.js';
import { runGrpo } from './grpo-run.js';
import { runSft } from './sft-run.js';

export const grpoAlgorithm: TrainingAlgorithm<GrpoConfig> = {
  name: 'grpo',
  summary: 'reinforcement learning (GRPO) of a model resource from the rollouts of live agents, through the LLM proxy',
  parseConfig: (raw, where) => parseGrpoConfig(raw, where),
  defaultJobName: (c) => c.name ?? `grpo:${c.model}`,
  graceSeconds: (c) => c.data.grace_seconds,
  needsWorkers: () => true,
  run: (c, ports, ctx) => runGrpo(c, ports, ctx),
};

export const sftAlgorithm: TrainingAlgorithm<SftConfig> = {
  name: 'sft',
  summary: 'supervised fine-tuning of a model resource on the best recorded traces of each task',
  parseConfig: (raw, where) => parseSftConfig(raw, where),
  defaultJobName: (c) => c.name ?? `sft:${c.model}`,
  graceSeconds: (c) => c.data.grace_seconds,
  needsWorkers: () => false,
  run: (c, ports, ctx) => runSft(c, ports, ctx),
};
