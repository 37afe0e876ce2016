// Few-shot demonstrations: (input, output) pairs that earned a reward of at least search.success_threshold,
// shown in the prompt as worked examples. Applied on top of the instruction the search found (or the start
// prompt with search.method none):
//
//   pool ← train examples outside the few-shot minibatch whose answer succeeded: for a recorded call with a
//     stored reward, the recorded answer when that reward reached the threshold (replay of recorded calls);
//     for other examples an answer a candidate gave during the search (the winner's first); when too few are
//     known the winner runs on more of those examples to find some
//   `trials` random subsets of k demonstrations, each rendered into the winner's text, run on the minibatch
//   the best subset that does at least as well as the winner there is validated, and wins when it beats the
//     winner's validation score (by search.min_delta)
//
// Demonstrations are rendered before the line holding the first placeholder, as "Example:\nQ: …\nA: …"
// blocks, where Q is that same line (through the last placeholder line) rendered with the demonstration's
// variables; the live line gets the same "Q: " label, so the model reads the demonstrations and the question
// alike. Placeholders are kept as they are.
import { BestSoFar } from './best-so-far.js';
import type { FewShotConfig } from './config.js';
import { BudgetExhausted, mean, type Scorer } from './evaluation.js';
import { shuffled, type SearchInput, type SearchResult } from './search.js';
import { checkChild } from './template.js';
import type { Candidate, Example, Outcome } from './types.js';
import { renderPrompt } from '../../schemas/prompt-template.js';

export interface Demonstration {
  exampleId: string;
  vars: Record<string, unknown>;
  /** The input as a person reads it (for templates without a placeholder). */
  input: string;
  output: string;
  reward: number;
}

/** Longer answers are left out rather than cut (a truncated worked example teaches a truncated answer). */
const MAX_DEMO_CHARS = 1500;
const PLACEHOLDER = /\{\{[^}]*\}\}/;
const LABELLED = /^\s*(?:q|question|problem|input)\s*[:：]/i;

/** Text that cannot go into a template verbatim (it would become a placeholder or a section). */
function unsafe(s: string): boolean {
  return s.includes('{{') || s.includes('}}');
}

function demo(e: Example, output: string, reward: number, input: string): Demonstration | null {
  if (output.trim() === '' || output.length > MAX_DEMO_CHARS || unsafe(output) || unsafe(input)) return null;
  if (Object.values(e.vars).some((v) => unsafe(typeof v === 'string' ? v : JSON.stringify(v ?? '')))) return null;
  return { exampleId: e.id, vars: e.vars, input, output: output.trim(), reward };
}

/** A recorded call with a stored reward: the real rollout's reward is the authority on its answer. */
const judgedByRecord = (e: Example): boolean => typeof e.recorded?.reward === 'number';

/**
 * The demonstrations `examples` offer: for a recorded call with a stored reward, its answer when that reward
 * reaches the threshold; for any other example, the first successful outcome among `sources` (candidates,
 * in order of preference).
 */
export function harvestDemonstrations(
  examples: readonly Example[],
  sources: readonly Candidate[],
  scorer: Pick<Scorer, 'cached'>,
  threshold: number,
  limit: number,
): Demonstration[] {
  const out: Demonstration[] = [];
  for (const e of examples) {
    if (out.length >= limit) break;
    let d: Demonstration | null = null;
    const r = e.recorded;
    if (r && judgedByRecord(e)) {
      if ((r.reward as number) >= threshold && r.output) d = demo(e, r.output, r.reward as number, describe(e));
      if (d) out.push(d);
      continue;
    }
    for (const c of sources) {
      if (d) break;
      const o = scorer.cached(c, e.id);
      if (o && o.reward >= threshold) d = demo(e, o.output, o.reward, o.input);
    }
    if (d) out.push(d);
  }
  return out;
}

function describe(e: Example): string {
  const entries = Object.entries(e.vars);
  if (entries.length === 1) return String(entries[0]?.[1] ?? '');
  return entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n');
}

/** The template with the demonstrations rendered before its first placeholder line. */
export function withDemonstrations(template: string, demos: readonly Demonstration[]): string {
  if (demos.length === 0) return template;
  const lines = template.split('\n');
  const first = lines.findIndex((l) => PLACEHOLDER.test(l));
  if (first < 0) {
    const blocks = demos.map((d) => `Example:\nQ: ${d.input}\nA: ${d.output}`);
    return `${template.trimEnd()}\n\n${blocks.join('\n\n')}\n`;
  }
  let last = first;
  lines.forEach((l, i) => {
    if (PLACEHOLDER.test(l)) last = i;
  });
  const block = lines.slice(first, last + 1).join('\n');
  const label = LABELLED.test(block) ? '' : 'Q: ';
  const blocks = demos.map((d) => `Example:\n${label}${renderPrompt(block, d.vars).trim()}\nA: ${d.output}`);
  return [...lines.slice(0, first), ...blocks.flatMap((b) => [b, '']), `${label}${block}`, ...lines.slice(last + 1)].join('\n');
}

