// OFFLINE REPLAY for single-call agents: no agent runs. Each example's LLM call — the recorded one, with the
// template's message swapped for the candidate's rendering, or for examples from a file the candidate's
// rendering alone — is sent to the agent's model, and the answer is scored by the task's grader.
import OpenAI from 'openai';
import type { Message } from '../../schemas/genai.js';
import type { Endpoint } from './config.js';
import type { Evaluator } from './evaluation.js';
import { normalizeGrade, type GradeFn } from './graders.js';
import { resolveEndpoint } from './optimizer.js';
import { messageText, renderMessages, type PromptShape } from './template.js';
import type { Candidate, Example, Outcome } from './types.js';
import { renderPrompt } from '../../schemas/prompt-template.js';
import { errorClass } from '../../schemas/errors.js';

export const EvaluationError = errorClass('EvaluationError', 'invalid');

/** Runs `fn` over the items with at most `limit` at once, keeping the order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A person-readable rendering of an example's input: its variables, one per line when several. */
export function describeInput(e: Example): string {
  const entries = Object.entries(e.vars);
  if (entries.length === 1) return String(entries[0]?.[1] ?? '');
  if (entries.length > 0) return entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n');
  return typeof e.input === 'string' ? e.input : JSON.stringify(e.input ?? null);
}

type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

function toChat(m: Message): ChatMessage {
  const role = m.role === 'system' || m.role === 'assistant' || m.role === 'user' ? m.role : m.role === 'developer' ? 'system' : 'user';
  return { role, content: messageText(m) };
}

export interface ReplayOptions {
  model: Endpoint;
  grade: GradeFn;
  role: 'user' | 'system';
  concurrency: number;
}

export class ReplayEvaluator implements Evaluator {
  readonly mode = 'replay' as const;
  private readonly client: OpenAI;
  readonly model: string;
  calls = 0;

  constructor(
    private readonly shape: PromptShape,
    private readonly opts: ReplayOptions,
  ) {
    const ep = resolveEndpoint(opts.model, 'AGENT', 'gpt-4.1-mini');
    this.model = ep.model;
    this.client = new OpenAI({ baseURL: ep.baseURL, apiKey: ep.apiKey, timeout: opts.model.timeout_ms ?? 120_000, maxRetries: opts.model.max_retries ?? 2 });
  }

  /** The messages the candidate sends for this example. */
  messagesFor(c: Candidate, e: Example): ChatMessage[] {
    if (e.recorded) {
      return e.recorded.messages.map((m, i) => (i === e.recorded?.templateMessage ? { ...toChat(m), content: renderPrompt(c.text, e.vars) } : toChat(m)));
    }
    return renderMessages(this.shape, c.text, e.vars, this.opts.role).map((m) => toChat({ role: m.role, parts: [{ type: 'text', content: m.content }] }));
  }

  async evaluate(c: Candidate, examples: Example[]): Promise<Outcome[]> {
    return mapLimit(examples, this.opts.concurrency, async (e) => {
      const messages = this.messagesFor(c, e);
      let output: string;
      try {
        this.calls++;
        const res = await this.client.chat.completions.create({
          model: this.opts.model.model ?? (e.recorded?.model || this.model),
          messages,
          temperature: this.opts.model.temperature,
        });
        output = res.choices?.[0]?.message?.content ?? '';
      } catch (err) {
        throw new EvaluationError(`the agent's model failed while replaying example ${e.id}: ${(err as Error).message}`);
      }
      const g = normalizeGrade(await this.opts.grade({ vars: e.vars, output, expected: e.expected, example: e }), 'the grader');
      return {
        exampleId: e.id,
        reward: g.reward,
        input: describeInput(e),
        output,
        expected: g.expected ?? (e.expected === undefined ? undefined : String(e.expected)),
        explanation: g.explanation,
      };
    });
  }
}
