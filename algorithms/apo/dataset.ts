// Where the examples come from: a file (JSON lines, JSON or YAML), a list in the config, or the LLM calls
// recorded since the job's watermark (offline replay of a single-call agent). The validation set is another
// source or a deterministic hold-out of the train examples.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, describeIssues, type ApoConfig, type DataSource, type ExampleRecord } from './config.js';
import type { TrainingDataPort } from '../ports.js';
import { matchRecorded, messageText } from './template.js';
import type { Example } from './types.js';

const Record_ = z.strictObject({
  id: z.union([z.string().min(1), z.number()]).optional(),
  vars: z.record(z.string(), z.unknown()).optional(),
  input: z.unknown().optional(),
  expected: z.unknown().optional(),
});

function toExample(r: ExampleRecord & { id?: string | number }, fallbackId: string): Example {
  const plainInput = r.input && typeof r.input === 'object' && !Array.isArray(r.input) ? (r.input as Record<string, unknown>) : undefined;
  const vars = r.vars ?? plainInput ?? (r.input !== undefined ? { input: r.input } : {});
  return { id: r.id !== undefined ? String(r.id) : fallbackId, vars, input: r.input ?? vars, ...(r.expected !== undefined ? { expected: r.expected } : {}) };
}

export function readExampleFile(path: string, field: string): Example[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${field}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  const ext = extname(path).toLowerCase();
  let rows: unknown[];
  try {
    if (ext === '.jsonl' || ext === '.ndjson') {
      rows = text
        .split('\n')
        .map((l, i) => ({ l: l.trim(), i }))
        .filter(({ l }) => l !== '')
        .map(({ l, i }) => {
          try {
            return JSON.parse(l) as unknown;
          } catch (err) {
            throw new ConfigError(`${field}: ${path} line ${i + 1} is not JSON: ${(err as Error).message}`);
          }
        });
    } else {
      const v = ext === '.json' ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown);
      rows = Array.isArray(v) ? v : Array.isArray((v as { examples?: unknown })?.examples) ? (v as { examples: unknown[] }).examples : [];
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`${field}: ${path} does not parse: ${(err as Error).message.split('\n')[0]}`);
  }
  if (rows.length === 0) throw new ConfigError(`${field}: ${path} holds no examples (a list, {examples: [...]}, or one JSON object per line)`);
  return rows.map((row, i) => {
    const r = Record_.safeParse(row);
    if (!r.success) throw new ConfigError(`${field}: ${path} example ${i + 1}: ${describeIssues(r.error)}`);
    return toExample(r.data as ExampleRecord & { id?: string | number }, `${i + 1}`);
  });
}

export interface LoadContext {
  baseDir: string;
  data?: TrainingDataPort;
  /** The template whose renderings the recorded calls are matched against. */
  template: string;
  /**
   * The resource version that template is. A call that records another version of the resource was rendered
   * from another template, even when its text also matches this one (a child that appends to its parent does).
   */
  resource?: { name: string; version: number };
  window: { sinceNs: string; untilNs: string };
}

export async function loadSource(src: DataSource, field: string, ctx: LoadContext): Promise<Example[]> {
  if ('file' in src) return readExampleFile(isAbsolute(src.file) ? src.file : resolve(ctx.baseDir, src.file), `${field}.file`);
  if ('examples' in src) return src.examples.map((r, i) => toExample(r, `${i + 1}`));
  if (!ctx.data) throw new ConfigError(`${field}.recorded: recorded calls need the store`);
  const agent = src.recorded.agent || undefined;
  let calls: Awaited<ReturnType<typeof ctx.data.recordedCalls>>;
  try {
    calls = await ctx.data.recordedCalls({ ...ctx.window, ...(agent ? { agent } : {}), limit: src.recorded.limit });
  } catch (err) {
    if ((err as Error).message.startsWith('agent is not a valid regular expression'))
      throw new ConfigError(`${field}.recorded.agent: ${(err as Error).message}`);
    throw err;
  }
  const out: Example[] = [];
  const seen = new Set<string>();
  for (const call of calls) {
    const used = ctx.resource ? call.resources[ctx.resource.name] : undefined;
    if (used !== undefined && used !== String(ctx.resource?.version)) continue;
    const m = matchRecorded(ctx.template, call.input);
    if (!m) continue;
    const id = call.rollout_id || call.span_id;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({
      id,
      vars: m.vars,
      input: m.vars,
      recorded: {
        messages: call.input,
        templateMessage: m.index,
        model: call.model,
        rolloutId: call.rollout_id,
        output: messageText(call.output),
        reward: call.reward,
      },
    });
  }
  return out;
}

/**
 * Deterministic hold-out: an example is held out when the hash of its id (salted, so the test and validation
 * hold-outs of one train set are drawn independently) falls below the fraction.
 */
export function holdout(examples: Example[], fraction: number, salt = ''): { train: Example[]; validation: Example[] } {
  const inVal = (e: Example): boolean => createHash('sha1').update(`${salt}${e.id}`).digest().readUInt32BE(0) / 0x100000000 < fraction;
  return { train: examples.filter((e) => !inVal(e)), validation: examples.filter(inVal) };
}

export interface LoadedData {
  train: Example[];
  validation: Example[];
  /** Empty when the config has no data.test. */
  test: Example[];
}

/** Examples from another source than train get a prefix when their id is taken (they would share cache entries). */
function apart(examples: Example[], taken: Set<string>, prefix: string): Example[] {
  return examples.map((e) => (taken.has(e.id) ? { ...e, id: `${prefix}:${e.id}` } : e));
}

export async function loadData(cfg: ApoConfig['data'], ctx: LoadContext): Promise<LoadedData> {
  let train = await loadSource(cfg.train, 'data.train', ctx);
  let test: Example[] = [];
  if (cfg.test && 'holdout' in cfg.test) {
    // Taken first, so the validation hold-out never sees a test example.
    const split = holdout(train, cfg.test.holdout, 'test:');
    train = split.train;
    test = split.validation;
  }
  let validation: Example[];
  if ('holdout' in cfg.validation) {
    const split = holdout(train, cfg.validation.holdout);
    train = split.train;
    validation = split.validation;
  } else {
    validation = apart(await loadSource(cfg.validation, 'data.validation', ctx), new Set(train.map((e) => e.id)), 'val');
  }
  if (cfg.test && !('holdout' in cfg.test)) {
    test = apart(await loadSource(cfg.test, 'data.test', ctx), new Set([...train, ...validation].map((e) => e.id)), 'test');
  }
  return { train, validation, test };
}
