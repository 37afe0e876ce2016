// The task's grader for offline replay: a reward-function module, an LLM judge with a rubric, or a built-in
// comparison with the example's expected answer.
//
// A reward-function module is a JavaScript module (a .ts file when tracelight runs under tsx) whose default
// export (or the export named in the config) is called as `grade({vars, output, expected, example})` and returns
// a number, or `{reward, explanation?, expected?}`, or a promise of either.
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import OpenAI from 'openai';
import { ConfigError, type Grader } from './config.js';
import { resolveEndpoint } from './optimizer.js';
import type { Example } from './types.js';
import { errorClass } from '../../schemas/errors.js';

export interface GradeInput {
  vars: Record<string, unknown>;
  output: string;
  expected?: unknown;
  example: Example;
}

export interface Grade {
  reward: number;
  explanation?: string;
  expected?: string;
}

export type GradeFn = (input: GradeInput) => Grade | number | Promise<Grade | number>;

export const GraderError = errorClass('GraderError', 'invalid');

export function numbersIn(text: string): number[] {
  return (text.match(/-?\d+(?:,\d{3})*(?:\.\d+)?/g) ?? []).map((n) => Number(n.replace(/,/g, '')));
}

/** 1 when the last number in the output is the expected number, else 0. */
export function lastNumberGrade(output: string, expected: unknown): Grade {
  const want = Number(String(expected).replace(/[$,]/g, ''));
  if (expected === undefined || !Number.isFinite(want)) throw new GraderError('the last-number grader needs a numeric expected answer on every example');
  const got = numbersIn(output);
  const last = got[got.length - 1];
  if (last !== undefined && Math.abs(last - want) < 1e-9) return { reward: 1, expected: String(expected) };
  return {
    reward: 0,
    expected: String(expected),
    explanation:
      last === undefined
        ? `expected ${want}; the reply holds no number`
        : got.some((n) => Math.abs(n - want) < 1e-9)
          ? `expected ${want}; the reply mentions it but ends with ${last}`
          : `expected ${want}; the reply's final number is ${last}`,
  };
}

export function normalizeGrade(g: Grade | number, what: string): Grade {
  const grade = typeof g === 'number' ? { reward: g } : g;
  if (!grade || typeof grade.reward !== 'number' || !Number.isFinite(grade.reward))
    throw new GraderError(`${what} returned ${JSON.stringify(g)?.slice(0, 100)}, not a number or {reward}`);
  return grade;
}

export async function loadGrader(cfg: Grader, baseDir: string): Promise<GradeFn> {
  if ('builtin' in cfg) {
    if (cfg.builtin === 'last-number') return ({ output, expected }) => lastNumberGrade(output, expected);
    return ({ output, expected }) => {
      const ok = output.trim() === String(expected ?? '').trim();
      return { reward: ok ? 1 : 0, expected: String(expected ?? ''), explanation: ok ? undefined : 'the reply is not exactly the expected answer' };
    };
  }
  if ('module' in cfg) {
    const path = isAbsolute(cfg.module) ? cfg.module : resolve(baseDir, cfg.module);
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`evaluation.grader.module: cannot load ${path}: ${(err as Error).message.split('\n')[0]}`);
    }
    const name = cfg.export ?? 'default';
    const fn = mod[name] ?? (name === 'default' ? mod.grade : undefined);
    if (typeof fn !== 'function') throw new ConfigError(`evaluation.grader.module: ${path} has no function export "${name}"`);
    return fn as GradeFn;
  }
  return judgeGrader(cfg.judge);
}

/** An LLM judge: the rubric, the reference answer and the answer; a score from 0 to 1 in JSON. */
export function judgeGrader(cfg: Extract<Grader, { judge: unknown }>['judge']): GradeFn {
  const ep = resolveEndpoint(cfg, 'JUDGE', 'gpt-4.1-mini');
  const client = new OpenAI({ baseURL: ep.baseURL, apiKey: ep.apiKey, timeout: cfg.timeout_ms ?? 60_000, maxRetries: cfg.max_retries ?? 2 });
  return async ({ output, expected }) => {
    const user = [
      'You are a strict grader. Grade the answer against the reference answer, following the rubric.',
      `Rubric: ${cfg.rubric}`,
      `<reference>${String(expected ?? '(none)')}</reference>`,
      `<answer>${output}</answer>`,
      'Respond in JSON with a "score" from 0 to 1 and a short "explanation".',
    ].join('\n');
    const res = await client.chat.completions.create({ model: ep.model, temperature: cfg.temperature ?? 0, messages: [{ role: 'user', content: user }] });
    const text = res.choices?.[0]?.message?.content ?? '';
    let score: number | undefined;
    let explanation: string | undefined;
    try {
      const v = JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)) as { score?: unknown; explanation?: unknown };
      score = typeof v.score === 'number' ? v.score : Number(v.score);
      explanation = typeof v.explanation === 'string' ? v.explanation : undefined;
    } catch {
      score = Number(/score\s*[:=]\s*(-?\d+(?:\.\d+)?)/i.exec(text)?.[1]);
    }
    if (score === undefined || !Number.isFinite(score)) throw new GraderError(`the judge answered without a score: ${JSON.stringify(text.slice(0, 120))}`);
    return { reward: Math.max(0, Math.min(1, score)), explanation, expected: expected === undefined ? undefined : String(expected) };
  };
}
