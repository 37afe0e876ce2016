// The bridge to the Python reference trainer (algorithms/rl/trainer/): one process per command, its one JSON
// line of metrics read back, its stderr's last line as the error. The trainer is Python because PyTorch is; the
// loop around it stays here, so a user who trains with verl or TRL swaps only this step.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TracelightError } from '../../schemas/errors.js';

/** The trainer's source folder, from the source tree or from dist/. */
export function trainerDir(): string {
  for (const rel of ['./trainer/', '../../../algorithms/rl/trainer/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}tracelight_trainer/__init__.py`)) return dir;
  }
  throw new TracelightError('unavailable', 'the reference trainer (algorithms/rl/trainer/) is not installed beside tracelight');
}

export interface TrainerOptions {
  python: string;
  device: 'auto' | 'cpu' | 'cuda';
  timeoutMs: number;
}

export type TrainerMetrics = Record<string, unknown>;

/** Runs `python -m tracelight_trainer <args>` and returns its last stdout line, parsed. */
export function runTrainer(o: TrainerOptions, args: string[], signal?: AbortSignal): Promise<TrainerMetrics> {
  const dir = trainerDir();
  return new Promise((resolve, reject) => {
    const child = spawn(o.python, ['-m', 'tracelight_trainer', ...args], {
      cwd: dir,
      env: { ...process.env, PYTHONPATH: dir, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
      timeout: o.timeoutMs,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString('utf8')).slice(-8000)));
    child.on('error', (e) => reject(new TracelightError('unavailable', `cannot run the reference trainer with ${o.python}: ${e.message}`)));
    child.on('close', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) {
        const why = err.trim().split('\n').at(-1) ?? `exit code ${code}`;
        return reject(new TracelightError('invalid', `reference trainer ${args[0]} failed: ${why}`));
      }
      try {
        resolve(JSON.parse(last) as TrainerMetrics);
      } catch {
        reject(new TracelightError('internal', `reference trainer ${args[0]} printed no JSON result (last line: ${last.slice(0, 200)})`));
      }
    });
  });
}

const flag = (name: string, v: number | string | undefined): string[] => (v === undefined ? [] : [`--${name}`, String(v)]);

export interface UpdateParams {
  lr?: number;
  epochs?: number;
  clip?: number;
  klBeta?: number;
  lora?: number;
}

export function initModel(o: TrainerOptions, out: string, seed = 0): Promise<TrainerMetrics> {
  return runTrainer(o, ['init', '--out', out, '--seed', String(seed)]);
}

/** One update: `train-grpo --batch FILE` or `train-sft --data FILE`, from `checkpoint` into `out`. */
function update(
  o: TrainerOptions,
  command: 'train-grpo' | 'train-sft',
  input: ['--batch' | '--data', string],
  checkpoint: string,
  out: string,
  p: UpdateParams,
): Promise<TrainerMetrics> {
  return runTrainer(o, [
    command,
    '--checkpoint',
    checkpoint,
    ...input,
    '--out',
    out,
    '--device',
    o.device,
    ...flag('lr', p.lr),
    ...flag('epochs', p.epochs),
    ...flag('clip', p.clip),
    ...flag('kl-beta', p.klBeta),
    ...flag('lora', p.lora),
  ]);
}

export function trainGrpo(o: TrainerOptions, checkpoint: string, batch: string, out: string, p: UpdateParams): Promise<TrainerMetrics> {
  return update(o, 'train-grpo', ['--batch', batch], checkpoint, out, p);
}

/** SFT takes no clip or KL. */
export function trainSft(o: TrainerOptions, checkpoint: string, data: string, out: string, p: UpdateParams): Promise<TrainerMetrics> {
  return update(o, 'train-sft', ['--data', data], checkpoint, out, { lr: p.lr, epochs: p.epochs, lora: p.lora });
}

/** Tells a running reference server to serve another checkpoint (a published version). */
export async function loadPolicy(serverUrl: string, checkpoint: string): Promise<void> {
  const res = await fetch(`${serverUrl.replace(/\/+$/, '').replace(/\/v1$/, '')}/admin/load`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ checkpoint }),
    signal: AbortSignal.timeout(120_000),
  });
  if (!res.ok)
    throw new TracelightError(
      'unavailable',
      `the policy server at ${serverUrl} did not load ${checkpoint}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`,
    );
}

/** Token ids for calls recorded without them, from the checkpoint's tokenizer (keyed as given). */
export async function tokenizeCalls(
  o: TrainerOptions,
  checkpoint: string,
  calls: { key: string; messages: unknown[]; response: string }[],
  dir: string,
): Promise<Map<string, { prompt: number[]; response: number[] }>> {
  const input = join(dir, `tokenize-${process.pid}-${Date.now()}.jsonl`);
  const output = `${input}.out`;
  writeFileSync(input, calls.map((c) => JSON.stringify(c)).join('\n') + '\n');
  await runTrainer(o, ['tokenize', '--checkpoint', checkpoint, '--calls', input, '--out', output]);
  const out = new Map<string, { prompt: number[]; response: number[] }>();
  for (const line of readFileSync(output, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { key: string; prompt_token_ids: number[]; response_token_ids: number[] };
    out.set(r.key, { prompt: r.prompt_token_ids, response: r.response_token_ids });
  }
  return out;
}
