// The whole RL loop as a user runs it: `tracelight train grpo --example toy` and `train sft --example toy`, the
// built CLI with a from-scratch model served by the reference trainer, tracelight's LLM proxy in front, toy agents
// running rollouts through the proxy, the job training on the proxy's spans. What a user checks: the mean reward
// printed per iteration rises clearly (not an exact number: sampling is random), and the run is recorded.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_PATH, cliBuilt, REPO_ROOT } from '../support/cli-process.js';
import { pythonEnv } from '../support/python-env.js';

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Iteration {
  event: 'iteration';
  iteration: number;
  mean_reward: number | null;
  version: number | null;
}

async function toy(algorithm: 'grpo' | 'sft', iterations: number): Promise<{ events: Record<string, unknown>[]; iterations: Iteration[] }> {
  const requirements = readFileSync(join(REPO_ROOT, 'algorithms/rl/trainer/requirements.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
  const python = await pythonEnv('rl-trainer', requirements);
  const dir = mkdtempSync(join(tmpdir(), `tl-toy-${algorithm}-`));
  dirs.push(dir);
  const { stdout } = await run(
    process.execPath,
    [CLI_PATH, 'train', algorithm, '--example', 'toy', '--format', 'jsonl', '--iterations', String(iterations), '--python', python, '--dir', dir],
    {
      cwd: REPO_ROOT,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000,
    },
  );
  const events = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { events, iterations: events.filter((e): e is Record<string, unknown> & Iteration => e.event === 'iteration') };
}

const mean = (xs: (number | null)[]): number => xs.reduce<number>((a, b) => a + (b ?? 0), 0) / xs.length;

describe.skipIf(!cliBuilt())('train --example toy', () => {
  it('grpo: one line per iteration with iteration and mean_reward; the last two clearly above the first two', async () => {
    const { events, iterations } = await toy('grpo', 10);
    expect(iterations.map((i) => i.iteration)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(iterations.every((i) => typeof i.mean_reward === 'number')).toBe(true);
    // Each iteration published the next version of the model resource.
    expect(iterations.map((i) => i.version)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const first = mean(iterations.slice(0, 2).map((i) => i.mean_reward));
    const last = mean(iterations.slice(-2).map((i) => i.mean_reward));
    expect(last, `first two ${first}, last two ${last}`).toBeGreaterThan(first + 0.05);
    expect(events.at(-1)).toMatchObject({ event: 'run_finished', status: 'succeeded' });
  }, 900_000);

  it('sft: each iteration fine-tunes on the best answers (loss falls), and the reward rises over the iterations', async () => {
    const { events, iterations } = await toy('sft', 6);
    const trained = events.filter((e) => e.event === 'trained') as { train: { loss_before: number; loss_after: number } }[];
    expect(trained).toHaveLength(6);
    for (const t of trained) expect(t.train.loss_after).toBeLessThan(t.train.loss_before);
    const first = mean(iterations.slice(0, 2).map((i) => i.mean_reward));
    const last = mean(iterations.slice(-2).map((i) => i.mean_reward));
    expect(last, `first two ${first}, last two ${last}`).toBeGreaterThan(first + 0.03);
    expect(events.at(-1)).toMatchObject({ event: 'run_finished', status: 'succeeded' });
  }, 900_000);
});
