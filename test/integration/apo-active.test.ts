// APO end to end with ACTIVE evaluation: a real tracelight server (chDB), the SIMULATED model, and the example
// agent as a separate worker process (the built dist/examples/arithmetic-agent/worker.js: openai SDK + stock
// OpenTelemetry + tracelight's runner) claiming the rollouts APO enqueues. Then OFFLINE REPLAY over the LLM
// calls that agent recorded (the variables recovered by matching the prompt template).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApoConfig, type ApoConfigInput } from '../../algorithms/apo/config.js';
import type { ApoResult } from '../../algorithms/apo/run.js';
import { runJob } from '../../algorithms/jobs/run-job.js';
import type { JobDefinition } from '../../algorithms/jobs/spec.js';
import { portsFor } from '../../cli/apo-ports.js';
import { generateTasks } from '../../examples/arithmetic-agent/tasks.js';
import { startSimulatedModel, type SimulatedModelServer } from '../../examples/simulated-model/index.js';
import { startServer, type RunningServer } from '../../server/server.js';
import { JobRunStore } from '../../store/job-runs.js';
import { ResourceStore } from '../../store/resources.js';

const WORKER = fileURLToPath(new URL('../../dist/examples/arithmetic-agent/worker.js', import.meta.url));
const GRADER = fileURLToPath(new URL('../../examples/arithmetic-agent/grader.ts', import.meta.url));
const WEAK = 'Solve this math problem: {{question}}';

let dir: string;
let server: RunningServer;
let sim: SimulatedModelServer;
let worker: ChildProcess;
let workerErr = '';
let resources: ResourceStore;
let runs: JobRunStore;

function job(name: string, raw: ApoConfigInput): JobDefinition {
  return { name, algorithm: 'apo', schedule: null, config: parseApoConfig(raw, name), baseDir: process.cwd(), raw };
}

const { train, validation } = generateTasks({ seed: 7, train: 24, validation: 24 });
const asExample = (t: (typeof train)[number]) => ({ id: t.id, vars: { question: t.question }, input: t, expected: t.answer });

