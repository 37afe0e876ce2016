// GEPA-style reflective evolution (after Agrawal et al. 2025, "GEPA: Reflective Prompt Evolution Can
// Outperform Reinforcement Learning"):
//
//   pool ← [start], scored on the Pareto set (a fixed subset of validation, or of train)
//   each iteration:
//     front ← the pool's Pareto front (best on at least one Pareto example, not dominated)
//     parent ← a front member, sampled in proportion to the examples it leads on (seeded)
//     run the parent on a train minibatch; show the optimizer its failures; critique; rewrite → child
//     accept the child into the pool only if it beats the parent's minibatch score; score it on the Pareto
//       set; validate it when it is on the front
//     every `merge_every` iterations: instead, ask the optimizer to merge two front members; the merge is
//       accepted when it does at least as well as the better of them on the minibatch
//   stop after `iterations` or when the budget is spent; the winner is the best validated candidate.
//
// Unlike the beam, which keeps the `beam_width` best means, the front keeps every candidate that is the best
// somewhere, so a prompt that fixes one kind of failure survives next to one that fixes another.
import { BestSoFar } from './best-so-far.js';
import { BudgetExhausted, mean } from './evaluation.js';
import { paretoFront, sampleFront, type FrontMember } from './pareto.js';
import { prng, shuffled, toFailure, type SearchInput, type SearchResult } from './search.js';
import { checkChild } from './template.js';
import type { Candidate, Example } from './types.js';

