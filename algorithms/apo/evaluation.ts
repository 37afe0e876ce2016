// Evaluation behind one interface, whatever runs it (ACTIVE: real agents through the rollout queue; REPLAY:
// the recorded call re-run with the candidate prompt and graded). The scorer in front of it caches every
// (candidate, example) result — a candidate is never run twice on the same input — and keeps the rollout budget.
import type { Candidate, Example, Outcome } from './types.js';
import { errorClass } from '../../schemas/errors.js';

export interface Evaluator {
  readonly mode: 'active' | 'replay';
  /** Runs the candidate on each example (in any order, concurrently as it sees fit); one outcome per example. */
  evaluate(candidate: Candidate, examples: Example[]): Promise<Outcome[]>;
  /** Fills in what the optimizer needs to see of failures (outputs, explanations) when evaluate() left it out. */
  explain?(candidate: Candidate, outcomes: Outcome[]): Promise<Outcome[]>;
}

export const BudgetExhausted = errorClass('BudgetExhausted', 'backpressure');

export interface ScoreOptions {
  /** Which set the examples come from (for events and the summary). */
  set: 'train' | 'validation' | 'test';
}

/** Mean of the rewards (0 for none). */
export function mean(outcomes: readonly Outcome[]): number {
  if (outcomes.length === 0) return 0;
  return outcomes.reduce((s, o) => s + o.reward, 0) / outcomes.length;
}

export class Scorer {
  private readonly cache = new Map<string, Map<string, Outcome>>();
  /** Rollouts (or replayed calls) actually run. */
  spent = 0;
  /** Served from the cache instead. */
  cacheHits = 0;

  constructor(
    private readonly evaluator: Evaluator,
    readonly budget: number,
    private readonly onEvaluated?: (c: Candidate, outcomes: Outcome[], set: ScoreOptions['set'], spent: number) => void,
  ) {}

  get remaining(): number {
    return Math.max(0, this.budget - this.spent);
  }

  cached(c: Candidate, exampleId: string): Outcome | undefined {
    return this.cache.get(c.id)?.get(exampleId);
  }

  /** Outcomes of `c` already known among `examples`. */
  known(c: Candidate, examples: readonly Example[]): Outcome[] {
    const mine = this.cache.get(c.id);
    if (!mine) return [];
    const out: Outcome[] = [];
    for (const e of examples) {
      const o = mine.get(e.id);
      if (o) out.push(o);
    }
    return out;
  }

  /** Missing evaluations of `c` on `examples`. */
  missing(c: Candidate, examples: readonly Example[]): Example[] {
    const mine = this.cache.get(c.id);
    return examples.filter((e) => !mine?.has(e.id));
  }

  /**
   * Outcomes of `c` on every example, running only the missing ones. Throws BudgetExhausted (running nothing)
   * when the missing ones do not fit in the budget.
   */
  async score(c: Candidate, examples: readonly Example[], opts: ScoreOptions): Promise<Outcome[]> {
    const todo = this.missing(c, examples);
    this.cacheHits += examples.length - todo.length;
    if (todo.length > this.remaining) throw new BudgetExhausted(`the rollout budget (${this.budget}) is spent`);
    if (todo.length > 0) {
      this.spent += todo.length;
      const outcomes = await this.evaluator.evaluate(c, todo);
      let mine = this.cache.get(c.id);
      if (!mine) this.cache.set(c.id, (mine = new Map()));
      for (const o of outcomes) mine.set(o.exampleId, o);
      this.onEvaluated?.(c, outcomes, opts.set, this.spent);
    }
    return this.known(c, examples);
  }

  /** Replaces known outcomes with fuller ones (answers read later); the rewards stay what they were. */
  amend(c: Candidate, outcomes: readonly Outcome[]): void {
    const mine = this.cache.get(c.id);
    if (!mine) return;
    for (const o of outcomes) if (mine.has(o.exampleId)) mine.set(o.exampleId, o);
  }

  /** Scores several candidates on the same examples concurrently (they are independent). */
  async scoreAll(cs: readonly Candidate[], examples: readonly Example[], opts: ScoreOptions): Promise<Outcome[][]> {
    const need = cs.reduce((n, c) => n + this.missing(c, examples).length, 0);
    if (need > this.remaining) throw new BudgetExhausted(`the rollout budget (${this.budget}) is spent`);
    return Promise.all(cs.map((c) => this.score(c, examples, opts)));
  }
}
