// The reference trainer (algorithms/rl/trainer, Python + torch) end to end, as a training loop drives it:
// create a tiny model from scratch, serve it over the OpenAI API with vLLM's token-id extension, turn the
// sampled token ids and logprobs into a GRPO batch, train, hot-swap the new checkpoint into the running
// server, and check that the policy really learns (selfcheck's toy task) and that SFT lowers the loss.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli-process.js';
import { pythonEnv } from '../support/python-env.js';

const exec = promisify(execFile);
const TRAINER_DIR = join(REPO_ROOT, 'algorithms', 'rl', 'trainer');
const EOS = 2; // tokenizer.py: <pad>, <bos>, <eos>, <unk>, <system>, <user>, <assistant>
const ASSISTANT = 6;
const SPECIALS = 7;

/** The machine's environment without its Python settings; torch on at most 2 threads, no __pycache__ in the tree. */
function env(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('PYTHON')) out[k] = v;
  return { ...out, OMP_NUM_THREADS: '2', PYTHONDONTWRITEBYTECODE: '1' };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface ChatResponse {
  prompt_token_ids: number[];
  choices: {
    message: { content: string };
    token_ids: number[];
    logprobs: { content: { token: string; logprob: number; bytes: null; top_logprobs: unknown[] }[] };
    finish_reason: string;
  }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

describe('reference RL trainer (tiny from-scratch model)', () => {
  let python: string;
  let dir: string;
  let server: ChildProcess | undefined;
  let url: string;

  /** `python -m tracelight_trainer <args>` from the trainer's directory; never throws on a non-zero exit. */
  const trainer = async (args: string[], timeout = 120_000): Promise<Run> => {
    try {
      const { stdout, stderr } = await exec(python, ['-m', 'tracelight_trainer', ...args], {
        cwd: TRAINER_DIR,
        env: env(),
        timeout,
        maxBuffer: 16 * 1024 * 1024,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };
  const lastJson = (stdout: string): any => JSON.parse(stdout.trim().split('\n').pop() as string);

  const post = async (path: string, body: unknown): Promise<any> => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = await res.json();
    expect(res.status, `POST ${path}: ${JSON.stringify(json)}`).toBe(200);
    return json;
  };

  const get = async (path: string): Promise<any> => {
    const res = await fetch(`${url}${path}`);
    expect(res.status, `GET ${path}`).toBe(200);
    return res.json();
  };

  /** The served model's logprob of each response token after the prompt (completions with echo scores the text). */
  const score = async (prompt: number[], response: number[]): Promise<number[]> => {
    const r = await post('/v1/completions', { model: 'tracelight-tiny', prompt: [...prompt, ...response], echo: true, logprobs: 0, max_tokens: 0 });
    return r.choices[0].logprobs.token_logprobs.slice(prompt.length);
  };

  const chat = (seed: number): Promise<ChatResponse> =>
    post('/v1/chat/completions', {
      model: 'tracelight-tiny',
      messages: [{ role: 'user', content: 'Write digits' }],
      n: 4,
      max_tokens: 8,
      temperature: 1,
      seed,
      logprobs: true,
      return_token_ids: true,
    });

  beforeAll(async () => {
    const requirements = (await readFile(join(TRAINER_DIR, 'requirements.txt'), 'utf8')).split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    python = await pythonEnv('rl-trainer', requirements);
    dir = await mkdtemp(join(tmpdir(), 'tl-rl-trainer-'));
    const init = await trainer(['init', '--out', join(dir, 'v0'), '--seed', '3']);
    expect(init.code, init.stderr).toBe(0);
    expect(lastJson(init.stdout)).toMatchObject({ n_layers: 2, d_model: 64, context: 256, seed: 3 });

    server = spawn(python, ['-m', 'tracelight_trainer', 'serve', '--checkpoint', join(dir, 'v0'), '--port', '0', '--device', 'cpu'], {
      cwd: TRAINER_DIR,
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 60_000);
      server!.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
      server!.stdout!.setEncoding('utf8').on('data', (c: string) => {
        out += c;
        if (!out.includes('\n')) return;
        clearTimeout(timer);
        resolve(JSON.parse(out.split('\n')[0]!).url);
      });
      server!.once('exit', (code) => reject(new Error(`serve exited (${code}): ${err}`)));
    });
  }, 900_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves chat completions with prompt/response token ids and aligned logprobs', async () => {
    const models = await get('/v1/models');
    expect(models.data[0]).toMatchObject({ id: 'tracelight-tiny', object: 'model', max_model_len: 256 });

    const r = await chat(11);
    expect(r.prompt_token_ids.length).toBeGreaterThan(2);
    expect(r.prompt_token_ids.at(-1)).toBe(ASSISTANT); // the chat template's generation prompt
    expect(r.choices).toHaveLength(4);
    for (const c of r.choices) {
      expect(c.token_ids.length).toBeGreaterThan(0);
      expect(c.logprobs.content).toHaveLength(c.token_ids.length);
      for (const lp of c.logprobs.content) {
        expect(lp.logprob).toBeLessThanOrEqual(0);
        expect(lp).toMatchObject({ bytes: null, top_logprobs: [] });
      }
      expect(c.finish_reason).toBe(c.token_ids.at(-1) === EOS ? 'stop' : 'length');
      expect(c.message.content.length).toBe(c.token_ids.filter((t) => t >= SPECIALS).length); // one character per non-special token
    }
    expect(r.usage).toEqual({
      prompt_tokens: r.prompt_token_ids.length,
      completion_tokens: r.choices.reduce((n, c) => n + c.token_ids.length, 0),
      total_tokens: r.prompt_token_ids.length + r.choices.reduce((n, c) => n + c.token_ids.length, 0),
    });
    // The same seed samples the same tokens.
    expect((await chat(11)).choices.map((c) => c.token_ids)).toEqual(r.choices.map((c) => c.token_ids));
  });

  it('retokenizes a recorded call to the ids the server sampled (for calls recorded without ids)', async () => {
    const r = await chat(5);
    const stopped = r.choices.find((c) => c.finish_reason === 'stop') ?? r.choices[0]!;
    const calls = join(dir, 'calls.jsonl');
    await writeFile(calls, `${JSON.stringify({ key: 'k1', messages: [{ role: 'user', content: 'Write digits' }], response: stopped.message.content })}\n`);
    const out = join(dir, 'calls-ids.jsonl');
    const t = await trainer(['tokenize', '--checkpoint', join(dir, 'v0'), '--calls', calls, '--out', out]);
    expect(t.code, t.stderr).toBe(0);
    expect(lastJson(t.stdout)).toMatchObject({ kind: 'tokenize', tokenized: 1, skipped: 0 });
    const ids = JSON.parse((await readFile(out, 'utf8')).trim()) as { key: string; prompt_token_ids: number[]; response_token_ids: number[] };
    expect(ids.key).toBe('k1');
    expect(ids.prompt_token_ids).toEqual(r.prompt_token_ids);
    // A call the model ended itself ends with <eos>, as the sampled ids do.
    if (stopped.finish_reason === 'stop') expect(ids.response_token_ids).toEqual(stopped.token_ids);
    else expect(ids.response_token_ids.slice(0, -1)).toEqual(stopped.token_ids);
  });

  it('trains GRPO on served samples, and /admin/load hot-swaps the new weights into the server', async () => {
    const r = await chat(21);
    const advantages = [1.5, -0.5, -0.5, -0.5];
    const lines = r.choices.map((c, i) => ({
      group_id: 'g0',
      rollout_id: `r${i}`,
      prompt_token_ids: r.prompt_token_ids,
      response_token_ids: c.token_ids,
      response_logprobs: c.logprobs.content.map((t) => t.logprob),
      advantage: advantages[i],
      reward: i === 0 ? 1 : 0,
    }));
    const batch = join(dir, 'batch.jsonl');
    await writeFile(batch, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');

    const run = await trainer(['train-grpo', '--checkpoint', join(dir, 'v0'), '--batch', batch, '--out', join(dir, 'v1'), '--device', 'auto']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    const metrics = lastJson(run.stdout);
    const tokens = lines.reduce((n, l) => n + l.response_token_ids.length, 0);
    expect(metrics).toMatchObject({ kind: 'grpo', noop: false, sequences: 4, tokens, device: 'cpu' });
    for (const k of ['loss', 'mean_ratio', 'clip_fraction', 'seconds']) expect(Number.isFinite(metrics[k]), k).toBe(true);
    expect(metrics.logprob_mismatch).toBeLessThan(1e-4); // the served logprobs are the trainer's own
    for (const f of ['model.pt', 'config.json', 'tokenizer.json', 'metrics.json']) expect(existsSync(join(dir, 'v1', f)), f).toBe(true);
    expect(JSON.parse(await readFile(join(dir, 'v1', 'metrics.json'), 'utf8'))).toEqual(metrics);

    const best = lines[0]!;
    const before = await score(best.prompt_token_ids, best.response_token_ids);
    before.forEach((lp, k) => expect(lp).toBeCloseTo(best.response_logprobs[k]!, 4));
    const loaded = await post('/admin/load', { checkpoint: join(dir, 'v1') });
    expect(loaded.version).toBe(2);
    const after = await score(best.prompt_token_ids, best.response_token_ids);
    expect(after).toHaveLength(before.length);
    expect(Math.max(...after.map((lp, k) => Math.abs(lp - before[k]!)))).toBeGreaterThan(1e-3);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(after)).toBeGreaterThan(sum(before)); // the positive-advantage response became more likely

    const bad = await fetch(`${url}/admin/load`, { method: 'POST', body: JSON.stringify({ checkpoint: join(dir, 'missing') }) });
    expect(bad.status).toBe(400);
    expect((await get('/v1/models')).data[0].version).toBe(2); // still serving v1
  });

  it('reports bad batches as one line on stderr, and an all-zero-advantage batch as a no-op', async () => {
    const missing = await trainer(['train-grpo', '--checkpoint', join(dir, 'v0'), '--batch', join(dir, 'nope.jsonl'), '--out', join(dir, 'x')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: batch file not found: .*nope\.jsonl$/)]);

    await writeFile(join(dir, 'empty.jsonl'), '\n');
    const empty = await trainer(['train-grpo', '--checkpoint', join(dir, 'v0'), '--batch', join(dir, 'empty.jsonl'), '--out', join(dir, 'x')]);
    expect(empty.code).toBe(2);
    expect(empty.stderr.trim()).toMatch(/^error: batch is empty/);

    const zero = join(dir, 'zero.jsonl');
    await writeFile(
      zero,
      JSON.stringify({
        group_id: 'g',
        rollout_id: 'r',
        prompt_token_ids: [1, 5, 40, 2, 6],
        response_token_ids: [20, 21, 2],
        response_logprobs: null,
        advantage: 0,
        reward: 1,
      }) + '\n',
    );
    const noop = await trainer(['train-grpo', '--checkpoint', join(dir, 'v0'), '--batch', zero, '--out', join(dir, 'v0-noop')]);
    expect(noop.code, noop.stderr).toBe(0);
    expect(lastJson(noop.stdout)).toMatchObject({ noop: true, reason: 'all advantages are zero', steps: 0 });
    expect(existsSync(join(dir, 'v0-noop', 'model.pt'))).toBe(true);
  });

  it('learns the selfcheck toy task through repeated GRPO updates', async () => {
    const run = await trainer(['selfcheck', '--iterations', '12', '--seed', '0', '--skip-sft', '--threads', '2'], 150_000);
    const rows = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const curve: number[] = rows.filter((r) => 'iteration' in r).map((r) => r.mean_reward);
    console.log(`selfcheck mean_reward by iteration: ${curve.join(' ')}`);
    expect(curve).toHaveLength(12);
    const first = (curve[0]! + curve[1]!) / 2;
    const last = (curve[10]! + curve[11]!) / 2;
    expect(first).toBeLessThan(0.3); // a from-scratch model is near-uniform over the vocabulary
    expect(last).toBeGreaterThan(first + 0.1);
    expect(run.code, run.stderr).toBe(0);
    expect(rows.at(-1)).toMatchObject({ selfcheck: 'passed', rose: true });
  }, 180_000);

  it('lowers the loss with SFT on chat and token-id examples', async () => {
    const data = join(dir, 'sft.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 24; i++) {
      const digits = String((i * 7919 + 12345) % 100_000_000).padStart(8, '0');
      lines.push(
        JSON.stringify({
          messages: [
            { role: 'user', content: 'Write digits' },
            { role: 'assistant', content: digits },
          ],
        }),
      );
    }
    lines.push(JSON.stringify({ prompt_token_ids: [1, 5, 40, 41, 2, 6], response_token_ids: [20, 21, 22, EOS] }));
    await writeFile(data, lines.join('\n') + '\n');
    const run = await trainer(['train-sft', '--checkpoint', join(dir, 'v0'), '--data', data, '--out', join(dir, 'sft1'), '--epochs', '3', '--lr', '3e-3']);
    expect(run.code, run.stderr).toBe(0);
    const m = lastJson(run.stdout);
    expect(m).toMatchObject({ kind: 'sft', examples: 25 });
    expect(m.loss_after).toBeLessThan(m.loss_before - 0.5);
    expect(existsSync(join(dir, 'sft1', 'model.pt'))).toBe(true);
    expect(JSON.parse(await readFile(join(dir, 'sft1', 'metrics.json'), 'utf8'))).toEqual(m);
  });
});