export async function gepaSearch(input: SearchInput): Promise<SearchResult> {
  const { scorer, optimizer, search, emit, train, validation } = input;
  const g = search.gepa;
  const tracker = new BestSoFar(scorer, validation, input.start);
  const candidates: Candidate[] = [input.start];
  const pool: Candidate[] = [input.start];
  const byId = new Map<string, Candidate>([[input.start.id, input.start]]);
  const paretoSet: Example[] = shuffled(g.pareto_set === 'train' ? train : validation, search.seed * 104_729 + 17).slice(0, g.pareto_size);
  const random = prng(search.seed * 2_654_435_761 + 3);
  let rejected = 0;
  let accepted = 0;
  let merges = 0;

  const baseline = await tracker.baseline();
  emit({ event: 'baseline', validation: baseline, rollouts: scorer.spent });

  const front = (): FrontMember[] => paretoFront(pool.map((c) => ({ id: c.id, scores: paretoSet.map((e) => scorer.cached(c, e.id)?.reward ?? 0) })));
  const trainMean = (c: Candidate): number | null => (scorer.known(c, train).length ? mean(scorer.known(c, train)) : null);

  /** Valid, new texts become candidates; the rest are counted and reported. */
  const admit = (texts: string[], parent: Candidate, iteration: number): Candidate[] => {
    const out: Candidate[] = [];
    for (const text of texts) {
      const check = checkChild(parent.text, text);
      const dup = candidates.find((c) => c.text.trim() === text.trim());
      if (!check.ok || dup) {
        rejected++;
        emit({
          event: 'candidate',
          round: iteration,
          candidate: '-',
          parent: parent.id,
          status: 'rejected',
          reason: check.ok ? `same text as ${dup?.id}` : check.reason,
        });
        continue;
      }
      const child: Candidate = { id: `c${candidates.length}`, text, parentId: parent.id, round: iteration };
      candidates.push(child);
      byId.set(child.id, child);
      out.push(child);
    }
    return out;
  };

  /** Scores an accepted child on the Pareto set and validates it when it reaches the front. */
  const enter = async (child: Candidate): Promise<number | null> => {
    pool.push(child);
    accepted++;
    await scorer.score(child, paretoSet, { set: g.pareto_set });
    if (!front().some((m) => m.id === child.id)) return null;
    const v = await tracker.validate(child);
    tracker.consider(child, v, search.min_delta);
    return v;
  };

  let stopReason = `${g.iterations} iteration${g.iterations === 1 ? '' : 's'} done`;
  let iteration = 0;
  try {
    await scorer.score(input.start, paretoSet, { set: g.pareto_set });
    for (iteration = 1; iteration <= g.iterations; iteration++) {
      const members = front();
      emit({ event: 'round_started', round: iteration, rounds: g.iterations, beam: members.map((m) => m.id) });
      emit({ event: 'pareto', iteration, front: members, pool: pool.length, rollouts: scorer.spent });
      const minibatch = shuffled(train, search.seed * 7919 + iteration).slice(0, search.minibatch);
      let validated: number | null = null;

      const merge = optimizer.merge?.bind(optimizer);
      if (merge && g.merge_every > 0 && iteration % g.merge_every === 0 && members.length >= 2) {
        const first = sampleFront(members, random);
        const rest = members.filter((m) => m.id !== first.id);
        const second = sampleFront(rest, random);
        const [a, b] = [byId.get(first.id), byId.get(second.id)] as [Candidate, Candidate];
        const texts = await merge(a.text, b.text, search.seed * 1000 + iteration * 10);
        merges++;
        for (const child of admit(texts, a, iteration)) {
          const [pa, pb, pc] = (await scorer.scoreAll([a, b, child], minibatch, { set: 'train' })).map(mean) as [number, number, number];
          if (pc >= Math.max(pa, pb)) {
            emit({ event: 'candidate', round: iteration, candidate: child.id, parent: a.id, status: 'new', reason: `merge of ${a.id} and ${b.id}` });
            validated = (await enter(child)) ?? validated;
          } else {
            rejected++;
            emit({
              event: 'candidate',
              round: iteration,
              candidate: child.id,
              parent: a.id,
              status: 'rejected',
              reason: `merge of ${a.id} and ${b.id}: minibatch ${pc.toFixed(3)} < ${Math.max(pa, pb).toFixed(3)}`,
            });
          }
        }
      } else {
        const parent = byId.get(sampleFront(members, random).id) as Candidate;
        const parentOuts = await scorer.score(parent, minibatch, { set: 'train' });
        let failures = parentOuts
          .filter((o) => o.reward < search.success_threshold)
          .sort((x, y) => x.reward - y.reward)
          .slice(0, search.max_failures);
        if (failures.length > 0) {
          if (input.evaluator.explain) failures = await input.evaluator.explain(parent, failures);
          const critique = await optimizer.critique(parent.text, failures.map(toFailure));
          emit({ event: 'critique', round: iteration, candidate: parent.id, failures: failures.length, critique });
          let children: Candidate[] = [];
          // When every child of a request is rejected (a variable lost, or nothing changed), ask once more.
          for (let attempt = 0; attempt < 2 && children.length === 0; attempt++) {
            const seed = search.seed * 1000 + iteration * 10 + attempt * 100_003;
            children = admit(await optimizer.rewrite(parent.text, critique, failures.map(toFailure), g.children, seed), parent, iteration);
          }
          const parentMean = mean(parentOuts);
          for (const child of children) {
            const childMean = mean(await scorer.score(child, minibatch, { set: 'train' }));
            if (childMean > parentMean) {
              emit({ event: 'candidate', round: iteration, candidate: child.id, parent: parent.id, status: 'new' });
              validated = (await enter(child)) ?? validated;
            } else {
              rejected++;
              emit({
                event: 'candidate',
                round: iteration,
                candidate: child.id,
                parent: parent.id,
                status: 'rejected',
                reason: `minibatch ${childMean.toFixed(3)} does not beat the parent's ${parentMean.toFixed(3)}`,
              });
            }
          }
        }
      }
      tracker.point();
      emit({
        event: 'round_finished',
        round: iteration,
        beam: front().map((m) => ({ id: m.id, train: trainMean(byId.get(m.id) as Candidate) })),
        validation: validated,
        best_validation: tracker.bestValidation,
        rollouts: scorer.spent,
      });
    }
  } catch (err) {
    if (!(err instanceof BudgetExhausted)) throw err;
    stopReason = `the rollout budget (${scorer.budget}) is spent`;
    tracker.point();
  }

  return {
    baseline,
    best: tracker.best,
    bestValidation: tracker.bestValidation,
    candidates,
    validated: tracker.validated,
    curve: tracker.curve,
    rounds: Math.min(iteration, g.iterations),
    stopReason,
    rejected,
    metrics: { 'gepa.pool': pool.length, 'gepa.accepted': accepted, 'gepa.front': front().length, 'gepa.pareto_set': paretoSet.length, 'gepa.merges': merges },
  };
}
