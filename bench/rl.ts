// bench/rl: the GRPO (or SFT) toy loop end to end on this machine, as `tracelight train grpo --example toy` runs
// it (a from-scratch model served by the reference trainer, the LLM proxy, toy agents, the job), printing the
// mean reward per iteration and where each iteration's wall time went: rollouts (enqueue → workers through the
// proxy → spans stored), batch build (triplets → groups → advantages), training (one reference-trainer
// update), publishing (a new model version, its label, the server's hot reload).
//
//   npm run bench:rl -- [--algorithm grpo|sft] [--iterations 10] [--rollouts-per-task 8] [--python PATH] [--seed 0] [--json]
import { parseArgs } from 'node:util';
import type { RunEvent } from '../algorithms/algorithm.js';
import { runToyExample } from '../cli/rl-example.js';

const { values } = parseArgs({
  options: {
    algorithm: { type: 'string', default: 'grpo' },
    iterations: { type: 'string', default: '10' },
    'rollouts-per-task': { type: 'string' },
    python: { type: 'string' },
    seed: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
  },
});
const algorithm = values.algorithm === 'sft' ? 'sft' : 'grpo';
const rows: { iteration: number; mean_reward: number | null; samples: number; seconds: Record<string, number> }[] = [];
const started = performance.now();
const outcome = await runToyExample({
  algorithm,
  iterations: Number(values.iterations),
  rolloutsPerTask: Number(values['rollouts-per-task'] ?? (algorithm === 'sft' ? 16 : 8)),
  python: values.python,
  seed: Number(values.seed),
  say: (l) => process.stderr.write(`${l}\n`),
  emit: (e: RunEvent) => {
    if (e.event === 'iteration')
      rows.push({
        iteration: e.iteration as number,
        mean_reward: e.mean_reward as number | null,
        samples: e.samples as number,
        seconds: e.seconds as Record<string, number>,
      });
  },
});
const wall = (performance.now() - started) / 1000;
if (values.json) {
  process.stdout.write(`${JSON.stringify({ algorithm, status: outcome.run.status, wall_seconds: wall, iterations: rows })}\n`);
} else {
  const f = (v: number | null | undefined): string => (typeof v === 'number' ? v.toFixed(3) : '  -  ');
  const s = (v: number | undefined): string => (v ?? 0).toFixed(1).padStart(8);
  process.stdout.write(`${algorithm} toy, ${rows.length} iterations (${outcome.run.status}), ${wall.toFixed(0)} s in all\n`);
  process.stdout.write(`iteration  mean_reward  samples  rollouts_s  batch_s  training_s  publishing_s\n`);
  for (const r of rows) {
    process.stdout.write(
      `${String(r.iteration).padStart(9)}  ${f(r.mean_reward).padStart(11)}  ${String(r.samples).padStart(7)}  ${s(r.seconds.rollouts).padStart(10)} ${s(r.seconds.batch)} ${s(r.seconds.training).padStart(11)} ${s(r.seconds.publishing).padStart(13)}\n`,
    );
  }
  const mean = (xs: (number | null)[]): number => xs.reduce<number>((a, b) => a + (b ?? 0), 0) / Math.max(1, xs.length);
  process.stdout.write(
    `first two iterations ${f(mean(rows.slice(0, 2).map((r) => r.mean_reward)))} → last two ${f(mean(rows.slice(-2).map((r) => r.mean_reward)))}\n`,
  );
}
