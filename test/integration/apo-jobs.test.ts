// Training jobs over a real store (chDB) with OFFLINE REPLAY against the SIMULATED model: a successful run with
// a promotion rule; an optimizer endpoint that fails or answers garbage (the run is recorded as failed and the
// resources are untouched); the cron scheduler (runs on time, records its run, advances the watermark only on
// success, never overlaps a job with itself).
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApoConfig, type ApoConfigInput } from '../../algorithms/apo/config.js';
import type { ApoResult } from '../../algorithms/apo/run.js';
import { runJob, type JobPorts } from '../../algorithms/jobs/run-job.js';
import { Scheduler } from '../../algorithms/jobs/scheduler.js';
import type { JobDefinition } from '../../algorithms/jobs/spec.js';
import { apoPorts } from '../../cli/apo-ports.js';
import { LocalClient } from '../../client/index.js';
import { generateTasks } from '../../examples/arithmetic-agent/tasks.js';
import { startSimulatedModel, type SimulatedModelServer } from '../../examples/simulated-model/index.js';
import { JobRunStore } from '../../store/job-runs.js';
import { ResourceStore } from '../../store/resources.js';
import { Store } from '../../store/store.js';

let dir: string;
let store: Store;
let sim: SimulatedModelServer;
let fake: Server;
let fakeUrl: string;
let mode: 'proxy' | 'error' | 'garbage' | 'html' | 'slow' = 'proxy';
let resources: ResourceStore;
let runs: JobRunStore;
let ports: JobPorts;

/** An OpenAI-compatible optimizer endpoint that forwards to the simulated model, or misbehaves on demand. */
function startFakeOptimizer(): Promise<void> {
  fake = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const reply = (status: number, type: string, text: string): void => {
        res.writeHead(status, { 'content-type': type });
        res.end(text);
      };
      if (mode === 'error') return reply(500, 'application/json', JSON.stringify({ error: { message: 'the optimizer model is down', type: 'server_error' } }));
      if (mode === 'html') return reply(200, 'text/html', '<html><body>502 Bad Gateway</body></html>');
      if (mode === 'garbage') {
        return reply(
          200,
          'application/json',
          JSON.stringify({
            id: 'x',
            object: 'chat.completion',
            created: 0,
            model: 'm',
            choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'lorem ipsum dolor sit amet' } }],
          }),
        );
      }
      const forward = (): void => {
        fetch(`${sim.url.replace(/\/v1$/, '')}${req.url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
          .then(async (r) => reply(r.status, 'application/json', await r.text()))
          .catch((err: Error) => reply(502, 'text/plain', err.message));
      };
      if (mode === 'slow') setTimeout(forward, 1500);
      else forward();
    });
  });
  return new Promise((resolve) =>
    fake.listen(0, '127.0.0.1', () => {
      const a = fake.address();
      fakeUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/v1`;
      resolve();
    }),
  );
}

const tasks = generateTasks({ seed: 7, train: 16, validation: 16 });

function config(extra: Partial<ApoConfigInput> = {}): ApoConfigInput {
  return {
    resource: 'solver',
    optimizer: { base_url: fakeUrl, model: 'sim-large', max_retries: 0, timeout_ms: 10_000 },
    evaluation: { mode: 'replay', model: { base_url: sim.url, model: 'sim-small' }, grader: { builtin: 'last-number' } },
    data: { train: { file: join(dir, 'train.jsonl') }, validation: { file: join(dir, 'validation.jsonl') } },
    search: { rounds: 1, minibatch: 6 },
    budget: { rollouts: 200 },
    ...extra,
  };
}

function job(name: string, raw: ApoConfigInput, schedule: string | null = null): JobDefinition {
  return { name, algorithm: 'apo', schedule, config: parseApoConfig(raw, name), baseDir: dir, raw };
}

async function snapshot(): Promise<{ versions: number; labels: Record<string, number> }> {
  const h = await resources.history('solver');
  return { versions: h.versions.length, labels: h.labels };
}

const until = async (cond: () => Promise<boolean>, ms: number): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-apo-jobs-'));
  store = await Store.open({ dataDir: join(dir, 'store') });
  sim = await startSimulatedModel({ port: 0 });
  await startFakeOptimizer();
  const line = (t: { id: string; question: string; answer: number }): string =>
    JSON.stringify({ id: t.id, vars: { question: t.question }, expected: t.answer });
  writeFileSync(join(dir, 'train.jsonl'), tasks.train.map(line).join('\n'));
  writeFileSync(join(dir, 'validation.jsonl'), tasks.validation.map(line).join('\n'));
  resources = new ResourceStore(store.driver);
  runs = new JobRunStore(store.driver);
  const local = apoPorts(new LocalClient(store));
  ports = { resources: local.resources, data: local.data };
  await resources.createVersion('solver', {
    kind: 'prompt_template',
    content: { template: 'Solve this math problem: {{question}}' },
    parent: null,
    metrics: {},
    labels: ['production'],
    author: 'test',
  });
});

