// bench/apo: how much evaluation APO spends for what it finds, on the demo task (arithmetic word problems,
// the deliberately weak prompt, the SIMULATED model as agent model and optimizer). Prints the best validation
// reward reached against rollouts spent for tracelight's APO (successive halving, and the UCB bandit; both with
// the (candidate, example) cache) and for a plain beam search (every candidate on every train example) under
// the same budget, averaged over several search seeds (the optimizer's children differ by seed).
//
// Evaluation is the offline-replay path (the agent's one LLM call, re-run and graded by the demo's grader), so
// the figures measure the search, not the queue: a rollout here is one graded call, as in the demo.
//
//   npm run bench:apo -- [--budget 400] [--seeds 5] [--rounds 4] [--train 40] [--validation 40] [--json]
import { parseArgs } from 'node:util';
import { parseApoConfig } from '../algorithms/apo/config.js';
import { MemoryResources } from '../algorithms/apo/memory-resources.js';
import { runApo } from '../algorithms/apo/run.js';
import { generateTasks } from '../examples/arithmetic-agent/tasks.js';
import grade from '../examples/arithmetic-agent/grader.js';
import { startSimulatedModel } from '../examples/simulated-model/index.js';

const { values } = parseArgs({
  options: {
    budget: { type: 'string', default: '400' },
    seeds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '4' },
    train: { type: 'string', default: '40' },
    validation: { type: 'string', default: '40' },
    json: { type: 'boolean', default: false },
  },
});
const budget = Number(values.budget);
const seeds = Number(values.seeds);
const WEAK = 'Solve this math problem: {{question}}';

type Method = { name: string; selection: 'successive-halving' | 'ucb' | 'full' };
const METHODS: Method[] = [
  { name: 'tracelight APO (successive halving)', selection: 'successive-halving' },
  { name: 'tracelight APO (UCB bandit)', selection: 'ucb' },
  { name: 'plain beam search', selection: 'full' },
];

const sim = await startSimulatedModel({ port: 0 });
const tasks = generateTasks({ seed: 7, train: Number(values.train), validation: Number(values.validation) });
const asExample = (t: (typeof tasks.train)[number]) => ({ id: t.id, vars: { question: t.question }, expected: t.answer });

interface RunFigures {
  curve: { rollouts: number; best_validation: number }[];
  baseline: number;
  best: number;
  rollouts: number;
  seconds: number;
}

async function once(m: Method, seed: number): Promise<RunFigures> {
  const resources = new MemoryResources();
  await resources.createVersion('p', { kind: 'prompt_template', content: { template: WEAK }, parent: null, metrics: {}, labels: ['production'], author: null });
  const cfg = parseApoConfig({
    resource: 'p',
    optimizer: { base_url: sim.url, model: 'sim-large', max_retries: 0 },
    evaluation: { mode: 'replay', model: { base_url: sim.url, model: 'sim-small' }, grader: { builtin: 'last-number' }, concurrency: 16 },
    data: { train: { examples: tasks.train.map(asExample) }, validation: { examples: tasks.validation.map(asExample) } },
    // patience = rounds: both searches use their whole budget or all rounds, so the curves compare spending.
    search: { selection: m.selection, seed, rounds: Number(values.rounds), patience: Number(values.rounds), beam_width: 2, branch: 3, minibatch: 8 },
    budget: { rollouts: budget },
  });
  const t0 = performance.now();
  const r = await runApo(cfg, {
    resources,
    grader: grade,
    emit: () => undefined,
    runId: `bench-${seed}`,
    job: 'bench',
    baseDir: process.cwd(),
    window: { sinceNs: '0', untilNs: '0' },
  });
  return { curve: r.curve, baseline: r.baseline ?? 0, best: r.best ?? 0, rollouts: r.rollouts, seconds: (performance.now() - t0) / 1000 };
}

/** The best validation reward known after spending `spent` rollouts (null before the baseline is known). */
function at(curve: RunFigures['curve'], spent: number): number | null {
  let v: number | null = null;
  for (const p of curve) if (p.rollouts <= spent) v = p.best_validation;
  return v;
}

const results = new Map<string, RunFigures[]>();
for (const m of METHODS) {
  const runs: RunFigures[] = [];
  for (let s = 1; s <= seeds; s++) runs.push(await once(m, s));
  results.set(m.name, runs);
}
await sim.close();

const step = Math.max(25, Math.round(budget / 10 / 25) * 25);
const checkpoints = Array.from({ length: Math.floor(budget / step) }, (_, i) => (i + 1) * step);
const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

if (values.json) {
  const out: Record<string, unknown> = { budget, seeds, train: tasks.train.length, validation: tasks.validation.length, methods: {} };
  for (const [name, runs] of results) {
    (out.methods as Record<string, unknown>)[name] = {
      curve: checkpoints.map((c) => ({
        rollouts: c,
        best_validation: runs.map((r) => at(r.curve, c)).every((v) => v !== null) ? avg(runs.map((r) => at(r.curve, c) as number)) : null,
      })),
      baseline: avg(runs.map((r) => r.baseline)),
      best: avg(runs.map((r) => r.best)),
      rollouts: avg(runs.map((r) => r.rollouts)),
    };
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
} else {
  const names = [...results.keys()];
  const w = Math.max(...names.map((n) => n.length));
  process.stdout.write(
    `APO on the demo task (simulated model; ${tasks.train.length} train / ${tasks.validation.length} validation problems, budget ${budget} rollouts, mean of ${seeds} search seeds)\n\n`,
  );
  process.stdout.write(`best validation reward after N rollouts spent:\n`);
  process.stdout.write(`${'N'.padStart(w)}  ${checkpoints.map((c) => String(c).padStart(6)).join('')}\n`);
  for (const name of names) {
    const runs = results.get(name) as RunFigures[];
    const cells = checkpoints.map((c) => {
      const vs = runs.map((r) => at(r.curve, c));
      return (vs.some((v) => v === null) ? '-' : avg(vs as number[]).toFixed(3)).padStart(6);
    });
    process.stdout.write(`${name.padStart(w)}  ${cells.join('')}\n`);
  }
  process.stdout.write(`\n${'method'.padStart(w)}  baseline   best  rollouts used  rollouts to reach its best  seconds\n`);
  for (const name of names) {
    const runs = results.get(name) as RunFigures[];
    const toBest = runs.map((r) => r.curve.find((p) => p.best_validation >= r.best)?.rollouts ?? r.rollouts);
    process.stdout.write(
      `${name.padStart(w)}  ${avg(runs.map((r) => r.baseline))
        .toFixed(3)
        .padStart(8)}  ${avg(runs.map((r) => r.best)).toFixed(3)}  ${avg(runs.map((r) => r.rollouts))
        .toFixed(0)
        .padStart(13)}  ${avg(toBest).toFixed(0).padStart(26)}  ${avg(runs.map((r) => r.seconds))
        .toFixed(1)
        .padStart(7)}\n`,
    );
  }
}
