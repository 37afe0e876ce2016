// `tracelight train grpo|sft --example toy`: the whole RL loop on this machine, with nothing downloaded but
// PyTorch's CPU build. A tiny model created from scratch (the reference trainer) is served, tracelight's LLM
// proxy sits in front of it, toy agents run the rollouts through the proxy, the proxy's spans (with token ids)
// land in tracelight, and the job trains on them and publishes each new version, which the server then serves.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { RunEvent } from '../algorithms/algorithm.js';
import { runJob, type JobOutcome } from '../algorithms/jobs/run-job.js';
import type { JobDefinition } from '../algorithms/jobs/spec.js';
import { parseGrpoConfig, parseSftConfig } from '../algorithms/rl/config.js';
import { initModel, trainerDir } from '../algorithms/rl/trainer-bridge.js';
import { startToyWorkers } from '../examples/toy-rl/agent.js';
import { TOY_TASKS } from '../examples/toy-rl/task.js';
import { startLlmProxy } from '../instrumentation/proxy/index.js';
import { startServer } from '../server/server.js';
import { JobRunStore } from '../store/job-runs.js';
import { ResourceStore } from '../store/resources.js';
import { CliError } from './output.js';
import { portsFor } from './apo-ports.js';

const run = promisify(execFile);
const MODEL = 'toy-policy';

export interface ToyOptions {
  algorithm: 'grpo' | 'sft';
  iterations: number;
  rolloutsPerTask: number;
  /** Where the store, checkpoints and the trainer's venv go (default: a new temporary folder). */
  dir?: string;
  python?: string;
  seed: number;
  emit: (e: RunEvent) => void;
  say: (line: string) => void;
}

async function hasTorch(python: string): Promise<boolean> {
  try {
    await run(python, ['-c', 'import torch'], { timeout: 120_000 });
    return true;
  } catch {
    return false;
  }
}

