// The optimizer model: any OpenAI-compatible endpoint, configured apart from the agent's model. Two requests,
// the "textual gradient" of APO: CRITIQUE a prompt from its failures, then REWRITE it by applying the critique.
// An endpoint that fails (after the SDK's retries) or answers with something that holds no critique / no
// prompt raises OptimizerError, which fails the run; children that break the template are rejected one by one.
import OpenAI from 'openai';
import type { Endpoint } from './config.js';
import type { Failure } from './types.js';
import { errorClass } from '../../schemas/errors.js';

export const OptimizerError = errorClass('OptimizerError', 'unavailable');

export interface OptimizerModel {
  readonly model: string;
  critique(prompt: string, failures: Failure[]): Promise<string>;
  rewrite(prompt: string, critique: string, failures: Failure[], n: number, seed: number): Promise<string[]>;
  /** One prompt combining two (GEPA's merge step); without it, a search never merges. */
  merge?(first: string, second: string, seed: number): Promise<string[]>;
  /** Requests sent so far. */
  readonly calls: number;
}

const MAX_FIELD = 600;
const clip = (s: string, n = MAX_FIELD): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Failures as JSON records: unambiguous for a model, multi-line outputs included. */
export function failureRecords(failures: Failure[]): string {
  return JSON.stringify(
    failures.map((f) => ({
      input: clip(f.input),
      output: clip(f.output),
      ...(f.expected !== undefined ? { expected: clip(f.expected, 200) } : {}),
      reward: f.reward,
      ...(f.explanation ? { explanation: clip(f.explanation, 300) } : {}),
    })),
    null,
    1,
  );
}

export function critiqueRequest(prompt: string, failures: Failure[]): { system: string; user: string } {
  return {
    system: 'You are an expert prompt engineer. You diagnose why a prompt template makes a language model fail.',
    user: [
      'Critique the prompt template below: name the weaknesses of the prompt that explain the failing examples, and say how each could be fixed.',
      "Placeholders such as {{question}} are filled in with each example's input.",
      '',
      '<prompt_template>',
      prompt,
      '</prompt_template>',
      '',
      `Failing examples (input, model output, expected answer, reward, grader explanation), as records:`,
      failureRecords(failures),
      '',
      'Produce a critique: a short numbered list of the weaknesses, each with its fix.',
    ].join('\n'),
  };
}

export function rewriteRequest(prompt: string, critique: string, failures: Failure[], n: number): { system: string; user: string } {
  return {
    system: 'You are an expert prompt engineer. You edit prompt templates so that a language model answers correctly.',
    user: [
      `Rewrite the prompt template below to apply the critique, and propose ${n} new prompts (${n} different edits).`,
      'Keep every placeholder in double braces, such as {{question}}, exactly as written: it is filled in with each input.',
      '',
      '<prompt_template>',
      prompt,
      '</prompt_template>',
      '',
      '<critique>',
      critique.trim(),
      '</critique>',
      '',
      'Failing examples, as records:',
      failureRecords(failures),
      '',
      `Respond in JSON: {"prompts": ["<new prompt 1>", "..."]} with ${n} prompt templates.`,
    ].join('\n'),
  };
}

export function mergeRequest(first: string, second: string): { system: string; user: string } {
  return {
    system: 'You are an expert prompt engineer. You edit prompt templates so that a language model answers correctly.',
    user: [
      'Two prompt templates for the same task each do well on different examples. Rewrite the first prompt template below so that it also keeps the instructions of the second one that it lacks: one new prompt that combines the strengths of both.',
      'Keep every placeholder in double braces, such as {{question}}, exactly as written: it is filled in with each input.',
      '',
      '<prompt_template>',
      first,
      '</prompt_template>',
      '',
      '<second_template>',
      second,
      '</second_template>',
      '',
      '<critique>',
      'Apply the instructions of the second template that the first one lacks, without dropping any of its own:',
      second,
      '</critique>',
      '',
      'Respond in JSON: {"prompts": ["<new prompt>"]} with 1 prompt template.',
    ].join('\n'),
  };
}

/** The prompts in an optimizer answer: JSON (`{"prompts": [...]}`, any array of strings, a fenced block) or <prompt> tags. */
export function parsePrompts(text: string): string[] {
  const fromJson = (raw: string): string[] | null => {
    try {
      const v: unknown = JSON.parse(raw);
      if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
      if (v && typeof v === 'object') {
        for (const value of Object.values(v as Record<string, unknown>)) {
          if (Array.isArray(value) && value.some((x) => typeof x === 'string')) return value.filter((x): x is string => typeof x === 'string');
          if (typeof value === 'string' && Object.keys(v as object).length === 1) return [value];
        }
      }
    } catch {
      // not JSON
    }
    return null;
  };
  const trimmed = text.trim();
  const candidates = [trimmed, /```(?:json)?\s*\n([\s\S]*?)\n```/.exec(trimmed)?.[1] ?? '', trimmed.slice(trimmed.indexOf('{'), trimmed.lastIndexOf('}') + 1)];
  for (const c of candidates) {
    if (!c) continue;
    const got = fromJson(c);
    if (got && got.length > 0) return got.map((s) => s.trim()).filter(Boolean);
  }
  const tagged = [...trimmed.matchAll(/<(prompt|new_prompt|prompt_template|template)>\n?([\s\S]*?)\n?<\/\1>/gi)]
    .map((m) => (m[2] ?? '').trim())
    .filter(Boolean);
  return tagged;
}

