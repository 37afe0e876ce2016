// ACTIVE evaluation: the real agent runs each candidate. Rollouts are enqueued with the candidate pinned as a
// resource version; workers (tracelight's runner, or any client of the queue) claim them, run the agent and
// complete them with a reward; the rewards — and, for failures, the agent's answers and the graders'
// explanations — are read back from the rollouts' telemetry.
import type { ApoConfig } from './config.js';
import type { Evaluator } from './evaluation.js';
import type { RolloutQueuePort, TrainingDataPort } from '../ports.js';
import { describeInput, EvaluationError } from './replay.js';
import type { Candidate, Example, Outcome } from './types.js';

type ActiveConfig = Extract<ApoConfig['evaluation'], { mode: 'active' }>;

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ActiveOptions {
  resource: string;
  queue: RolloutQueuePort;
  data: TrainingDataPort;
  config: ActiveConfig;
  /** The resource version holding the candidate (written on first use: a rollout can only pin a stored version). */
  pin(c: Candidate): Promise<number>;
  /** Metadata on every rollout (e.g. the run id). */
  metadata?: Record<string, unknown>;
}

export class ActiveEvaluator implements Evaluator {
  readonly mode = 'active' as const;
  /** Rollouts enqueued so far. */
  enqueued = 0;

  constructor(private readonly opts: ActiveOptions) {}

  async evaluate(c: Candidate, examples: Example[]): Promise<Outcome[]> {
    const version = await this.opts.pin(c);
    const cfg = this.opts.config;
    const ids = await this.opts.queue.enqueue(
      examples.map((e) => ({
        input: e.input ?? e.vars,
        mode: cfg.rollout_mode as 'train' | 'val' | 'test',
        resources: { [this.opts.resource]: version },
        ...(cfg.rollout_config ? { config: cfg.rollout_config } : {}),
        metadata: { ...(this.opts.metadata ?? {}), candidate: c.id, example: e.id },
      })),
    );
    this.enqueued += ids.length;
    const finished = await this.waitAll(ids, cfg.timeout_ms);
    const failed = ids.map((id) => finished.get(id)).filter((f) => f?.status !== 'succeeded');
    if (failed.length === ids.length) {
      // Not a bad prompt: the agent or its workers are broken. Scoring it 0 would hide that.
      const first = failed.find((f) => f?.error)?.error;
      throw new EvaluationError(
        `all ${ids.length} rollouts of candidate ${c.id} (version ${version}) ${failed[0]?.status ?? 'failed'}${first ? `; the first error: ${first}` : ''}`,
      );
    }
    let results = await this.opts.data.rolloutResults(ids);
    // The reward travels with the rollout's telemetry, which may trail its completion by a moment.
    const deadline = Date.now() + cfg.telemetry_wait_ms;
    const lacking = (): string[] =>
      ids.filter((id) => finished.get(id)?.status === 'succeeded' && finished.get(id)?.reward == null && results.get(id)?.reward == null);
    while (lacking().length > 0 && Date.now() < deadline) {
      await pause(100);
      results = await this.opts.data.rolloutResults(ids);
    }
    return examples.map((e, i) => {
      const id = ids[i] as string;
      const f = finished.get(id);
      const r = results.get(id);
      const reward = f?.reward ?? r?.reward ?? null;
      const failed = f?.status !== 'succeeded';
      return {
        exampleId: e.id,
        rolloutId: id,
        reward: failed ? 0 : (reward ?? 0),
        input: describeInput(e),
        output: r?.output ?? '',
        expected: e.expected === undefined ? undefined : String(e.expected),
        explanation: failed
          ? `the rollout ${f?.status ?? 'did not finish'}${f?.error ? `: ${f.error}` : ''}`
          : reward === null
            ? 'no reward was recorded for this rollout'
            : r?.explanation || undefined,
      };
    });
  }

  /** Reads the agent's answers and the explanations of failures, waiting briefly for their telemetry. */
  async explain(_c: Candidate, outcomes: Outcome[]): Promise<Outcome[]> {
    const ids = outcomes.map((o) => o.rolloutId).filter((x): x is string => Boolean(x));
    if (ids.length === 0) return outcomes;
    const deadline = Date.now() + this.opts.config.telemetry_wait_ms;
    let results = await this.opts.data.rolloutResults(ids, { calls: true });
    // A call's span and its content (GenAI instrumentations send prompts and answers as log events) arrive
    // separately: wait for the answers themselves.
    while (ids.some((id) => !results.get(id)?.output) && Date.now() < deadline) {
      await pause(100);
      results = await this.opts.data.rolloutResults(ids, { calls: true });
    }
    return outcomes.map((o) => {
      const r = o.rolloutId ? results.get(o.rolloutId) : undefined;
      return r ? { ...o, output: r.output || o.output, explanation: o.explanation ?? (r.explanation || undefined) } : o;
    });
  }

  private async waitAll(ids: string[], timeoutMs: number): Promise<Map<string, { status: string; reward?: number | null; error?: string | null }>> {
    const done = new Map<string, { status: string; reward?: number | null; error?: string | null }>();
    const deadline = Date.now() + timeoutMs;
    while (done.size < ids.length) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new EvaluationError(
          `${ids.length - done.size} of ${ids.length} rollouts did not finish within ${timeoutMs} ms: is a worker running the agent (e.g. \`runner()\` from tracelight's SDK) against this server?`,
        );
      }
      const open = ids.filter((id) => !done.has(id));
      for (const f of await this.opts.queue.wait(open, Math.min(left, 30_000))) done.set(f.rollout_id, f);
    }
    return done;
  }
}