afterAll(async () => {
  await store?.close();
  await sim?.close();
  await new Promise((r) => (fake ? fake.close(r) : r(undefined)));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a training job', () => {
  it('succeeds: candidates written with parents and metrics, the winner labelled, production moved by the promotion rule', async () => {
    mode = 'proxy';
    const { run, result } = await runJob<ApoResult>(job('promote', config({ promote: { min_improvement: 0.2 } })), runs, ports, { trigger: 'manual' });
    expect(run.status).toBe('succeeded');
    const r = result!;
    expect(r.best!).toBeGreaterThan(r.baseline!);
    const h = await resources.history('solver');
    const written = h.versions.filter((v) => v.author === run.run_id);
    expect(written.map((v) => v.version).sort()).toEqual(r.written.map((w) => w.version).sort());
    for (const v of written) {
      expect(v.parent).toBe(1);
      expect(v.metrics['apo.round']).toBe(1);
      expect(v.metrics['train.n']).toBeGreaterThan(0);
    }
    expect(written.find((v) => v.version === r.bestVersion)?.metrics['validation.reward']).toBeCloseTo(r.best!);
    expect(h.labels.candidate).toBe(r.bestVersion);
    expect(h.labels.production).toBe(r.bestVersion);
    expect(r.promoted).toBe(true);
    const stored = await runs.get(run.run_id);
    expect(stored).toMatchObject({
      status: 'succeeded',
      error: '',
      resources: { resource: 'solver', labels: { candidate: r.bestVersion, production: r.bestVersion } },
    });
    // Put production back for the tests below.
    await resources.moveLabel('solver', 'production', 1);
  });

  for (const [m, why] of [
    ['error', /optimizer endpoint failed \(critique\).*(500|down)/],
    ['garbage', /rewrite holds no prompt/],
    ['html', /optimizer/],
  ] as const) {
    it(`fails cleanly when the optimizer endpoint ${m === 'error' ? 'fails' : `answers ${m}`}: run recorded as failed, resources untouched`, async () => {
      mode = m;
      const before = await snapshot();
      const watermark = await runs.watermark(`broken-${m}`);
      const { run, error } = await runJob(job(`broken-${m}`, config()), runs, ports, { trigger: 'manual' });
      mode = 'proxy';
      expect(run.status).toBe('failed');
      expect(error?.message).toMatch(why);
      const stored = await runs.get(run.run_id);
      expect(stored?.status).toBe('failed');
      expect(stored?.error).toMatch(why);
      expect(stored?.ended_at).not.toBeNull();
      expect(await snapshot()).toEqual(before);
      expect(await runs.watermark(`broken-${m}`)).toBe(watermark);
    });
  }
});

describe('the scheduler', () => {
  it('runs a job on time, records the run, advances the watermark on success only', async () => {
    mode = 'proxy';
    const finished: string[] = [];
    const j = job('every-second', config(), '* * * * * *');
    const scheduler = new Scheduler([j], runs, ports, { onFinish: (_job, o) => finished.push(o.run.status) });
    const t0 = Date.now();
    scheduler.start();
    expect(scheduler.nextRuns()[0]?.next?.getTime()).toBeLessThanOrEqual(t0 + 1000);
    try {
      await until(async () => finished.length >= 1, 8000);
      const first = (await runs.list({ job: 'every-second' })).find((r) => r.status === 'succeeded')!;
      expect(first).toMatchObject({ trigger: 'schedule', status: 'succeeded', window_start_ns: '0' });
      expect(first.started_at).toBeLessThan(t0 + 2500);
      expect(await runs.watermark('every-second')).toBe(first.window_end_ns);

      // Break the optimizer: the next run fails, is recorded, and leaves the watermark where it was.
      mode = 'error';
      await until(async () => (await runs.list({ job: 'every-second' })).some((r) => r.status === 'failed'), 8000);
      const failed = (await runs.list({ job: 'every-second' })).find((r) => r.status === 'failed')!;
      expect(failed.error).toMatch(/optimizer endpoint failed/);
      expect(BigInt(failed.window_start_ns)).toBeGreaterThanOrEqual(BigInt(first.window_end_ns));
      const succeeded = (await runs.list({ job: 'every-second' })).filter((r) => r.status === 'succeeded');
      const latestSuccess = succeeded.reduce((a, b) => (BigInt(a.window_end_ns) > BigInt(b.window_end_ns) ? a : b));
      expect(await runs.watermark('every-second')).toBe(latestSuccess.window_end_ns);
    } finally {
      await scheduler.stop();
      mode = 'proxy';
    }
    const settled = await runs.list({ job: 'every-second' });
    expect(settled.every((r) => r.status !== 'running')).toBe(true);
  });

  it('never overlaps a job with itself', async () => {
    mode = 'slow';
    const overlaps: string[] = [];
    const j = job('slow-job', config(), '* * * * * *');
    const scheduler = new Scheduler([j], runs, ports, { onOverlap: (x) => overlaps.push(x.name) });
    scheduler.start();
    try {
      await until(async () => overlaps.length >= 2 && (await runs.list({ job: 'slow-job' })).some((r) => r.status !== 'running'), 15_000);
    } finally {
      await scheduler.stop();
      mode = 'proxy';
    }
    const all = (await runs.list({ job: 'slow-job' })).sort((a, b) => a.started_at - b.started_at);
    expect(all.length).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < all.length; i++) expect(all[i]!.started_at).toBeGreaterThanOrEqual(all[i - 1]!.ended_at!);
  });
});