/** A Python with the trainer's requirements: the one given, one that has torch, or a venv made once here. */
export async function trainerPython(given: string | undefined, venvDir: string, say: (l: string) => void): Promise<string> {
  if (given) {
    if (!(await hasTorch(given)))
      throw new CliError(`${given} cannot import torch: install the trainer's requirements (pip install -r ${join(trainerDir(), 'requirements.txt')})`);
    return given;
  }
  const venvPython = join(venvDir, 'bin', 'python');
  if (existsSync(venvPython) && (await hasTorch(venvPython))) return venvPython;
  if (await hasTorch('python3')) return 'python3';
  say(`installing the reference trainer's requirements (PyTorch, CPU build) into ${venvDir}, once`);
  await run('python3', ['-m', 'venv', venvDir], { timeout: 300_000 });
  await run(venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', join(trainerDir(), 'requirements.txt')], {
    timeout: 1_800_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return venvPython;
}

/** Starts the reference server over a checkpoint; resolves with its URL once it listens. */
function servePolicy(python: string, checkpoint: string): Promise<{ url: string; child: ChildProcess }> {
  const dir = trainerDir();
  const child = spawn(python, ['-m', 'tracelight_trainer', 'serve', '--checkpoint', checkpoint, '--port', '0', '--model-name', MODEL], {
    cwd: dir,
    env: { ...process.env, PYTHONPATH: dir, PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
  return new Promise((resolveUrl, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (l) => {
      try {
        const v = JSON.parse(l) as { url?: string };
        if (v.url) resolveUrl({ url: v.url.replace(/\/+$/, ''), child });
      } catch {
        // not the ready line
      }
    });
    child.on('exit', (code) => reject(new CliError(`the policy server exited (${code}): ${err.trim().split('\n').at(-1) ?? ''}`)));
  });
}

export async function runToyExample(o: ToyOptions): Promise<JobOutcome> {
  const dir = resolve(o.dir ?? mkdtempSync(join(tmpdir(), `tracelight-toy-${o.algorithm}-`)));
  mkdirSync(dir, { recursive: true });
  const python = await trainerPython(o.python, join(dir, 'trainer-venv'), o.say);
  const checkpoint = join(dir, 'checkpoints', 'init');
  await initModel({ python, device: 'auto', timeoutMs: 300_000 }, checkpoint, o.seed);
  const policy = await servePolicy(python, checkpoint);
  const server = await startServer({ host: '127.0.0.1', port: 0, grpcPort: null, store: { dataDir: join(dir, 'data'), batch: { flushIntervalMs: 20 } } });
  const proxy = await startLlmProxy({ upstream: `${policy.url}/v1`, port: 0, otlpEndpoint: server.httpUrl, exportIntervalMs: 200, serviceName: 'toy-agent' });
  const workers = startToyWorkers({ server: server.httpUrl, proxy: proxy.origin, model: MODEL, concurrency: 8 });
  o.say(
    `toy ${o.algorithm}: model from scratch at ${checkpoint}, served at ${policy.url}; LLM proxy ${proxy.origin}; tracelight ${server.httpUrl} (data in ${dir})`,
  );
  try {
    await new ResourceStore(server.store.driver).createVersion(MODEL, {
      kind: 'model',
      content: { type: 'checkpoint', uri: checkpoint, format: 'tracelight-trainer', served_model: MODEL, step: 0 },
      parent: null,
      metrics: {},
      labels: ['production'],
      author: 'toy example',
    });
    const ports = portsFor(server);
    const runs = new JobRunStore(server.store.driver);
    // The settings under which the reference trainer's selfcheck learns this task from scratch.
    const common = { model: MODEL, checkpoints: join(dir, 'checkpoints'), policy_server: policy.url, trainer: { python, device: 'auto', lr: 3e-3, epochs: 4 } };
    if (o.algorithm === 'grpo') {
      const config = parseGrpoConfig(
        { ...common, name: 'toy-grpo', tasks: TOY_TASKS, rollouts_per_task: o.rolloutsPerTask, iterations: o.iterations, data: { grace_seconds: 0 } },
        'toy example',
      );
      const job: JobDefinition = { name: 'toy-grpo', algorithm: 'grpo', schedule: null, config, baseDir: dir, raw: config };
      return await runJob(job, runs, ports, { trigger: 'manual', emit: o.emit });
    }
    // SFT toy: each iteration samples the current version, then fine-tunes it on the best quarter of each
    // task's answers (rejection-sampling fine-tuning), one recorded sft job run per iteration.
    const config = parseSftConfig(
      { ...common, trainer: { ...common.trainer, epochs: 8 }, name: 'toy-sft', select: { top_percent: 12.5 }, data: { grace_seconds: 0 } },
      'toy example',
    );
    const job: JobDefinition = { name: 'toy-sft', algorithm: 'sft', schedule: null, config, baseDir: dir, raw: config };
    let last: JobOutcome | null = null;
    for (let it = 1; it <= o.iterations; it++) {
      const t0 = performance.now();
      const ids = await ports.queue!.enqueue(
        TOY_TASKS.flatMap((t) => Array.from({ length: o.rolloutsPerTask }, () => ({ input: t, mode: 'train' as const, resources: {} }))),
      );
      let done = 0;
      while (done < ids.length) done = (await ports.queue!.wait(ids, 60_000)).length;
      await server.store.writer.drain();
      const results = await ports.data!.rolloutResults(ids);
      const rewards = [...results.values()].map((r) => r.reward).filter((r): r is number => r !== null);
      const mean = rewards.length ? rewards.reduce((a, b) => a + b, 0) / rewards.length : null;
      await new Promise((r) => setTimeout(r, 400)); // the proxy's last spans
      const rolloutSeconds = Math.round((performance.now() - t0) / 100) / 10;
      const t1 = performance.now();
      last = await runJob(job, runs, ports, { trigger: 'manual', emit: (e) => (e.event === 'run_finished' ? undefined : o.emit(e)) });
      o.emit({
        event: 'iteration',
        iteration: it,
        iterations: o.iterations,
        mean_reward: mean,
        rollouts: ids.length,
        samples: last.run.metrics.examples ?? 0,
        version: last.result?.bestVersion ?? null,
        seconds: {
          rollouts: rolloutSeconds,
          batch: 0,
          training: last.run.metrics['train.seconds'] ?? 0,
          // The rest of the job: selecting the examples, publishing the version, the server's reload.
          publishing: Math.max(0, Math.round(((performance.now() - t1) / 1000 - (last.run.metrics['train.seconds'] ?? 0)) * 10) / 10),
        },
      });
      if (last.run.status === 'failed') break;
    }
    const end = last as JobOutcome;
    o.emit({ event: 'run_finished', run_id: end.run.run_id, status: end.run.status, ...(end.run.error ? { error: end.run.error } : {}) });
    return end;
  } finally {
    await workers.stop().catch(() => undefined);
    await proxy.close().catch(() => undefined);
    await server.close().catch(() => undefined);
    policy.child.kill();
  }
}
