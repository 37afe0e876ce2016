// The APO job configuration: YAML or JSON, validated with zod. Every error names the field it is about
// (`search.beam_width: must be at least 1`), and unknown keys are errors too (a typo never silently does nothing).
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { errorClass } from '../../schemas/errors.js';

export const ConfigError = errorClass('ConfigError', 'invalid');

const posInt = (what = 'an integer') =>
  z
    .number({ error: `must be ${what}` })
    .int(`must be ${what}`)
    .min(1, 'must be at least 1');

/** An OpenAI-compatible endpoint: base URL, model, and the NAME of the variable holding the key (never the key). */
export const Endpoint = z.strictObject({
  base_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  model: z.string().min(1, 'must not be empty').optional(),
  api_key_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
    .optional(),
  temperature: z.number().min(0).max(2).optional(),
  timeout_ms: posInt().optional(),
  max_retries: z.number().int().min(0).max(10).optional(),
});
export type Endpoint = z.infer<typeof Endpoint>;

export const Grader = z.union(
  [
    z.strictObject({ module: z.string().min(1, 'must name a module file'), export: z.string().min(1).optional() }),
    z.strictObject({ judge: Endpoint.extend({ rubric: z.string().min(1, 'must not be empty') }) }),
    z.strictObject({ builtin: z.enum(['last-number', 'exact']) }),
  ],
  { error: 'must be {module: FILE}, {judge: {model, rubric}} or {builtin: last-number|exact}' },
);
export type Grader = z.infer<typeof Grader>;

const ExampleRecord = z.strictObject({
  id: z.string().min(1).optional(),
  vars: z.record(z.string(), z.unknown()).optional(),
  input: z.unknown().optional(),
  expected: z.unknown().optional(),
});
export type ExampleRecord = z.infer<typeof ExampleRecord>;

export const DataSource = z.union(
  [
    z.strictObject({ file: z.string().min(1) }),
    z.strictObject({ examples: z.array(ExampleRecord).min(1, 'must hold at least one example') }),
    z.strictObject({
      recorded: z.strictObject({
        /** Only calls whose agent name matches (a regular expression). */
        agent: z.string().optional(),
        /** Most recent calls to use. */
        limit: posInt().default(500),
      }),
    }),
  ],
  { error: 'must be {file: PATH}, {examples: [...]} or {recorded: {...}}' },
);
export type DataSource = z.infer<typeof DataSource>;

const Active = z.strictObject({
  mode: z.literal('active'),
  /** The rollout `mode` enqueued (train / val). */
  rollout_mode: z.string().min(1).default('train'),
  /** Extra `config` passed with each enqueued rollout. */
  rollout_config: z.record(z.string(), z.unknown()).optional(),
  /** How long to wait for one batch of rollouts to complete. */
  timeout_ms: posInt().default(300_000),
  /** How long to wait for a failed rollout's telemetry (its output text) after it completed. */
  telemetry_wait_ms: z.number().int().min(0).default(5000),
});

const Replay = z.strictObject({
  mode: z.literal('replay'),
  /** The agent's model (re-run with the candidate prompt); default OPENAI_BASE_URL / OPENAI_MODEL. */
  model: Endpoint.default({}),
  grader: Grader,
  /** Role of the rendered prompt when an example has no recorded call (a `{template}` resource). */
  role: z.enum(['user', 'system']).default('user'),
  concurrency: posInt().default(8),
});

const Gepa = z.strictObject({
  /** Reflection steps (one parent, one minibatch, children proposed from its failures). */
  iterations: posInt().default(12),
  /** Where the Pareto set (the examples every pooled candidate is scored on) is drawn from. */
  pareto_set: z.enum(['validation', 'train'], { error: 'must be "validation" or "train"' }).default('validation'),
  /** Examples in the Pareto set (fewer when the set is smaller). */
  pareto_size: posInt().default(16),
  /** Children proposed per reflection. */
  children: posInt().default(1),
  /** Every this many iterations, one iteration merges two front members instead of reflecting (0: never). */
  merge_every: z.number({ error: 'must be an integer' }).int('must be an integer').min(0, 'must be at least 0').default(0),
});

const FewShot = z.strictObject({
  /** Demonstrations per candidate. */
  k: posInt().default(3),
  /** Random demonstration subsets tried (each scored on the minibatch; the best is validated). */
  trials: posInt().default(6),
  /** Train examples each subset is scored on (default search.minibatch); never one of its demonstrations. */
  minibatch: posInt().optional(),
  /** Most demonstrations considered (the pool the subsets are drawn from). */
  pool: posInt().default(32),
});