export async function fewShotSearch(input: SearchInput, prior: SearchResult, cfg: FewShotConfig): Promise<SearchResult> {
  const { scorer, search, emit, train, validation } = input;
  const base = prior.best;
  const tracker = new BestSoFar(scorer, validation, base);
  tracker.resume(prior);
  const candidates = [...prior.candidates];
  const minibatch = shuffled(train, search.seed * 7919 + 999_983).slice(0, cfg.minibatch ?? search.minibatch);
  const inMinibatch = new Set(minibatch.map((e) => e.id));
  const rest = train.filter((e) => !inMinibatch.has(e.id));
  // The base prompt's own answers first: they follow the instruction the demonstrations are added to.
  const sources = [
    base,
    ...prior.candidates.filter((c) => c.id !== base.id).sort((a, b) => (prior.validated.get(b.id) ?? -1) - (prior.validated.get(a.id) ?? -1)),
  ];
  let stopReason = prior.stopReason;
  let trials = 0;
  let winner: Candidate | null = null;
  let winnerValidation: number | null = null;
  let demos: Demonstration[] = [];
  try {
    await explainSuccesses(input, base, scorer.known(base, rest), search.success_threshold);
    demos = harvestDemonstrations(rest, sources, scorer, search.success_threshold, cfg.pool);
    if (demos.length < cfg.k) {
      const more = shuffled(
        scorer.missing(
          base,
          rest.filter((e) => !judgedByRecord(e)),
        ),
        search.seed * 31 + 5,
      ).slice(0, cfg.pool);
      if (more.length > 0) {
        const outs = await scorer.score(base, more, { set: 'train' });
        await explainSuccesses(input, base, outs, search.success_threshold);
        demos = harvestDemonstrations(rest, sources, scorer, search.success_threshold, cfg.pool);
      }
    }
    if (demos.length > 0) {
      const k = Math.min(cfg.k, demos.length);
      const trialCandidates: Candidate[] = [];
      const seen = new Set<string>();
      for (let t = 0; t < cfg.trials; t++) {
        const picked = shuffled(demos, search.seed * 7 + t * 131 + 1).slice(0, k);
        const key = picked
          .map((d) => d.exampleId)
          .sort()
          .join('\u0000');
        if (seen.has(key)) continue;
        seen.add(key);
        const text = withDemonstrations(base.text, picked);
        const check = checkChild(base.text, text);
        if (!check.ok || candidates.some((c) => c.text.trim() === text.trim())) continue;
        const c: Candidate = { id: `c${candidates.length}`, text, parentId: base.id, round: prior.rounds + 1, demonstrations: k };
        candidates.push(c);
        trialCandidates.push(c);
        emit({ event: 'candidate', round: prior.rounds + 1, candidate: c.id, parent: base.id, status: 'new', reason: `${k} demonstrations` });
      }
      trials = trialCandidates.length;
      await scorer.score(base, minibatch, { set: 'train' });
      for (const c of trialCandidates) await scorer.score(c, minibatch, { set: 'train' });
      const baseMean = mean(scorer.known(base, minibatch));
      const ranked = trialCandidates
        .map((c) => ({ c, m: mean(scorer.known(c, minibatch)), n: scorer.known(c, minibatch).length }))
        .filter((x) => x.n === minibatch.length && x.m >= baseMean)
        .sort((a, b) => b.m - a.m);
      for (const { c } of ranked.slice(0, search.validate_top)) {
        const v = await tracker.validate(c);
        if (winnerValidation === null || v > winnerValidation) {
          winner = c;
          winnerValidation = v;
        }
        tracker.consider(c, v, search.min_delta);
      }
    }
  } catch (err) {
    if (!(err instanceof BudgetExhausted)) throw err;
    stopReason = `the rollout budget (${scorer.budget}) is spent`;
  }
  tracker.point();
  emit({
    event: 'few_shot',
    base: base.id,
    demonstrations: demos.length,
    trials,
    candidate: winner?.id ?? null,
    validation: winnerValidation,
    kept: winner !== null && tracker.best.id === winner.id,
    rollouts: scorer.spent,
  });
  return {
    ...prior,
    best: tracker.best,
    bestValidation: tracker.bestValidation,
    candidates,
    validated: tracker.validated,
    curve: tracker.curve,
    stopReason,
    metrics: { ...prior.metrics, 'few_shot.pool': demos.length, 'few_shot.trials': trials },
  };
}

/** Active evaluation reads answers only for failures; demonstrations need the successes' answers too. */
async function explainSuccesses(input: SearchInput, c: Candidate, outs: Outcome[], threshold: number): Promise<void> {
  if (!input.evaluator.explain) return;
  const lacking = outs.filter((o) => o.reward >= threshold && o.output === '');
  if (lacking.length === 0) return;
  const filled = await input.evaluator.explain(c, lacking);
  input.scorer.amend(c, filled);
}
