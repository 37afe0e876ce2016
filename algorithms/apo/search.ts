// Beam search over a prompt template with textual gradients (APO, after Pryzant et al. 2023):
//
//   beam ← [start]
//   each round:
//     for each beam member: run it on a train minibatch; show the optimizer its failures (inputs, outputs,
//       rewards, explanations); ask for a critique; ask for `branch` edited prompts that apply it; reject
//       children that lose a template variable or do not parse
//     rank beam ∪ children on the train examples with successive halving (or UCB, or in full for the plain
//       beam), every (candidate, example) result cached; keep the best `beam_width`
//     validate the top of the beam on the held-out validation set
//   stop after `rounds`, when validation has not improved for `patience` rounds, when no child could be made,
//   or when the rollout budget is spent. The winner is the candidate with the best validation score.
import { BestSoFar } from './best-so-far.js';
import type { ApoConfig } from './config.js';
import { BudgetExhausted, mean, type Evaluator, type Scorer } from './evaluation.js';
import type { OptimizerModel } from './optimizer.js';
import { select } from './selection.js';
import { checkChild } from './template.js';
import type { Candidate, CurvePoint, EmitFn, Example, Failure, Outcome } from './types.js';

export interface SearchInput {
  start: Candidate;
  train: Example[];
  validation: Example[];
  scorer: Scorer;
  evaluator: Evaluator;
  optimizer: OptimizerModel;
  search: ApoConfig['search'];
  emit: EmitFn;
}

export interface SearchResult {
  baseline: number;
  best: Candidate;
  bestValidation: number;
  candidates: Candidate[];
  /** The validation score of every candidate that was validated. */
  validated: Map<string, number>;
  /** Best validation score so far against rollouts spent, after every validation. */
  curve: CurvePoint[];
  /** Rounds (beam) or iterations (gepa) run. */
  rounds: number;
  stopReason: string;
  rejected: number;
  /** Figures of the method's own, for the run's metrics. */
  metrics?: Record<string, number>;
}

/** mulberry32: a small seedable PRNG, so runs repeat. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  const r = prng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export function toFailure(o: Outcome): Failure {
  return { input: o.input, output: o.output, expected: o.expected, reward: o.reward, explanation: o.explanation };
}

/** No instruction search (`search.method: none`): the start prompt, validated, for few-shot to build on. */
export async function startOnly(input: SearchInput): Promise<SearchResult> {
  const tracker = new BestSoFar(input.scorer, input.validation, input.start);
  const baseline = await tracker.baseline();
  input.emit({ event: 'baseline', validation: baseline, rollouts: input.scorer.spent });
  return {
    baseline,
    best: input.start,
    bestValidation: baseline,
    candidates: [input.start],
    validated: tracker.validated,
    curve: tracker.curve,
    rounds: 0,
    stopReason: 'no instruction search (search.method: none)',
    rejected: 0,
  };
}

export async function beamSearch(input: SearchInput): Promise<SearchResult> {
  const { scorer, optimizer, search, emit, train, validation } = input;
  const candidates: Candidate[] = [input.start];
  const tracker = new BestSoFar(scorer, validation, input.start);
  let rejected = 0;

  const baseline = await tracker.baseline();
  emit({ event: 'baseline', validation: baseline, rollouts: scorer.spent });

  let beam: Candidate[] = [input.start];
  let stale = 0;
  let stopReason = `${search.rounds} round${search.rounds === 1 ? '' : 's'} done`;
  let round = 0;
  try {
    for (round = 1; round <= search.rounds; round++) {
      emit({ event: 'round_started', round, rounds: search.rounds, beam: beam.map((c) => c.id) });
      const order = shuffled(train, search.seed * 7919 + round);
      const minibatch = order.slice(0, search.minibatch);

      // Textual gradients: each member's failures → critique → edited children.
      await scorer.scoreAll(beam, minibatch, { set: 'train' });
      const children: Candidate[] = [];
      for (const [mi, member] of beam.entries()) {
        let failures = scorer
          .known(member, minibatch)
          .filter((o) => o.reward < search.success_threshold)
          .sort((a, b) => a.reward - b.reward)
          .slice(0, search.max_failures);
        if (failures.length === 0) continue;
        if (input.evaluator.explain) failures = await input.evaluator.explain(member, failures);
        const critique = await optimizer.critique(member.text, failures.map(toFailure));
        emit({ event: 'critique', round, candidate: member.id, failures: failures.length, critique });
        // When every child of a request is rejected (a variable lost, or nothing changed), ask once more.
        for (let attempt = 0, accepted = 0; attempt < 2 && accepted === 0; attempt++) {
          const seed = search.seed * 1000 + round * 10 + mi + attempt * 100_003;
          const texts = await optimizer.rewrite(member.text, critique, failures.map(toFailure), search.branch, seed);
          for (const text of texts) {
            const check = checkChild(member.text, text);
            const dup = [...candidates, ...children].find((c) => c.text.trim() === text.trim());
            const id = `c${candidates.length + children.length}`;
            if (!check.ok || dup) {
              rejected++;
              emit({
                event: 'candidate',
                round,
                candidate: '-',
                parent: member.id,
                status: 'rejected',
                reason: check.ok ? `same text as ${dup?.id}` : check.reason,
              });
              continue;
            }
            const child: Candidate = { id, text, parentId: member.id, round };
            children.push(child);
            accepted++;
            emit({ event: 'candidate', round, candidate: id, parent: member.id, status: 'new' });
          }
        }
      }
      candidates.push(...children);
      if (children.length === 0) {
        stopReason = beam.every((m) => scorer.known(m, minibatch).every((o) => o.reward >= search.success_threshold))
          ? 'the beam solves every minibatch example'
          : 'the optimizer proposed no valid child';
        emit({
          event: 'round_finished',
          round,
          beam: beam.map((c) => ({ id: c.id, train: mean(scorer.known(c, train)) })),
          validation: null,
          best_validation: tracker.bestValidation,
          rollouts: scorer.spent,
        });
        break;
      }

      const ranked = await select(scorer, [...beam, ...children], order, {
        strategy: search.selection,
        keep: search.beam_width,
        minExamples: search.minibatch,
        eta: search.eta,
        ucbC: search.ucb_c,
      });
      beam = ranked.slice(0, search.beam_width).map((r) => r.candidate);

      let roundBest: { c: Candidate; v: number } | null = null;
      for (const c of beam.slice(0, search.validate_top)) {
        const v = await tracker.validate(c);
        if (!roundBest || v > roundBest.v) roundBest = { c, v };
      }
      if (roundBest && tracker.consider(roundBest.c, roundBest.v, search.min_delta)) stale = 0;
      else stale++;
      tracker.point();
      emit({
        event: 'round_finished',
        round,
        beam: beam.map((c) => ({ id: c.id, train: scorer.known(c, train).length ? mean(scorer.known(c, train)) : null })),
        validation: roundBest?.v ?? null,
        best_validation: tracker.bestValidation,
        rollouts: scorer.spent,
      });
      if (stale >= search.patience && round < search.rounds) {
        stopReason = `validation did not improve for ${stale} round${stale === 1 ? '' : 's'}`;
        break;
      }
    }
  } catch (err) {
    if (!(err instanceof BudgetExhausted)) throw err;
    stopReason = `the rollout budget (${scorer.budget}) is spent`;
  }
  return {
    baseline,
    best: tracker.best,
    bestValidation: tracker.bestValidation,
    candidates,
    validated: tracker.validated,
    curve: tracker.curve,
    rounds: Math.min(round, search.rounds),
    stopReason,
    rejected,
  };
}