beforeAll(async () => {
  if (!existsSync(WORKER)) throw new Error(`build first (npm run build): ${WORKER} is missing`);
  dir = mkdtempSync(join(tmpdir(), 'tl-apo-active-'));
  server = await startServer({ host: '127.0.0.1', port: 0, grpcPort: null, store: { dataDir: dir } });
  sim = await startSimulatedModel({ port: 0 });
  resources = new ResourceStore(server.store.driver);
  runs = new JobRunStore(server.store.driver);
  await resources.createVersion('arith', {
    kind: 'prompt_template',
    content: { template: WEAK },
    parent: null,
    metrics: {},
    labels: ['production'],
    author: 'test',
  });
  worker = spawn(process.execPath, [WORKER], {
    env: {
      ...process.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: server.httpUrl,
      OPENAI_BASE_URL: sim.url,
      OPENAI_API_KEY: 'unused',
      OPENAI_MODEL: 'sim-small',
      PROMPT_RESOURCE: 'arith',
      AGENT_CONCURRENCY: '8',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  worker.stderr?.setEncoding('utf8').on('data', (c: string) => (workerErr += c));
});

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
  }
  await server?.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('APO, active evaluation through the rollout queue', () => {
  it('raises the held-out validation reward of the real agent and records everything', async () => {
    const j = job('active-apo', {
      resource: 'arith',
      optimizer: { base_url: sim.url, model: 'sim-large', max_retries: 0 },
      evaluation: { mode: 'active', timeout_ms: 60_000, telemetry_wait_ms: 3000 },
      data: { train: { examples: train.map(asExample) }, validation: { examples: validation.map(asExample) } },
      search: { rounds: 2, minibatch: 6 },
      budget: { rollouts: 400 },
    });
    const events: { event: string }[] = [];
    const { run, result, error } = await runJob<ApoResult>(j, runs, portsFor(server), { trigger: 'manual', emit: (e) => events.push(e) });
    expect(error, `${error?.message}\nworker stderr:\n${workerErr}`).toBeNull();
    expect(run.status).toBe('succeeded');
    const r = result!;
    expect(r.best!).toBeGreaterThan(r.baseline!);
    expect(r.rollouts).toBeLessThanOrEqual(400);

    // Failures reached the optimizer with the agent's answers, read back from the rollouts' telemetry.
    const critique = events.find((e) => e.event === 'critique') as { critique: string } | undefined;
    expect(critique?.critique).toMatch(/extra text|buried|arithmetic/i);

    // Every candidate is a version (pinned before its rollouts ran), with its parent and the run as author.
    const history = await resources.history('arith');
    const mine = history.versions.filter((v) => v.author === run.run_id);
    expect(mine.length).toBe(r.written.length);
    expect(mine.length).toBeGreaterThan(0);
    for (const v of mine) expect(v.parent).not.toBeNull();
    expect(history.labels.candidate).toBe(r.bestVersion);
    expect(history.labels.production).toBe(1); // no --promote, no promotion rule

    // The rollouts ran with the candidate pinned: the queue recorded the version each used.
    const pinned = await server.store.driver.query<{ v: string; n: string }>(
      `SELECT JSONExtractString(resources, 'arith', 'version') AS v, count() AS n FROM (SELECT resources FROM rollouts ORDER BY version DESC LIMIT 1 BY rollout_id) GROUP BY v ORDER BY v`,
    );
    expect(pinned.map((p) => Number(p.v))).toContain(r.bestVersion);

    const stored = await runs.get(run.run_id);
    expect(stored).toMatchObject({ status: 'succeeded', job: 'active-apo', trigger: 'manual', error: '' });
    expect(stored!.metrics.best).toBeCloseTo(r.best!);
    expect(stored!.metrics.rollouts).toBe(r.rollouts);
    expect(await runs.watermark('active-apo')).toBe(stored!.window_end_ns);
  });

  it('replays the recorded calls offline (variables recovered from the template) and improves them too', async () => {
    // Every call's content (sent as log events, apart from its span) has arrived.
    const complete = async (): Promise<boolean> => {
      const [row] = await server.store.driver.query<{ calls: string; filled: string }>(
        `SELECT count() AS calls, countIf(input != '[]' OR (trace_id, span_id) IN (SELECT trace_id, span_id FROM llm_contents)) AS filled FROM llm_calls`,
      );
      return Number(row?.calls) > 0 && row?.calls === row?.filled;
    };
    for (const end = Date.now() + 15_000; !(await complete()) && Date.now() < end;) await new Promise((r) => setTimeout(r, 200));
    const j = job('replay-recorded', {
      resource: 'arith',
      start: 1,
      optimizer: { base_url: sim.url, model: 'sim-large', max_retries: 0 },
      evaluation: { mode: 'replay', model: { base_url: sim.url, model: 'sim-small' }, grader: { module: GRADER } },
      data: { train: { recorded: { agent: '^arithmetic-agent$' } }, validation: { holdout: 0.4 }, min_examples: 5, grace_seconds: 0 },
      search: { rounds: 2, minibatch: 6 },
      budget: { rollouts: 300 },
    });
    const { run, result, error } = await runJob<ApoResult>(j, runs, portsFor(server), { trigger: 'manual' });
    expect(error).toBeNull();
    expect(run.status).toBe('succeeded');
    // Only calls made with v1 (their spans name the version) count: the first run's baseline and its first minibatch.
    expect((result!.metrics.train_examples ?? 0) + (result!.metrics.validation_examples ?? 0)).toBeGreaterThanOrEqual(24);
    expect(result!.best!).toBeGreaterThan(result!.baseline!);
    const v = await resources.getVersion('arith', result!.bestVersion!);
    expect(v?.author).toBe(run.run_id);
    expect(v?.metrics['validation.reward']).toBeCloseTo(result!.best!);

    // A second run sees no new calls since this run's watermark: skipped, recorded, watermark kept.
    const again = await runJob<ApoResult>(j, runs, portsFor(server), { trigger: 'manual' });
    expect(again.run.status).toBe('skipped');
    expect(await runs.watermark('replay-recorded')).toBe(run.window_end_ns);
  });
});
