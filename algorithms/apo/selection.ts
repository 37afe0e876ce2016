// Choosing the next beam without paying for every candidate on every example.
//
// successive-halving: every candidate runs on a small rung of examples; the better 1/eta go on to a rung eta
//   times larger, and so on until `keep` remain (or the examples run out). Weak children stop after a few
//   rollouts; the survivors are compared on many.
// ucb: a bandit. Each pull runs one candidate on `step` more examples; the candidate pulled is the one with
//   the highest upper confidence bound, mean + c·sqrt(ln N / n). Spends a fixed number of pulls per round.
// full: the plain beam: every candidate on every example (the baseline the benchmark compares with).
//
// Results come from the Scorer's cache, so a parent evaluated last round costs nothing here.
import { BudgetExhausted, mean, type Scorer } from './evaluation.js';
import type { Candidate, Example } from './types.js';

export interface Ranked {
  candidate: Candidate;
  /** Mean reward on the examples it was evaluated on. */
  score: number;
  n: number;
}

export interface SelectionOptions {
  strategy: 'successive-halving' | 'ucb' | 'full';
  keep: number;
  /** First rung (and UCB's step). */
  minExamples: number;
  eta: number;
  ucbC: number;
}

function rank(scorer: Scorer, cs: readonly Candidate[], examples: readonly Example[]): Ranked[] {
  return cs
    .map((c) => {
      const known = scorer.known(c, examples);
      return { candidate: c, score: mean(known), n: known.length };
    })
    .sort((a, b) => b.score - a.score || b.n - a.n || a.candidate.id.localeCompare(b.candidate.id, 'en', { numeric: true }));
}

/** Ranks the candidates on `pool` (train examples, in the round's order); the best first. */
export async function select(scorer: Scorer, candidates: readonly Candidate[], pool: readonly Example[], opts: SelectionOptions): Promise<Ranked[]> {
  try {
    if (opts.strategy === 'full') {
      await scorer.scoreAll(candidates, pool, { set: 'train' });
    } else if (opts.strategy === 'successive-halving') {
      await successiveHalving(scorer, candidates, pool, opts);
    } else {
      await ucb(scorer, candidates, pool, opts);
    }
  } catch (err) {
    if (!(err instanceof BudgetExhausted)) throw err;
    // Rank on what was evaluated; the caller sees the budget is spent.
  }
  return opts.strategy === 'successive-halving' ? rankBySurvival(scorer, candidates, pool) : rank(scorer, candidates, pool);
}

/** Ranks by the largest number of examples seen first (survivors of later rungs), then by mean. */
function rankBySurvival(scorer: Scorer, candidates: readonly Candidate[], pool: readonly Example[]): Ranked[] {
  return rank(scorer, candidates, pool).sort((a, b) => b.n - a.n || b.score - a.score);
}

async function successiveHalving(scorer: Scorer, candidates: readonly Candidate[], pool: readonly Example[], opts: SelectionOptions): Promise<void> {
  let alive = [...candidates];
  let n = Math.min(pool.length, opts.minExamples);
  for (;;) {
    const rung = pool.slice(0, n);
    await scorer.scoreAll(alive, rung, { set: 'train' });
    if (alive.length <= opts.keep || n >= pool.length) return;
    const ranked = rank(scorer, alive, rung);
    alive = ranked.slice(0, Math.max(opts.keep, Math.ceil(alive.length / opts.eta))).map((r) => r.candidate);
    n = Math.min(pool.length, n * opts.eta);
  }
}

async function ucb(scorer: Scorer, candidates: readonly Candidate[], pool: readonly Example[], opts: SelectionOptions): Promise<void> {
  const step = Math.max(1, opts.minExamples);
  // Everyone gets one rung, then the pulls follow the bound. About as many rollouts as halving would spend.
  await scorer.scoreAll(candidates, pool.slice(0, step), { set: 'train' });
  const pulls = Math.ceil((candidates.length * Math.log2(Math.max(2, candidates.length))) / 2);
  for (let i = 0; i < pulls; i++) {
    const stats = candidates.map((c) => ({ c, known: scorer.known(c, pool) }));
    const total = stats.reduce((s, x) => s + x.known.length, 0);
    const open = stats.filter((x) => x.known.length < pool.length);
    if (open.length === 0) return;
    const bound = (x: (typeof stats)[number]): number => mean(x.known) + opts.ucbC * Math.sqrt(Math.log(Math.max(2, total)) / Math.max(1, x.known.length));
    const best = open.reduce((a, b) => (bound(b) > bound(a) ? b : a));
    const next = scorer.missing(best.c, pool).slice(0, step);
    await scorer.score(best.c, next, { set: 'train' });
  }
}
