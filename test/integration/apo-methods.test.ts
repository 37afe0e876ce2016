// APO's search methods end to end in OFFLINE REPLAY against the SIMULATED model, on the demo's task
// (arithmetic word problems, the deliberately weak start prompt): GEPA-style reflective evolution, and
// few-shot demonstrations alone and on top of the instruction search. Each run keeps a test split apart; the
// winner must do better than the start prompt on it, within the rollout budget (test rollouts apart).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApoConfig, type ApoConfigInput } from '../../algorithms/apo/config.js';
import { MemoryResources } from '../../algorithms/apo/memory-resources.js';
import { runApo, type ApoResult } from '../../algorithms/apo/run.js';
import { messageText } from '../../algorithms/apo/template.js';
import type { ApoEvent } from '../../algorithms/apo/types.js';
import type { RecordedCall, TrainingDataPort } from '../../algorithms/ports.js';
import grade from '../../examples/arithmetic-agent/grader.js';
import { generateTasks } from '../../examples/arithmetic-agent/tasks.js';
import { startSimulatedModel, type SimulatedModelServer } from '../../examples/simulated-model/index.js';

const WEAK = 'Solve this math problem: {{question}}';
const tasks = generateTasks({ seed: 7, train: 32, validation: 48 });
const asExample = (t: (typeof tasks.train)[number]) => ({ id: t.id, vars: { question: t.question }, expected: t.answer });
const train = tasks.train.map(asExample);
const validation = tasks.validation.slice(0, 24).map(asExample);
const test = tasks.validation.slice(24).map(asExample);

let sim: SimulatedModelServer;
beforeAll(async () => {
  sim = await startSimulatedModel({ port: 0 });
});
afterAll(async () => {
  await sim?.close();
});

async function run(
  extra: Partial<ApoConfigInput>,
  budget: number,
  data?: TrainingDataPort,
): Promise<{ result: ApoResult; events: ApoEvent[]; resources: MemoryResources }> {
  const resources = new MemoryResources();
  await resources.createVersion('p', { kind: 'prompt_template', content: { template: WEAK }, parent: null, metrics: {}, labels: ['production'], author: null });
  const cfg = parseApoConfig({
    resource: 'p',
    optimizer: { base_url: sim.url, model: 'sim-large', max_retries: 0 },
    evaluation: { mode: 'replay', model: { base_url: sim.url, model: 'sim-small', max_retries: 0 }, grader: { builtin: 'last-number' }, concurrency: 16 },
    data: { train: { examples: train }, validation: { examples: validation }, test: { examples: test } },
    budget: { rollouts: budget },
    ...extra,
  });
  const events: ApoEvent[] = [];
  const result = await runApo(cfg, {
    resources,
    grader: grade,
    emit: (e) => events.push(e),
    runId: 'methods',
    job: 'methods',
    baseDir: process.cwd(),
    window: { sinceNs: '0', untilNs: '0' },
    ...(data ? { data } : {}),
  });
  return { result, events, resources };
}

function checkTestFigures(r: ApoResult, events: ApoEvent[], budget: number): void {
  expect(r.status).toBe('succeeded');
  expect(r.rollouts).toBeLessThanOrEqual(budget);
  expect(r.test, JSON.stringify(r.summaries.map((s) => [s.id, s.validation, s.text.slice(0, 120)]))).not.toBeNull();
  const t = r.test as NonNullable<ApoResult['test']>;
  expect(t.examples).toBe(test.length);
  expect(t.best, `${r.startText} → ${r.bestText}`).toBeGreaterThan(t.baseline);
  // Test rollouts are counted apart: at most the start prompt and the winner, once per test example.
  expect(t.rollouts).toBeLessThanOrEqual(2 * test.length);
  expect(r.metrics['test.best']).toBe(t.best);
  const ev = events.find((e) => e.event === 'test');
  expect(ev).toMatchObject({ event: 'test', baseline: t.baseline, best: t.best, examples: test.length });
  // The curve names the best-so-far candidate, whose text the summaries hold.
  const last = r.curve[r.curve.length - 1];
  expect(last?.best).toBe(r.summaries.find((s) => s.text === r.bestText)?.id);
  for (const p of r.curve) expect(r.summaries.some((s) => s.id === p.best)).toBe(true);
  for (let i = 1; i < r.curve.length; i++) expect(r.curve[i]?.best_validation).toBeGreaterThanOrEqual(r.curve[i - 1]?.best_validation as number);
  const best = r.summaries.find((s) => s.id === last?.best);
  expect(best?.test).toBe(t.best);
  expect(r.summaries.find((s) => s.id === 'c0')?.test).toBe(t.baseline);
}

