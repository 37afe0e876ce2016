// APO's search methods, their pure parts and their rules, with a fake evaluator and optimizer: the Pareto
// front (dominated candidates dropped, parents sampled only from it, children kept only when they beat their
// parent on the minibatch), few-shot demonstrations (only answers rewarded at least the success threshold,
// placeholders kept, never a minibatch or validation example), the test split, and the config's errors.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseApoConfig } from '../../algorithms/apo/config.js';
import { loadData } from '../../algorithms/apo/dataset.js';
import { Scorer, type Evaluator } from '../../algorithms/apo/evaluation.js';
import { fewShotSearch, harvestDemonstrations, withDemonstrations, type Demonstration } from '../../algorithms/apo/few-shot.js';
import { gepaSearch } from '../../algorithms/apo/gepa.js';
import type { OptimizerModel } from '../../algorithms/apo/optimizer.js';
import { dominates, paretoFront, sampleFront } from '../../algorithms/apo/pareto.js';
import { prng, startOnly, type SearchInput } from '../../algorithms/apo/search.js';
import type { ApoEvent, Candidate, Example, Outcome } from '../../algorithms/apo/types.js';
import { renderPrompt, templateVariables } from '../../schemas/prompt-template.js';

const minimal = {
  resource: 'p',
  evaluation: { mode: 'replay', grader: { builtin: 'last-number' } },
  data: { train: { file: 'train.jsonl' } },
};

function errorOf(value: unknown): string {
  try {
    parseApoConfig(value, 'apo.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('Pareto front', () => {
  it('keeps the candidates best on at least one example and drops the dominated ones', () => {
    const front = paretoFront([
      { id: 'a', scores: [1, 0, 0, 1] },
      { id: 'b', scores: [0, 1, 0, 1] },
      // Best nowhere.
      { id: 'c', scores: [0, 0, 0, 0.5] },
      // Tied best on example 0 and 3, but `a` is as good everywhere and better on none: not dominated by a.
      { id: 'd', scores: [1, 0, 0, 1] },
      // Best on example 2 (with e2), but dominated by e2.
      { id: 'e', scores: [0, 0, 1, 0] },
      { id: 'e2', scores: [0, 0.5, 1, 0] },
    ]);
    expect(front.map((m) => m.id)).toEqual(['a', 'b', 'd', 'e2']);
    expect(Object.fromEntries(front.map((m) => [m.id, m.leads]))).toEqual({ a: 2, b: 2, d: 2, e2: 1 });
  });

  it('dominance is "at least as good everywhere and better somewhere"', () => {
    expect(dominates([1, 1], [1, 0])).toBe(true);
    expect(dominates([1, 0], [1, 0])).toBe(false);
    expect(dominates([1, 0], [0, 1])).toBe(false);
    expect(paretoFront([])).toEqual([]);
    expect(paretoFront([{ id: 'only', scores: [0, 0] }])).toEqual([{ id: 'only', leads: 2 }]);
  });

  it('samples parents only from the front, in proportion to their leads, repeatably', () => {
    const front = paretoFront([
      { id: 'a', scores: [1, 1, 1, 0] },
      { id: 'b', scores: [0, 0, 0, 1] },
      { id: 'dominated', scores: [0, 0, 0, 0.5] },
    ]);
    const counts = new Map<string, number>();
    const r = prng(42);
    for (let i = 0; i < 4000; i++) {
      const m = sampleFront(front, r);
      counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
    }
    expect(counts.has('dominated')).toBe(false);
    expect((counts.get('a') ?? 0) / 4000).toBeCloseTo(0.75, 1);
    expect((counts.get('b') ?? 0) / 4000).toBeCloseTo(0.25, 1);
    const again = prng(42);
    expect(sampleFront(front, again).id).toBe(sampleFront(front, prng(42)).id);
  });
});

// The fake task: example n is solved by a prompt holding the word `even` when n is even, `odd` when n is odd,
// and by `all` always. A prompt with demonstrations solves what its instruction solves.
const examples = (prefix: string, n: number): Example[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, vars: { question: `${prefix}${i}?` }, expected: i }));