const ApoConfigFields = z.strictObject({
  /** The job's name: the key of its runs and watermark (default `apo:<resource>`). */
  name: z.string().min(1).max(200).optional(),
  /** The prompt_template resource to optimize. */
  resource: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be a resource name ([A-Za-z0-9._-])'),
  /** Label or version number to start from. */
  start: z.union([z.string().min(1), z.number().int().min(1)]).default('production'),
  /** For a `{messages: [...]}` template: the index of the message to optimize (default: the first system message, else 0). */
  message: z.number().int().min(0).optional(),
  optimizer: Endpoint.default({}),
  evaluation: z.discriminatedUnion('mode', [Active, Replay], { error: 'evaluation.mode must be "active" or "replay"' }),
  data: z.strictObject({
    train: DataSource,
    validation: z.union([DataSource, z.strictObject({ holdout: z.number().gt(0).lt(1) })]).default({ holdout: 0.5 }),
    /**
     * Scored only after the search (the start prompt and the winner), never used to choose: another source,
     * or a hold-out of the train examples taken before the validation hold-out.
     */
    test: z.union([DataSource, z.strictObject({ holdout: z.number().gt(0).lt(1) })], { error: 'must be a data source or {holdout: FRACTION}' }).optional(),
    /** Fewer train examples than this: the run is skipped (recorded, watermark kept). */
    min_examples: z.number().int().min(1).default(4),
    /**
     * Recorded data: the window ends this long before the run starts, so telemetry still on its way (a call's
     * content arrives apart from its span) is read by the next run rather than skipped.
     */
    grace_seconds: z.number().min(0).default(30),
  }),
  search: z
    .strictObject({
      /**
       * beam: rounds of textual-gradient beam search; gepa: reflective evolution over a Pareto front of
       * candidates (search.gepa); none: no instruction search (the start prompt, with few_shot when set).
       */
      method: z.enum(['beam', 'gepa', 'none'], { error: 'must be "beam", "gepa" or "none"' }).default('beam'),
      beam_width: posInt().default(2),
      /** Children asked of the optimizer per beam member per round. */
      branch: posInt().default(3),
      rounds: posInt().default(3),
      minibatch: posInt().default(8),
      /** Failures shown to the optimizer per critique. */
      max_failures: posInt().default(5),
      /** A reward below this counts as a failure. */
      success_threshold: z.number().default(1),
      /** successive-halving (default) or ucb: weak candidates stop early; full: every candidate on every train example (plain beam). */
      selection: z.enum(['successive-halving', 'ucb', 'full']).default('successive-halving'),
      /** Halving rate. */
      eta: z.number().int().min(2).default(2),
      /** UCB: exploration constant and examples per pull. */
      ucb_c: z.number().min(0).default(0.5),
      /** Beam members validated each round. */
      validate_top: posInt().default(1),
      /** Rounds without a validation improvement before stopping. */
      patience: posInt().default(1),
      min_delta: z.number().min(0).default(0),
      seed: z.number().int().default(1),
      gepa: Gepa.prefault({}),
    })
    .prefault({}),
  few_shot: FewShot.optional(),
  budget: z.strictObject({ rollouts: posInt().default(1000) }).prefault({}),
  /** The label the winner gets. */
  candidate_label: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a label name')
    .default('candidate'),
  promote: z
    .strictObject({
      label: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be a label name')
        .default('production'),
      /** Promote when the winner beats the start prompt on validation by at least this much. */
      min_improvement: z.number().min(0).optional(),
      /** Promote whatever wins (what `--promote` sets). */
      always: z.boolean().default(false),
    })
    .prefault({}),
});

export const ApoConfig = ApoConfigFields.superRefine((c, ctx) => {
  // A run that neither edits the instruction nor adds demonstrations would only measure the start prompt.
  if (c.search.method === 'none' && !c.few_shot)
    ctx.addIssue({ code: 'custom', path: ['search', 'method'], message: '"none" needs few_shot (otherwise the run has nothing to search)' });
});
export type ApoConfig = z.infer<typeof ApoConfig>;
export type FewShotConfig = z.infer<typeof FewShot>;
export type ApoConfigInput = z.input<typeof ApoConfig>;

/** `a.b[2].c: message` for the first issue (unknown keys are named too). */
export function describeIssues(err: z.ZodError, prefix = ''): string {
  return err.issues
    .slice(0, 3)
    .map((issue) => {
      const path = [prefix, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))].filter(Boolean).join('.').replace(/\.\[/g, '[');
      let message = issue.message;
      if (issue.code === 'unrecognized_keys') message = `unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) message = 'is required';
      return `${path || '(top level)'}: ${message}`;
    })
    .join('; ');
}

export function parseApoConfig(value: unknown, where = 'config'): ApoConfig {
  const r = ApoConfig.safeParse(value);
  if (!r.success) throw new ConfigError(`${where}: ${describeIssues(r.error)}`);
  return r.data;
}

/** Reads a YAML or JSON file (by extension; YAML otherwise, which also reads JSON). */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  try {
    return extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path} is not valid ${extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
}