describe('APO search methods (offline replay, simulated model)', () => {
  it('gepa: a Pareto pool evolved by reflection beats the start prompt on test, within the budget', async () => {
    const budget = 400;
    const {
      result: r,
      events,
      resources,
    } = await run({ search: { method: 'gepa', minibatch: 8, seed: 1, gepa: { iterations: 10, pareto_size: 12 } } }, budget);
    checkTestFigures(r, events, budget);
    expect(r.best).toBeGreaterThan(r.baseline as number);
    expect(events.some((e) => e.event === 'pareto')).toBe(true);
    // Every child that entered the pool beat its parent on the minibatch it was proposed from.
    const accepted = events.filter((e) => e.event === 'candidate' && e.status === 'new');
    expect(accepted.length).toBeGreaterThan(0);
    expect(r.metrics['gepa.accepted']).toBe(accepted.length);
    const written = resources.versions.get('p') ?? [];
    expect(written.find((v) => v.version === r.bestVersion)?.metrics['test.reward']).toBe(r.test?.best);
  });

  it('few-shot on top of gepa: demonstrations drawn from successful answers, the winner better than the start on test', async () => {
    const budget = 400;
    const { result: r, events } = await run(
      { search: { method: 'gepa', minibatch: 8, seed: 2, gepa: { iterations: 6, pareto_size: 12 } }, few_shot: { k: 2, trials: 4 } },
      budget,
    );
    checkTestFigures(r, events, budget);
    const fewShot = events.find((e) => e.event === 'few_shot');
    expect(fewShot).toMatchObject({ event: 'few_shot' });
    expect(events.findIndex((e) => e.event === 'few_shot')).toBeLessThan(events.findIndex((e) => e.event === 'stopped'));
    const withDemos = r.summaries.filter((s) => s.demonstrations !== undefined);
    // Up to `trials` distinct subsets, of k demonstrations each (fewer when fewer were found).
    expect(withDemos.length).toBeGreaterThan(0);
    expect(withDemos.length).toBeLessThanOrEqual(4);
    expect(fewShot && 'trials' in fewShot ? fewShot.trials : -1).toBe(withDemos.length);
    for (const s of withDemos) {
      expect(s.demonstrations).toBeLessThanOrEqual(2);
      expect(s.text).toContain('{{question}}');
      expect(s.text.match(/^Example:$/gm)?.length).toBe(s.demonstrations);
      expect(s.parent).toBe(fewShot && 'base' in fewShot ? fewShot.base : null);
    }
  });

  it('few-shot alone (search.method none): never worse than the start prompt, within the budget', async () => {
    const budget = 150;
    const { result: r, events } = await run({ search: { method: 'none', minibatch: 8, seed: 1 }, few_shot: { k: 3, trials: 6 } }, budget);
    expect(r.status).toBe('succeeded');
    expect(r.rollouts).toBeLessThanOrEqual(budget);
    expect(r.best).toBeGreaterThanOrEqual(r.baseline as number);
    expect(r.test?.best).toBeGreaterThanOrEqual(0);
    const fewShot = events.find((e) => e.event === 'few_shot');
    expect(fewShot).toMatchObject({ event: 'few_shot', base: 'c0' });
    // Kept only when it won: then the winner is the prompt with demonstrations.
    const winner = r.summaries.find((s) => s.text === r.bestText);
    expect(fewShot && 'kept' in fewShot ? fewShot.kept : null).toBe(winner?.demonstrations !== undefined);
    expect(r.summaries.filter((s) => s.demonstrations !== undefined).length).toBeGreaterThan(0);
    expect(r.metrics['few_shot.pool']).toBeGreaterThan(0);
  });

  it('few-shot over recorded calls: the demonstrations are recorded answers whose stored reward reached the threshold', async () => {
    // The agent's calls with the start prompt, as the store would hand them to a replay run.
    const calls: RecordedCall[] = [];
    for (const [i, t] of [...tasks.train, ...tasks.validation].entries()) {
      const content = WEAK.replace('{{question}}', t.question);
      const res = await fetch(`${sim.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'sim-small', messages: [{ role: 'user', content }] }),
      });
      const output = ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content ?? '';
      calls.push({
        rollout_id: `r-${i}`,
        trace_id: `t-${i}`,
        span_id: `s-${i}`,
        agent: 'arithmetic-agent',
        model: 'sim-small',
        start_ns: String(i + 1),
        input: [{ role: 'user', parts: [{ type: 'text', content }] }],
        output: { role: 'assistant', parts: [{ type: 'text', content: output }] },
        reward: grade({ vars: { question: t.question }, output, expected: t.answer }).reward,
        explanation: '',
        resources: {},
      });
    }
    const data: TrainingDataPort = { rolloutResults: async () => new Map(), recordedCalls: async () => calls };
    const budget = 150;
    const { result: r } = await run(
      {
        data: { train: { recorded: { limit: 500 } }, validation: { holdout: 0.25 }, test: { holdout: 0.2 }, min_examples: 4 },
        search: { method: 'none', minibatch: 6, seed: 1 },
        few_shot: { k: 2, trials: 4 },
      },
      budget,
      data,
    );
    expect(r.status).toBe('succeeded');
    expect(r.rollouts).toBeLessThanOrEqual(budget);
    expect(r.test?.examples).toBeGreaterThan(0);
    const good = new Set(calls.filter((c) => (c.reward ?? 0) >= 1).map((c) => messageText(c.output)));
    const trials = r.summaries.filter((s) => s.demonstrations !== undefined);
    expect(trials.length).toBeGreaterThan(0);
    for (const s of trials) {
      const answers = [...s.text.matchAll(/^A: (.*)$/gm)].map((m) => m[1] as string);
      expect(answers, s.text).toHaveLength(s.demonstrations as number);
      for (const a of answers) expect(good.has(a), a).toBe(true);
    }
  });

  it('a tight budget stops the search where it is and still reports the test figures', async () => {
    const budget = 60;
    const { result: r, events } = await run({ search: { method: 'gepa', minibatch: 8, gepa: { iterations: 20, pareto_size: 12 } } }, budget);
    expect(r.rollouts).toBeLessThanOrEqual(budget);
    expect(r.stopReason).toMatch(/budget \(60\) is spent/);
    expect(r.test).toMatchObject({ examples: test.length });
    expect(events.filter((e) => e.event === 'stopped')).toHaveLength(1);
  });
});