function fakeEvaluator(): Evaluator {
  return {
    mode: 'replay',
    async evaluate(c: Candidate, es: Example[]): Promise<Outcome[]> {
      return es.map((e) => {
        const n = Number(e.expected);
        const solved = /\ball\b/.test(c.text) || (/\beven\b/.test(c.text) && n % 2 === 0) || (/\bodd\b/.test(c.text) && n % 2 === 1);
        return { exampleId: e.id, reward: solved ? 1 : 0, input: String(e.vars.question), output: solved ? `answer ${n}` : 'no idea', expected: String(n) };
      });
    },
  };
}

/** Proposes, in turn, the start text plus `even`, `odd`, then `all`. */
function fakeOptimizer(): OptimizerModel & { calls: number } {
  const words = ['even', 'odd', 'all'];
  let i = 0;
  return {
    model: 'fake',
    calls: 0,
    async critique() {
      this.calls++;
      return 'be better';
    },
    async rewrite(prompt: string) {
      this.calls++;
      return [`${prompt} ${words[i++ % words.length]}`];
    },
  };
}

function searchInput(over: { search?: Record<string, unknown>; budget?: number; train?: Example[]; validation?: Example[] } = {}): SearchInput & {
  events: ApoEvent[];
} {
  const cfg = parseApoConfig({ ...minimal, search: { minibatch: 6, ...over.search }, few_shot: {} });
  const events: ApoEvent[] = [];
  const evaluator = fakeEvaluator();
  return {
    start: { id: 'c0', text: 'Solve: {{question}}', parentId: null, round: 0 },
    train: over.train ?? examples('t', 12),
    validation: over.validation ?? examples('v', 10),
    scorer: new Scorer(evaluator, over.budget ?? 1000),
    evaluator,
    optimizer: fakeOptimizer(),
    search: cfg.search,
    emit: (e) => events.push(e),
    events,
  };
}