export interface OptimizerOptions extends Endpoint {
  /** Resolved key (the config names only its variable). */
  apiKey?: string;
  fetch?: typeof fetch;
}

/** The default endpoint: OPTIMIZER_BASE_URL / OPTIMIZER_MODEL / OPTIMIZER_API_KEY, else the OPENAI_* ones. */
export function resolveEndpoint(
  e: Endpoint,
  prefix: 'OPTIMIZER' | 'AGENT' | 'JUDGE',
  fallbackModel: string,
): { baseURL: string; model: string; apiKey: string } {
  const env = (k: string): string | undefined => (process.env[k]?.trim() ? process.env[k]?.trim() : undefined);
  const baseURL = e.base_url ?? env(`${prefix}_BASE_URL`) ?? env('OPENAI_BASE_URL') ?? 'https://api.openai.com/v1';
  const model = e.model ?? env(`${prefix}_MODEL`) ?? env('OPENAI_MODEL') ?? fallbackModel;
  const apiKey = (e.api_key_env ? env(e.api_key_env) : undefined) ?? env(`${prefix}_API_KEY`) ?? env('OPENAI_API_KEY') ?? 'unused';
  return { baseURL, model, apiKey };
}

export class OpenAIOptimizer implements OptimizerModel {
  private readonly client: OpenAI;
  readonly model: string;
  private readonly temperature: number;
  calls = 0;

  constructor(e: Endpoint) {
    const r = resolveEndpoint(e, 'OPTIMIZER', 'gpt-4.1-mini');
    this.model = r.model;
    this.temperature = e.temperature ?? 1;
    this.client = new OpenAI({ baseURL: r.baseURL, apiKey: r.apiKey, timeout: e.timeout_ms ?? 120_000, maxRetries: e.max_retries ?? 2 });
  }

  private async ask(req: { system: string; user: string }, seed: number, what: string): Promise<string> {
    this.calls++;
    let text: string | null | undefined;
    try {
      const res = await this.client.chat.completions.create({
        model: this.model,
        temperature: this.temperature,
        seed,
        messages: [
          { role: 'system', content: req.system },
          { role: 'user', content: req.user },
        ],
      });
      if (!res || !Array.isArray(res.choices)) throw new OptimizerError(`the optimizer endpoint's ${what} answer is not a chat completion`);
      text = res.choices[0]?.message?.content;
    } catch (err) {
      if (err instanceof OptimizerError) throw err;
      throw new OptimizerError(`the optimizer endpoint failed (${what}): ${(err as Error).message}`);
    }
    if (typeof text !== 'string' || text.trim() === '') throw new OptimizerError(`the optimizer returned an empty ${what}`);
    return text;
  }

  async critique(prompt: string, failures: Failure[]): Promise<string> {
    const text = await this.ask(critiqueRequest(prompt, failures), 0, 'critique');
    // A critique that is JSON ({"critique": ...}) is unwrapped; anything else is taken as the critique text.
    try {
      const v = JSON.parse(text) as { critique?: unknown };
      if (typeof v?.critique === 'string') return v.critique;
    } catch {
      // plain text
    }
    return text;
  }

  async rewrite(prompt: string, critique: string, failures: Failure[], n: number, seed: number): Promise<string[]> {
    const text = await this.ask(rewriteRequest(prompt, critique, failures, n), seed, 'rewrite');
    const prompts = parsePrompts(text);
    if (prompts.length === 0)
      throw new OptimizerError(`the optimizer's rewrite holds no prompt (expected JSON {"prompts": [...]}), got: ${JSON.stringify(text.slice(0, 160))}`);
    return prompts.slice(0, n);
  }

  async merge(first: string, second: string, seed: number): Promise<string[]> {
    const text = await this.ask(mergeRequest(first, second), seed, 'merge');
    const prompts = parsePrompts(text);
    if (prompts.length === 0)
      throw new OptimizerError(`the optimizer's merge holds no prompt (expected JSON {"prompts": [...]}), got: ${JSON.stringify(text.slice(0, 160))}`);
    return prompts.slice(0, 1);
  }
}
