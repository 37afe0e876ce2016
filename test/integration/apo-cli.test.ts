// The built CLI as a user runs it: `tracelight demo --format jsonl` in an empty directory (nothing configured:
// embedded store in ./.tracelight, the SIMULATED model, the example agent as a worker, APO) ends with the
// summary line, best above baseline; `train runs` then shows the run; `train apo` with a bad config says which
// field is wrong.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_PATH, cliBuilt } from '../support/cli-process.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function run(args: string[], cwd: string, timeoutMs = 150_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  for (const k of ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'OPENAI_MODEL', 'OPTIMIZER_BASE_URL', 'OPTIMIZER_MODEL', 'TRACELIGHT_DATA']) delete env[k];
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI_PATH, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.runIf(cliBuilt())('tracelight demo / train (built CLI)', () => {
  // The default demo runs three rounds and a test split: longer than the default test timeout on a loaded machine.
  it('demo --format jsonl, on a fresh directory, ends with the summary line and best > baseline', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tl-demo-'));
    dirs.push(cwd);
    const { code, stdout, stderr } = await run(['demo', '--format', 'jsonl'], cwd, 200_000);
    expect(code, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    for (const l of lines) expect(typeof (JSON.parse(l) as { event?: unknown }).event, l).toBe('string');
    const last = JSON.parse(lines[lines.length - 1] as string) as {
      event: string;
      baseline: number;
      best: number;
      rollouts: number;
      model: string;
      best_version: number;
      test: { baseline: number; best: number; examples: number } | null;
    };
    expect(last.event).toBe('summary');
    expect(
      last.best,
      stdout
        .split('\n')
        .filter((l) => !l.includes('"evaluated"'))
        .join('\n')
        .slice(0, 3000) + stderr,
    ).toBeGreaterThan(last.baseline);
    expect(last.rollouts).toBeGreaterThan(0);
    // The gain holds on problems the search never saw.
    expect(last.test?.examples).toBe(40);
    expect(last.test!.best).toBeGreaterThan(last.test!.baseline);
    expect(last.model).toMatch(/simulated/);
    expect(lines.some((l) => JSON.parse(l).event === 'round_finished')).toBe(true);
    expect(existsSync(join(cwd, '.tracelight'))).toBe(true);

    const runs = await run(['train', 'runs', '--format', 'jsonl'], cwd);
    expect(runs.code, runs.stderr).toBe(0);
    const rec = JSON.parse(runs.stdout.trim().split('\n')[0] as string) as { job: string; status: string; best: number };
    expect(rec).toMatchObject({ job: 'demo-apo', status: 'succeeded' });
    expect(rec.best).toBeCloseTo(last.best);

    const diff = await run(['resources', 'diff', 'arithmetic-prompt', '1', String(last.best_version)], cwd);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain('{{question}}');
  }, 240_000);

  it('demo refuses a bad option before it starts anything', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tl-demo-bad-'));
    dirs.push(cwd);
    const bad = await run(['demo', '--budget', 'lots', '--data', join(cwd, 'store')], cwd, 30_000);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--budget must be an integer from 1/);
    expect(existsSync(join(cwd, 'store'))).toBe(false);
  });

  it('train apo with an invalid config: one clear line naming the field, exit code 1', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tl-train-'));
    dirs.push(cwd);
    writeFileSync(
      join(cwd, 'apo.yaml'),
      'resource: p\nevaluation: {mode: replay, grader: {builtin: last-number}}\ndata: {train: {file: t.jsonl}}\nsearch: {beam_width: 0}\n',
    );
    const bad = await run(['train', 'apo', '--config', 'apo.yaml'], cwd, 30_000);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toMatch(/^tracelight: invalid config: apo\.yaml: search\.beam_width: must be at least 1$/);
    const missing = await run(['train', 'apo', '--config', 'nope.yaml'], cwd, 30_000);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read config file nope\.yaml: no such file/);
  });
});