describe('gepa search', () => {
  it('samples each parent from the current front and keeps only children that beat their parent on the minibatch', async () => {
    const input = searchInput({ search: { method: 'gepa', gepa: { iterations: 6, pareto_size: 10 } } });
    const r = await gepaSearch(input);
    let front: string[] = [];
    for (const e of input.events) {
      if (e.event === 'pareto') front = e.front.map((m) => m.id);
      if (e.event === 'critique') expect(front).toContain(e.candidate);
    }
    // `even` beats the start and dominates it; `even odd` beats `even` and solves everything, so the `all`
    // proposed next is not even asked for: the parent has no failure left to reflect on.
    expect(r.best.text).toBe('Solve: {{question}} even odd');
    expect(r.bestValidation).toBe(1);
    expect(r.baseline).toBe(0);
    const accepted = input.events.filter((e) => e.event === 'candidate' && e.status === 'new');
    for (const e of accepted) {
      if (e.event !== 'candidate') continue;
      const child = r.candidates.find((c) => c.id === e.candidate) as Candidate;
      const parent = r.candidates.find((c) => c.id === e.parent) as Candidate;
      const mb = input.scorer.known(parent, input.train).map((o) => o.exampleId);
      const childOn = input.scorer.known(child, input.train).filter((o) => mb.includes(o.exampleId));
      const parentOn = input.scorer.known(parent, input.train).filter((o) => childOn.some((c) => c.exampleId === o.exampleId));
      expect(childOn.reduce((s, o) => s + o.reward, 0)).toBeGreaterThan(parentOn.reduce((s, o) => s + o.reward, 0));
    }
    const last = input.events.filter((e) => e.event === 'pareto').pop();
    expect(last && last.event === 'pareto' ? last.front.map((m) => m.id) : []).toEqual([r.best.id]);
    expect(r.curve[r.curve.length - 1]).toMatchObject({ best: r.best.id, best_validation: 1 });
  });

  it('rejects a child that does no better than its parent on the minibatch, and keeps it out of the pool', async () => {
    const input = searchInput({ search: { method: 'gepa', gepa: { iterations: 2, pareto_size: 4 } } });
    input.optimizer = { ...fakeOptimizer(), rewrite: async (p: string) => [`${p} (rephrased)`] };
    const r = await gepaSearch(input);
    const rejected = input.events.filter((e) => e.event === 'candidate' && e.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected[0]).toMatchObject({ reason: expect.stringMatching(/does not beat the parent's/) });
    expect(r.metrics?.['gepa.pool']).toBe(1);
    expect(r.best.id).toBe('c0');
  });

  it('merges two front members that each lead somewhere into one that leads everywhere', async () => {
    // 7 odd and 5 even train examples: `even` beats the start, then `odd` beats `even`; neither dominates.
    const train = [1, 3, 5, 7, 9, 11, 13, 0, 2, 4, 6, 8].map((n) => ({ id: `t${n}`, vars: { question: `t${n}?` }, expected: n }));
    const input = searchInput({ search: { method: 'gepa', minibatch: 12, gepa: { iterations: 3, pareto_size: 10, merge_every: 3 } }, train });
    const words = ['even', 'odd'];
    let w = 0;
    const merged: string[][] = [];
    input.optimizer = {
      model: 'fake',
      calls: 0,
      critique: async () => 'be better',
      rewrite: async () => [`Solve: {{question}} ${words[w++ % 2]}`],
      merge: async (a: string, b: string) => {
        merged.push([a, b]);
        return [`${a} ${b.split(' ').pop()}`];
      },
    };
    const r = await gepaSearch(input);
    const paretos = input.events.filter((e) => e.event === 'pareto');
    expect(paretos[2] && paretos[2].event === 'pareto' ? paretos[2].front.map((m) => m.id).sort() : []).toEqual(['c1', 'c2']);
    expect(merged).toHaveLength(1);
    expect(r.best.text).toMatch(/^Solve: \{\{question\}\} (even odd|odd even)$/);
    expect(r.bestValidation).toBe(1);
    expect(input.events.find((e) => e.event === 'candidate' && e.candidate === r.best.id)).toMatchObject({
      status: 'new',
      reason: expect.stringMatching(/^merge of c\d and c\d$/),
    });
    expect(r.metrics).toMatchObject({ 'gepa.merges': 1, 'gepa.front': 1 });
  });

  it('stops when the budget is spent, never past it', async () => {
    const input = searchInput({ search: { method: 'gepa', gepa: { iterations: 50, pareto_size: 10 } }, budget: 30 });
    const r = await gepaSearch(input);
    expect(input.scorer.spent).toBeLessThanOrEqual(30);
    expect(r.stopReason).toMatch(/budget \(30\) is spent/);
  });
});

describe('few-shot demonstrations', () => {
  const demo = (id: string, question: string, output: string): Demonstration => ({ exampleId: id, vars: { question }, input: question, output, reward: 1 });

  it('renders demonstrations before the placeholder line, keeping every placeholder', () => {
    const t = 'You are a careful solver.\nSolve this math problem: {{question}}\nThink step by step.';
    const text = withDemonstrations(t, [demo('a', 'What is 2 + 2?', '4'), demo('b', 'What is 3 + 5?', '8')]);
    expect(text).toBe(
      [
        'You are a careful solver.',
        'Example:',
        'Q: Solve this math problem: What is 2 + 2?',
        'A: 4',
        '',
        'Example:',
        'Q: Solve this math problem: What is 3 + 5?',
        'A: 8',
        '',
        'Q: Solve this math problem: {{question}}',
        'Think step by step.',
      ].join('\n'),
    );
    expect(templateVariables(text)).toEqual(templateVariables(t));
    // The live question is the last labelled one, after the demonstrations.
    expect(renderPrompt(text, { question: 'What is 1 + 1?' }).trimEnd().split('\n').slice(-2)[0]).toBe('Q: Solve this math problem: What is 1 + 1?');
    // A line already labelled keeps its label; several variables render as one block.
    const two = 'Question: {{question}}\nUnits: {{unit}}';
    const d: Demonstration = { exampleId: 'x', vars: { question: 'How far?', unit: 'km' }, input: '', output: '12 km', reward: 1 };
    expect(withDemonstrations(two, [d])).toBe('Example:\nQuestion: How far?\nUnits: km\nA: 12 km\n\nQuestion: {{question}}\nUnits: {{unit}}');
    // A text without placeholders (a system message) gets them appended.
    expect(withDemonstrations('Be exact.', [demo('a', 'What is 2 + 2?', '4')])).toBe('Be exact.\n\nExample:\nQ: What is 2 + 2?\nA: 4\n');
  });

  it('draws demonstrations only from answers rewarded at least the success threshold', () => {
    const es = examples('t', 6);
    const c: Candidate = { id: 'c1', text: 'x', parentId: null, round: 0 };
    const rewards = [1, 0.4, 1, 0, 0.9, 1];
    const cache = new Map(
      es.map((e, i) => [e.id, { exampleId: e.id, reward: rewards[i] as number, input: `q${i}`, output: i === 5 ? 'uses {{braces}}' : `a${i}` }]),
    );
    const scorer = { cached: (_c: Candidate, id: string) => cache.get(id) };
    expect(harvestDemonstrations(es, [c], scorer, 1, 10).map((d) => d.exampleId)).toEqual(['t0', 't2']);
    expect(harvestDemonstrations(es, [c], scorer, 0.9, 10).map((d) => d.exampleId)).toEqual(['t0', 't2', 't4']);
    expect(harvestDemonstrations(es, [c], scorer, 0.9, 2)).toHaveLength(2);
    // Recorded calls: the stored reward and answer, with no evaluation at all.
    const recorded: Example[] = [
      { id: 'r1', vars: { question: 'a' }, recorded: { messages: [], templateMessage: 0, model: 'm', rolloutId: 'r1', output: 'good', reward: 1 } },
      { id: 'r2', vars: { question: 'b' }, recorded: { messages: [], templateMessage: 0, model: 'm', rolloutId: 'r2', output: 'bad', reward: 0 } },
      { id: 'r3', vars: { question: 'c' }, recorded: { messages: [], templateMessage: 0, model: 'm', rolloutId: 'r3', output: 'unscored', reward: null } },
    ];
    expect(harvestDemonstrations(recorded, [], { cached: () => undefined }, 1, 10)).toEqual([
      { exampleId: 'r1', vars: { question: 'a' }, input: 'a', output: 'good', reward: 1 },
    ]);
    // The stored reward is the authority on a recorded call: a replay that went better does not overrule it;
    // a call without a stored reward falls back to the search's outcomes.
    const replayed = { cached: (_c: Candidate, id: string) => ({ exampleId: id, reward: 1, input: id, output: `replayed ${id}` }) };
    expect(harvestDemonstrations(recorded, [c], replayed, 1, 10).map((d) => d.output)).toEqual(['good', 'replayed r3']);
  });

  it('tries subsets on top of the winner; demonstrations never come from the minibatch nor from validation', async () => {
    const input = searchInput({ search: { method: 'none', seed: 3 } });
    const cfg = parseApoConfig({ ...minimal, search: { method: 'none' }, few_shot: { k: 2, trials: 4 } });
    // The start solves the even examples, so only those can be demonstrations.
    input.start = { ...input.start, text: 'Solve: {{question}} even' };
    const prior = await startOnly(input);
    const r = await fewShotSearch(input, prior, cfg.few_shot as NonNullable<typeof cfg.few_shot>);
    const trials = r.candidates.filter((c) => c.demonstrations !== undefined);
    expect(trials.length).toBeGreaterThan(0);
    const minibatchIds = new Set(input.scorer.known(trials[0] as Candidate, input.train).map((o) => o.exampleId));
    for (const c of trials) {
      expect(c.demonstrations).toBe(2);
      expect(c.parentId).toBe('c0');
      expect(templateVariables(c.text)).toEqual(['question']);
      const shown = [...c.text.matchAll(/^Q: Solve: (\w+)\? even$/gm)].map((m) => m[1] as string);
      expect(shown).toHaveLength(2);
      for (const id of shown) {
        expect(id).toMatch(/^t\d+$/);
        expect(Number(id.slice(1)) % 2).toBe(0);
        expect(minibatchIds.has(id)).toBe(false);
      }
    }
    expect(input.events.find((e) => e.event === 'few_shot')).toMatchObject({ base: 'c0', trials: trials.length });
    // The fake model gains nothing from demonstrations: the start prompt stays the winner.
    expect(r.best.id).toBe('c0');
  });
});

describe('config of the search methods', () => {
  it("keeps today's behaviour by default", () => {
    const c = parseApoConfig(minimal);
    expect(c.search.method).toBe('beam');
    expect(c.few_shot).toBeUndefined();
    expect(c.data.test).toBeUndefined();
    expect(c.search.gepa).toEqual({ iterations: 12, pareto_set: 'validation', pareto_size: 16, children: 1, merge_every: 0 });
    expect(parseApoConfig({ ...minimal, few_shot: {} }).few_shot).toEqual({ k: 3, trials: 6, pool: 32 });
  });

  it('names the field of every error', () => {
    expect(errorOf({ ...minimal, search: { method: 'evolve' } })).toMatch(/^apo\.yaml: search\.method: must be "beam", "gepa" or "none"/);
    expect(errorOf({ ...minimal, search: { method: 'none' } })).toMatch(/search\.method: "none" needs few_shot/);
    expect(errorOf({ ...minimal, search: { gepa: { iterations: 0 } } })).toMatch(/search\.gepa\.iterations: must be at least 1/);
    expect(errorOf({ ...minimal, search: { gepa: { pareto_set: 'test' } } })).toMatch(/search\.gepa\.pareto_set: must be "validation" or "train"/);
    expect(errorOf({ ...minimal, search: { gepa: { merge_every: -1 } } })).toMatch(/search\.gepa\.merge_every: must be at least 0/);
    expect(errorOf({ ...minimal, search: { gepa: { iteration: 3 } } })).toMatch(/search\.gepa: unknown key "iteration"/);
    expect(errorOf({ ...minimal, few_shot: { k: 0 } })).toMatch(/few_shot\.k: must be at least 1/);
    expect(errorOf({ ...minimal, few_shot: { shots: 2 } })).toMatch(/few_shot: unknown key "shots"/);
    expect(errorOf({ ...minimal, data: { ...minimal.data, test: { holdout: 1.5 } } })).toMatch(/data\.test/);
    expect(errorOf({ ...minimal, data: { ...minimal.data, test: { fil: 'x' } } })).toMatch(/data\.test/);
  });
});

describe('test split', () => {
  const ctx = { baseDir: '.', template: '{{question}}', window: { sinceNs: '0', untilNs: '0' } };
  const list = (prefix: string, n: number) => ({
    examples: Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, vars: { question: `${prefix}${i}` } })),
  });

  it('holds out test examples from train before the validation hold-out: the three sets are disjoint', async () => {
    const cfg = parseApoConfig({ ...minimal, data: { train: list('e', 200), validation: { holdout: 0.3 }, test: { holdout: 0.25 } } });
    const { train, validation, test } = await loadData(cfg.data, ctx);
    expect(train.length + validation.length + test.length).toBe(200);
    expect(test.length).toBeGreaterThan(30);
    expect(test.length).toBeLessThan(70);
    const ids = [...train, ...validation, ...test].map((e) => e.id);
    expect(new Set(ids).size).toBe(200);
  });

  it('keeps a test source apart from train and validation even when ids collide', async () => {
    const cfg = parseApoConfig({ ...minimal, data: { train: list('e', 4), validation: list('v', 2), test: list('e', 3) } });
    const { train, test } = await loadData(cfg.data, ctx);
    expect(train).toHaveLength(4);
    expect(test.map((e) => e.id)).toEqual(['test:e0', 'test:e1', 'test:e2']);
    const none = await loadData(parseApoConfig({ ...minimal, data: { train: list('e', 4) } }).data, ctx);
    expect(none.test).toEqual([]);
  });
});
