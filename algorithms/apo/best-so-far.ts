// What every search method keeps the same way: each candidate's validation score (validated once, cached),
// the best candidate so far, and the curve of that best against rollouts spent.
import { mean, type Scorer } from './evaluation.js';
import type { Candidate, CurvePoint, Example } from './types.js';

export class BestSoFar {
  readonly validated = new Map<string, number>();
  readonly curve: CurvePoint[] = [];
  best: Candidate;
  bestValidation = 0;

  constructor(
    private readonly scorer: Scorer,
    private readonly validation: readonly Example[],
    start: Candidate,
  ) {
    this.best = start;
  }

  /** Carries on from an earlier search's figures (a stage that builds on its winner). */
  resume(prior: { best: Candidate; bestValidation: number; validated: ReadonlyMap<string, number>; curve: readonly CurvePoint[] }): void {
    this.best = prior.best;
    this.bestValidation = prior.bestValidation;
    for (const [id, v] of prior.validated) this.validated.set(id, v);
    this.curve.push(...prior.curve);
  }

  /** The start prompt's validation score: the baseline, and the first point of the curve. */
  async baseline(): Promise<number> {
    const v = await this.validate(this.best);
    this.bestValidation = v;
    this.point();
    return v;
  }

  async validate(c: Candidate): Promise<number> {
    const known = this.validated.get(c.id);
    if (known !== undefined) return known;
    const v = mean(await this.scorer.score(c, this.validation, { set: 'validation' }));
    this.validated.set(c.id, v);
    return v;
  }

  /** Takes `c` as the best when it beats the best by more than `minDelta`; true when it did. */
  consider(c: Candidate, v: number, minDelta: number): boolean {
    if (v <= this.bestValidation + minDelta) return false;
    this.best = c;
    this.bestValidation = v;
    return true;
  }

  /** Records where the best stands after what was spent so far. */
  point(): void {
    this.curve.push({ rollouts: this.scorer.spent, best_validation: this.bestValidation, best: this.best.id });
  }
}
