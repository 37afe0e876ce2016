// GRPO and SFT job configurations (YAML or JSON), validated like APO's: every error names its field and unknown
// keys are errors. Both train a `model` resource (the policy: a checkpoint the reference trainer reads) and
// publish each result as its next version, moving a label the LLM proxy routes by.
import { z } from 'zod';
import { ConfigError, describeIssues } from '../apo/config.js';
import { CREDIT_POLICIES } from './grpo.js';

const posInt = z.number({ error: 'must be an integer' }).int('must be an integer').min(1, 'must be at least 1');

export const TrainerConfig = z.strictObject({
  /** The Python with torch installed (a venv's bin/python). */
  python: z.string().min(1).default('python3'),
  lr: z.number().gt(0).optional(),
  epochs: posInt.optional(),
  clip: z.number().gt(0).max(1).optional(),
  kl_beta: z.number().min(0).optional(),
  lora: z.number().int().min(0).optional(),
  device: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
  timeout_seconds: posInt.default(3600),
});
export type TrainerConfig = z.infer<typeof TrainerConfig>;

const Common = {
  name: z.string().min(1).max(200).optional(),
  /** The `model` resource under training, and the label that names its current version. */
  model: z.string().min(1, 'must name a model resource'),
  label: z.string().min(1).default('production'),
  /** Where new checkpoints are written (relative to the config file). */
  checkpoints: z.string().min(1).default('./checkpoints'),
  trainer: TrainerConfig.default({ python: 'python3', device: 'auto', timeout_seconds: 3600 }),
  /** The reference trainer's server for the policy: told to load each published checkpoint. */
  policy_server: z.url({ protocol: /^https?$/ }).optional(),
  data: z.strictObject({ grace_seconds: z.number().min(0).default(30) }).default({ grace_seconds: 30 }),
};

export const GrpoConfig = z.strictObject({
  ...Common,
  /** Task inputs: the rollout `input` each worker gets (n of each per iteration). */
  tasks: z.array(z.unknown()).min(1, 'give at least one task'),
  rollouts_per_task: posInt.default(8),
  iterations: posInt.default(10),
  /** How long an iteration waits for its rollouts. */
  rollout_timeout_seconds: posInt.default(600),
  credit: z.enum(CREDIT_POLICIES).default('final'),
  gamma: z.number().min(0).max(1).default(1),
  scale_by_std: z.boolean().default(true),
  max_tokens: posInt.default(8192),
  /** Rollout config for each enqueued rollout (timeouts, retries). */
  rollout_config: z.record(z.string(), z.unknown()).optional(),
});
export type GrpoConfig = z.infer<typeof GrpoConfig>;

export const SftConfig = z.strictObject({
  ...Common,
  /** Which traces to learn from: rollouts since the job's watermark, kept by reward. */
  select: z
    .strictObject({
      min_reward: z.number().optional(),
      top_percent: z.number().gt(0).max(100).optional(),
      /** Only calls of agents matching this RE2 pattern. */
      agent: z.string().max(256).optional(),
    })
    .default({}),
  /** Skip the run (not fail) with fewer examples than this. */
  min_examples: posInt.default(1),
});
export type SftConfig = z.infer<typeof SftConfig>;

function parse<T>(schema: z.ZodType<T>, raw: unknown, where: string): T {
  const r = schema.safeParse(raw);
  if (!r.success) throw new ConfigError(`${where}: ${describeIssues(r.error)}`);
  return r.data;
}

export const parseGrpoConfig = (raw: unknown, where = 'config'): GrpoConfig => parse(GrpoConfig, raw, where);
export const parseSftConfig = (raw: unknown, where = 'config'): SftConfig => parse(SftConfig, raw, where);
