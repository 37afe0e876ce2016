// The rollout queue end to end: an in-process server (fastify + embedded chDB), real HTTP, workers as
// plain fetch loops. Short timeouts in the rollouts' configs and a 100 ms deadline sweep keep it quick.
// The last test restarts the server on the same data directory.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/server.js';
import type { ClaimedRollout, RolloutView } from '../../schemas/rollouts.js';
import { CLI_PATH, cliBuilt, REPO_ROOT } from '../support/cli-process.js';
import { encodeJsonRequest, randomTraceId } from '../support/otlp-payloads.js';

const SWEEP_MS = 100;

let dir: string;
let dataDir: string;
let server: RunningServer;

async function start(): Promise<RunningServer> {
  return startServer({ host: '127.0.0.1', port: 0, grpcPort: null, store: { dataDir }, queue: { sweepIntervalMs: SWEEP_MS } });
}

interface Res<T = any> {
  status: number;
  body: T;
}

async function api<T = any>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Res<T>> {
  const res = await fetch(`${server.httpUrl}${path}`, {
    method,
    headers: body !== undefined ? { 'content-type': 'application/json' } : {},
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as T) : (undefined as T) };
}

const enqueue = (body: unknown) => api<{ rollout_id: string; status: string }[]>('POST', '/api/v1/rollouts', body);
const claim = (worker_id: string, wait_ms?: number) =>
  api<ClaimedRollout>('POST', '/api/v1/rollouts/claim', { worker_id, ...(wait_ms !== undefined ? { wait_ms } : {}) });
const heartbeat = (r: string, a: string) => api('POST', `/api/v1/rollouts/${r}/attempts/${a}/heartbeat`, {});
const complete = (r: string, a: string, body: unknown) => api('POST', `/api/v1/rollouts/${r}/attempts/${a}/complete`, body);
const get = (r: string) => api<RolloutView>('GET', `/api/v1/rollouts/${r}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function statusIs(id: string, status: string): Promise<RolloutView> {
  return until(`rollout ${id} to be ${status}`, async () => {
    const r = await get(id);
    return r.body.status === status ? r.body : undefined;
  });
}

/** Claims until the queue answers 204: what a test leaves queued would be claimed by the next one. */
async function expectEmptyQueue(): Promise<void> {
  expect((await claim('drain')).status).toBe(204);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-queue-'));
  dataDir = join(dir, 'data');
  server = await start();
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('rollout queue', () => {
  it('walks a rollout through queuing → preparing → running → succeeded and records the reward', async () => {
    const created = await enqueue({ input: { question: 'what is 6 * 7?' }, mode: 'train', metadata: { dataset: 'arith', row: 3 } });
    expect(created.status).toBe(201);
    expect(created.body).toHaveLength(1);
    const id = created.body[0]!.rollout_id;
    expect(created.body[0]!.status).toBe('queuing');

    let r = (await get(id)).body;
    expect(r).toMatchObject({
      rollout_id: id,
      status: 'queuing',
      input: { question: 'what is 6 * 7?' },
      mode: 'train',
      resources: {},
      metadata: { dataset: 'arith', row: 3 },
      attempts: [],
      attempt_count: 0,
    });
    expect(r.config).toEqual({ timeout_seconds: 600, unresponsive_seconds: 120, max_attempts: 1, retry_on: ['timeout', 'unresponsive'] });
    expect(r.timings.started_at).toBeNull();

    const c = await claim('worker-a');
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ rollout_id: id, input: { question: 'what is 6 * 7?' }, mode: 'train', resources: {}, sequence: 1 });
    const attempt = c.body.attempt_id;
    r = (await get(id)).body;
    expect(r.status).toBe('preparing');
    expect(r.attempts).toMatchObject([
      { attempt_id: attempt, sequence: 1, worker_id: 'worker-a', status: 'preparing', ended_at: null, last_heartbeat_at: null },
    ]);
    expect(r.timings.started_at).not.toBeNull();

    const hb = await heartbeat(id, attempt);
    expect(hb.status).toBe(200);
    expect(hb.body).toEqual({ rollout_id: id, attempt_id: attempt, attempt_status: 'running', status: 'running' });
    r = (await get(id)).body;
    expect(r.status).toBe('running');
    expect(r.attempts[0]!.last_heartbeat_at).not.toBeNull();

    const done = await complete(id, attempt, { status: 'succeeded', reward: 0.75 });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ rollout_id: id, attempt_id: attempt, attempt_status: 'succeeded', status: 'succeeded' });
    r = (await get(id)).body;
    expect(r.status).toBe('succeeded');
    expect(r.attempts[0]).toMatchObject({ status: 'succeeded', error: null });
    expect(r.timings.ended_at).not.toBeNull();
    expect(r.timings.run_seconds).toBeGreaterThanOrEqual(0);

    // The reward is a reward like any other: in `rewards`, primary, with the rollout and attempt ids.
    const rewards = await server.store.driver.query<Record<string, unknown>>(
      'SELECT rollout_id, attempt_id, name, value, source, is_primary FROM rewards WHERE rollout_id = {r:String}',
      { r: id },
    );
    expect(rewards).toEqual([{ rollout_id: id, attempt_id: attempt, name: 'reward', value: 0.75, source: 'rollout-complete', is_primary: true }]);
    // Every change was persisted: the store's newest row is the state.
    const rows = await server.store.driver.query<{ status: string }>('SELECT status FROM rollouts WHERE rollout_id = {r:String} ORDER BY version', { r: id });
    expect(rows.map((x) => x.status)).toEqual(['queuing', 'preparing', 'running', 'succeeded']);
    // Attempt rows (an index for SQL over attempts) are written alongside, not waited for.
    await until('the attempt rows', async () => {
      const attempts = await server.store.driver.query<{ status: string }>(
        'SELECT status FROM rollout_attempts WHERE attempt_id = {a:String} ORDER BY version',
        { a: attempt },
      );
      return attempts.map((x) => x.status).join() === 'preparing,running,succeeded';
    });
    await expectEmptyQueue();
  });

  it('fails a rollout whose attempt fails, or requeues it as a new attempt when retry_on says so', async () => {
    const [plain, retried] = (await enqueue([{ input: 'a' }, { input: 'b', config: { max_attempts: 2, retry_on: ['failed'] } }])).body.map(
      (x) => x.rollout_id,
    ) as [string, string];
    const c1 = (await claim('w1')).body;
    expect(c1.rollout_id).toBe(plain);
    const f = await complete(plain, c1.attempt_id, { status: 'failed', error: 'tool crashed' });
    expect(f.body).toMatchObject({ attempt_status: 'failed', status: 'failed' });
    expect((await get(plain)).body.attempts[0]).toMatchObject({ status: 'failed', error: 'tool crashed' });

    const c2 = (await claim('w1')).body;
    expect(c2.rollout_id).toBe(retried);
    const f2 = await complete(retried, c2.attempt_id, { status: 'failed', error: 'flaky' });
    expect(f2.body).toMatchObject({ attempt_status: 'failed', status: 'requeuing' });
    expect((await get(retried)).body.status).toBe('requeuing');
    const c3 = (await claim('w2')).body;
    expect(c3).toMatchObject({ rollout_id: retried, sequence: 2, input: 'b' });
    expect(c3.attempt_id).not.toBe(c2.attempt_id);
    expect((await get(retried)).body).toMatchObject({ status: 'preparing', attempt_count: 2 });
    expect((await complete(retried, c3.attempt_id, { status: 'succeeded' })).body.status).toBe('succeeded');
    const r = (await get(retried)).body;
    expect(r.attempts.map((a) => [a.sequence, a.worker_id, a.status])).toEqual([
      [1, 'w1', 'failed'],
      [2, 'w2', 'succeeded'],
    ]);
    // A failed attempt that cannot be retried any more fails the rollout (max_attempts exhausted).
    const [last] = (await enqueue({ input: 'c', config: { max_attempts: 2, retry_on: ['failed'] } })).body;
    for (const expected of ['requeuing', 'failed']) {
      const c = (await claim('w3')).body;
      expect((await complete(last!.rollout_id, c.attempt_id, { status: 'failed' })).body.status).toBe(expected);
    }
    await expectEmptyQueue();
  });

  it('pins named resources to a version at enqueue and hands their content to the worker', async () => {
    const v1 = await api('POST', '/api/v1/resources/solver-prompt/versions', { kind: 'json', content: { system: 'be brief' }, labels: ['production'] });
    expect(v1.status).toBe(201);
    const [r] = (await enqueue({ input: 1, resources: { 'solver-prompt': 'production' } })).body;
    expect((await get(r!.rollout_id)).body.resources).toEqual({ 'solver-prompt': { ref: 'production', version: 1 } });
    // The label moves before the claim: the rollout keeps the version it was enqueued with.
    expect(
      (await api('POST', '/api/v1/resources/solver-prompt/versions', { kind: 'json', content: { system: 'think step by step' }, labels: ['production'] }))
        .status,
    ).toBe(201);
    const c = (await claim('w')).body;
    expect(c.resources).toEqual({ 'solver-prompt': { version: 1, kind: 'json', content: { system: 'be brief' } } });
    await complete(c.rollout_id, c.attempt_id, { status: 'succeeded' });
    const [r2] = (await enqueue({ input: 2, resources: { 'solver-prompt': 2 } })).body;
    expect((await claim('w')).body.resources['solver-prompt']).toMatchObject({ version: 2, content: { system: 'think step by step' } });
    await api('POST', `/api/v1/rollouts/${r2!.rollout_id}/cancel`);

    const bad = await api('POST', '/api/v1/rollouts', [{ input: 1 }, { input: 2, resources: { 'solver-prompt': 'canary' } }]);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/\[1\]\.resources\.solver-prompt: .*no label "canary"/);
    const missing = await api('POST', '/api/v1/rollouts', { input: 1, resources: { nothing: 1 } });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/resources\.nothing: no resource "nothing"/);
    await expectEmptyQueue();
  });

  it('long-polls: a claim waiting when an enqueue arrives gets the rollout; an empty wait answers 204', async () => {
    let t0 = Date.now();
    const empty = await claim('poller', 300);
    expect(empty.status).toBe(204);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);

    t0 = Date.now();
    const waiting = [claim('poller-1', 10_000), claim('poller-2', 10_000)];
    await sleep(300);
    const ids = (await enqueue([{ input: 'x' }, { input: 'y' }])).body.map((x) => x.rollout_id);
    const got = await Promise.all(waiting);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(got.map((g) => g.status)).toEqual([200, 200]);
    // The claim that waited longest gets the first rollout.
    expect(got.map((g) => g.body.rollout_id)).toEqual(ids);
    expect(got.map((g) => g.body.input)).toEqual(['x', 'y']);
    for (const g of got) await complete(g.body.rollout_id, g.body.attempt_id, { status: 'succeeded' });
    await expectEmptyQueue();
  });

  it('a worker that stops heart-beating is unresponsive; the rollout is retried as a new attempt and completes', async () => {
    const [r] = (await enqueue({ input: 'u', config: { unresponsive_seconds: 0.5, max_attempts: 2 } })).body;
    const id = r!.rollout_id;
    const first = (await claim('dies')).body;
    expect((await heartbeat(id, first.attempt_id)).status).toBe(200);
    const t0 = Date.now();
    const requeued = await statusIs(id, 'requeuing');
    // Detected within the sweep interval of the deadline.
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(requeued.attempts).toMatchObject([
      { attempt_id: first.attempt_id, status: 'unresponsive', error: expect.stringMatching(/unresponsive_seconds=0.5/) },
    ]);

    const second = (await claim('lives')).body;
    expect(second).toMatchObject({ rollout_id: id, sequence: 2 });
    // The first worker wakes up: its attempt is over, clearly.
    const late = await complete(id, first.attempt_id, { status: 'succeeded' });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatch(new RegExp(`attempt ${first.attempt_id} of rollout ${id} is already unresponsive.*attempt ${second.attempt_id}`));
    expect((await heartbeat(id, first.attempt_id)).status).toBe(409);
    // The second worker heart-beats past the first one's deadline and completes.
    for (let i = 0; i < 6; i++) {
      expect((await heartbeat(id, second.attempt_id)).status).toBe(200);
      await sleep(150);
    }
    expect((await complete(id, second.attempt_id, { status: 'succeeded', reward: 1 })).body.status).toBe('succeeded');
    expect((await get(id)).body.attempts.map((a) => a.status)).toEqual(['unresponsive', 'succeeded']);
    await expectEmptyQueue();
  });

  it('times out an attempt that runs too long even while it heart-beats; max_attempts exhausted → failed', async () => {
    const [r] = (await enqueue({ input: 't', config: { timeout_seconds: 0.6, unresponsive_seconds: null, max_attempts: 1 } })).body;
    const id = r!.rollout_id;
    const c = (await claim('slow')).body;
    let beats = 0;
    while ((await heartbeat(id, c.attempt_id)).status === 200) {
      beats++;
      await sleep(100);
      if (beats > 100) throw new Error('never timed out');
    }
    const failed = await statusIs(id, 'failed');
    expect(failed.attempts).toMatchObject([{ status: 'timeout', error: expect.stringMatching(/timeout_seconds=0.6/) }]);

    // Two attempts allowed, both unresponsive: requeued once, then failed.
    const [r2] = (await enqueue({ input: 't2', config: { unresponsive_seconds: 0.3, max_attempts: 2 } })).body;
    const id2 = r2!.rollout_id;
    expect((await claim('ghost-1')).body.rollout_id).toBe(id2);
    await statusIs(id2, 'requeuing');
    expect((await claim('ghost-2')).body).toMatchObject({ rollout_id: id2, sequence: 2 });
    const done = await statusIs(id2, 'failed');
    expect(done.attempts.map((a) => [a.worker_id, a.status])).toEqual([
      ['ghost-1', 'unresponsive'],
      ['ghost-2', 'unresponsive'],
    ]);
    await expectEmptyQueue();
  });

  it('cancels queued and running rollouts; a cancelled rollout is never claimed and its worker is told', async () => {
    const [queued, running] = (await enqueue([{ input: 'q' }, { input: 'r' }])).body.map((x) => x.rollout_id) as [string, string];
    const cq = await api<RolloutView>('POST', `/api/v1/rollouts/${queued}/cancel`);
    expect(cq.status).toBe(200);
    expect(cq.body).toMatchObject({ status: 'cancelled', attempts: [] });
    const c = (await claim('w')).body;
    expect(c.rollout_id).toBe(running); // the cancelled one is skipped
    await heartbeat(running, c.attempt_id);
    const cr = await api<RolloutView>('POST', `/api/v1/rollouts/${running}/cancel`);
    expect(cr.body).toMatchObject({ status: 'cancelled', attempts: [{ status: 'failed', error: 'cancelled' }] });
    const hb = await heartbeat(running, c.attempt_id);
    expect(hb.status).toBe(409);
    expect(hb.body.error).toMatch(/was cancelled/);
    expect((await complete(running, c.attempt_id, { status: 'succeeded' })).status).toBe(409);
    const again = await api('POST', `/api/v1/rollouts/${running}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/already cancelled/);
    expect((await api('POST', '/api/v1/rollouts/ro-nope/cancel')).status).toBe(404);
    await expectEmptyQueue();
  });

  it('waits for rollouts to finish, or answers their states when the time is up', async () => {
    const ids = (await enqueue([{ input: 1 }, { input: 2 }, { input: 3 }])).body.map((x) => x.rollout_id);
    const t0 = Date.now();
    const early = await api('POST', '/api/v1/rollouts/wait', { rollout_ids: ids, timeout_ms: 200 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(180);
    expect(early.body.all_final).toBe(false);
    expect(early.body.rollouts.map((r: RolloutView) => r.status)).toEqual(['queuing', 'queuing', 'queuing']);

    const waiting = api('POST', '/api/v1/rollouts/wait', { rollout_ids: ids, timeout_ms: 20_000 });
    for (let i = 0; i < 3; i++) {
      const c = (await claim('w')).body;
      await complete(c.rollout_id, c.attempt_id, { status: i === 1 ? 'failed' : 'succeeded' });
    }
    const done = await waiting;
    expect(done.status).toBe(200);
    expect(done.body.all_final).toBe(true);
    expect(done.body.rollouts.map((r: RolloutView) => [r.rollout_id, r.status])).toEqual([
      [ids[0], 'succeeded'],
      [ids[1], 'failed'],
      [ids[2], 'succeeded'],
    ]);
    // Already final: answered at once.
    const t1 = Date.now();
    expect((await api('POST', '/api/v1/rollouts/wait', { rollout_ids: ids, timeout_ms: 20_000 })).body.all_final).toBe(true);
    expect(Date.now() - t1).toBeLessThan(2_000);
    const unknown = await api('POST', '/api/v1/rollouts/wait', { rollout_ids: [ids[0], 'ro-missing'] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/no rollout ro-missing/);

    const list = await api<{ rollouts: RolloutView[] }>('GET', '/api/v1/rollouts?status=failed,succeeded&limit=3');
    expect(list.status).toBe(200);
    expect(list.body.rollouts.map((r) => r.rollout_id).sort()).toEqual([...ids].sort());
    expect((await api<{ rollouts: RolloutView[] }>('GET', '/api/v1/rollouts?status=failed&limit=1000')).body.rollouts.every((r) => r.status === 'failed')).toBe(
      true,
    );
    expect((await api<{ rollouts: RolloutView[] }>('GET', '/api/v1/rollouts?mode=train')).body.rollouts.every((r) => r.mode === 'train')).toBe(true);
  });

  it('answers bad requests with a clear 4xx naming the field', async () => {
    const cases: [string, Res, number, RegExp][] = [
      ['no input', await enqueue({ mode: 'train' }), 400, /^invalid rollout: input: is required/],
      ['bad mode in an array', await enqueue([{ input: 1 }, { input: 2, mode: 'prod' }]), 400, /^invalid rollouts: \[1\]\.mode: /],
      ['unknown field', await enqueue({ input: 1, priority: 3 }), 400, /priority/],
      ['bad config', await enqueue({ input: 1, config: { max_attempts: 0 } }), 400, /config\.max_attempts: must be 1 or more/],
      ['bad retry_on', await enqueue({ input: 1, config: { retry_on: ['succeeded'] } }), 400, /config\.retry_on\.0/],
      ['empty array', await enqueue([]), 400, /array of 1 to/],
      ['not JSON', await enqueue('{"input": '), 400, /not valid JSON/],
      ['claim without worker', await api('POST', '/api/v1/rollouts/claim', {}), 400, /^invalid claim: worker_id: /],
      ['claim wait too long', await claim('w', 3_600_000), 400, /wait_ms: must be at most 60000/],
      ['unknown rollout', await get('ro-unknown'), 404, /no rollout ro-unknown/],
      ['heartbeat unknown rollout', await heartbeat('ro-unknown', 'at-x'), 404, /no rollout ro-unknown/],
      ['wait without ids', await api('POST', '/api/v1/rollouts/wait', { rollout_ids: [] }), 400, /rollout_ids: must name at least one rollout/],
      ['bad list status', await api('GET', '/api/v1/rollouts?status=done'), 400, /query\.status\.0/],
      ['bad list limit', await api('GET', '/api/v1/rollouts?limit=0'), 400, /query\.limit/],
    ];
    const [r] = (await enqueue({ input: 'bad' })).body;
    const c = (await claim('w')).body;
    cases.push(
      ['unknown attempt', await heartbeat(r!.rollout_id, 'at-unknown'), 404, new RegExp(`rollout ${r!.rollout_id} has no attempt at-unknown`)],
      ['bad completion status', await complete(r!.rollout_id, c.attempt_id, { status: 'done' }), 400, /^invalid completion: status: /],
      ['bad reward', await complete(r!.rollout_id, c.attempt_id, { status: 'succeeded', reward: 'high' }), 400, /reward/],
      ['heartbeat with fields', await api('POST', `/api/v1/rollouts/${r!.rollout_id}/attempts/${c.attempt_id}/heartbeat`, { status: 'x' }), 400, /heartbeat/],
    );
    expect((await complete(r!.rollout_id, c.attempt_id, { status: 'succeeded' })).status).toBe(200);
    cases.push(['complete twice', await complete(r!.rollout_id, c.attempt_id, { status: 'succeeded' }), 409, /is already succeeded and cannot be completed/]);
    for (const [what, res, status, message] of cases) {
      expect([what, res.status], what).toEqual([what, status]);
      expect(res.body.error, what).toMatch(message);
    }
    await expectEmptyQueue();
  });

  it('counts a span carrying the attempt id as a heartbeat', async () => {
    const [r] = (await enqueue({ input: 's', config: { unresponsive_seconds: 0.8 } })).body;
    const id = r!.rollout_id;
    const c = (await claim('otel-agent')).body;
    const traceId = randomTraceId();
    const sendSpan = async (attrs: Record<string, string>): Promise<void> => {
      const now = BigInt(Date.now()) * 1_000_000n;
      const res = await fetch(`${server.httpUrl}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: encodeJsonRequest([{ traceId, name: 'tool call', startTimeUnixNano: now, endTimeUnixNano: now + 1000n, attributes: attrs }]),
      });
      expect(res.status).toBe(200);
    };
    await sendSpan({ 'tracelight.rollout.id': id, 'tracelight.attempt.id': c.attempt_id });
    const running = await statusIs(id, 'running');
    expect(running.attempts[0]!.last_heartbeat_at).not.toBeNull();
    // Spans keep it alive well past unresponsive_seconds (Agent Lightning's key counts too).
    for (let i = 0; i < 8; i++) {
      await sleep(200);
      await sendSpan(i % 2 ? { 'agentlightning.attempt_id': c.attempt_id } : { 'tracelight.attempt.id': c.attempt_id });
    }
    expect((await get(id)).body.status).toBe('running');
    expect((await complete(id, c.attempt_id, { status: 'succeeded' })).body.status).toBe('succeeded');
    await expectEmptyQueue();
  });

  it('8 concurrent workers × 500 rollouts: each completes exactly once, no attempt is held by two workers', async () => {
    const N = 500;
    const ids = (await enqueue(Array.from({ length: N }, (_, i) => ({ input: { i } })))).body.map((x) => x.rollout_id);
    expect(new Set(ids).size).toBe(N);
    const mine = new Set(ids);
    const claimsByRollout = new Map<string, string[]>();
    const attemptOwners = new Map<string, string>();
    let completed = 0;
    const conflicts: string[] = [];
    const worker = async (name: string): Promise<void> => {
      for (;;) {
        const c = await claim(name, 200);
        if (c.status === 204) {
          if (completed >= N) return;
          continue;
        }
        expect(c.status).toBe(200);
        const { rollout_id, attempt_id, input } = c.body;
        expect(mine.has(rollout_id)).toBe(true);
        expect(attemptOwners.has(attempt_id), `attempt ${attempt_id} handed out twice`).toBe(false);
        attemptOwners.set(attempt_id, name);
        claimsByRollout.set(rollout_id, [...(claimsByRollout.get(rollout_id) ?? []), name]);
        if ((input as { i: number }).i % 3 === 0) await heartbeat(rollout_id, attempt_id);
        const done = await complete(rollout_id, attempt_id, { status: 'succeeded', reward: (input as { i: number }).i / N });
        if (done.status !== 200) conflicts.push(JSON.stringify(done.body));
        else completed++;
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => worker(`worker-${w}`)));
    expect(conflicts).toEqual([]);
    expect(completed).toBe(N);
    expect(claimsByRollout.size).toBe(N);
    expect([...claimsByRollout.values()].every((w) => w.length === 1)).toBe(true);
    expect(new Set(attemptOwners.values()).size).toBeGreaterThan(1); // the work was shared
    const waited = await api('POST', '/api/v1/rollouts/wait', { rollout_ids: ids, timeout_ms: 0 });
    expect(waited.body.all_final).toBe(true);
    for (const r of waited.body.rollouts as RolloutView[]) {
      expect(r.status).toBe('succeeded');
      expect(r.attempts).toHaveLength(1);
    }
    // The store agrees: one attempt per rollout, one reward per rollout.
    const rewards = await server.store.driver.query<{ n: string }>(
      "SELECT uniqExact(reward_id) AS n FROM rewards WHERE rollout_id IN {ids:Array(String)} AND source = 'rollout-complete'",
      { ids },
    );
    expect(rewards).toEqual([{ n: String(N) }]);
    await until('every attempt row', async () => {
      // N attempts over N rollouts, each with at least one: exactly one each.
      const [row] = await server.store.driver.query<{ attempts: string; rollouts: string }>(
        'SELECT uniqExact(attempt_id) AS attempts, uniqExact(rollout_id) AS rollouts FROM rollout_attempts WHERE rollout_id IN {ids:Array(String)}',
        { ids },
      );
      return row?.attempts === String(N) && row.rollouts === String(N);
    });
    const stored = await server.store.driver.query<{ n: string }>(
      `SELECT count() AS n FROM (SELECT rollout_id, status, attempts FROM rollouts WHERE rollout_id IN {ids:Array(String)} ORDER BY version DESC LIMIT 1 BY rollout_id)
       WHERE status = 'succeeded' AND JSONLength(attempts) = 1`,
      { ids },
    );
    expect(stored).toEqual([{ n: String(N) }]);
    await expectEmptyQueue();
  });

  it.skipIf(!cliBuilt())('tracelight rollouts enqueue | list | show | cancel, through the server and directly on a store', async () => {
    const run = promisify(execFile);
    const cli = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
      try {
        const { stdout, stderr } = await run(process.execPath, [CLI_PATH, ...args], { cwd: REPO_ROOT });
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    };
    const via = ['--server', server.httpUrl];
    const file = join(dir, 'inputs.jsonl');
    writeFileSync(file, '{"q": 1}\n\n{"q": 2}\n');
    const e = await cli([
      'rollouts',
      'enqueue',
      '--file',
      file,
      '--mode',
      'val',
      '--max-attempts',
      '2',
      '--retry-on',
      'failed,unresponsive',
      '--unresponsive-seconds',
      '30',
      '--format',
      'jsonl',
      ...via,
    ]);
    expect(e.stderr).toBe('');
    const created = e.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { rollout_id: string; status: string });
    expect(created.map((c) => c.status)).toEqual(['queuing', 'queuing']);
    const [a, b] = created.map((c) => c.rollout_id) as [string, string];
    expect((await get(a)).body).toMatchObject({ input: { q: 1 }, mode: 'val', config: { max_attempts: 2, unresponsive_seconds: 30, timeout_seconds: 600 } });

    const list = await cli(['rollouts', 'list', '--status', 'queuing', '--format', 'jsonl', ...via]);
    expect(
      list.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as RolloutView).rollout_id)
        .sort(),
    ).toEqual([a, b].sort());

    const c = (await claim('cli-worker')).body;
    expect(c.rollout_id).toBe(a);
    await complete(a, c.attempt_id, { status: 'failed', error: 'division by zero' });
    const show = await cli(['rollouts', 'show', a, ...via]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^queue status requeuing {2}mode val {2}attempts 1 of 2/);
    expect(show.stdout).toContain(`attempt 1 ${c.attempt_id}  worker cli-worker  failed`);
    expect(show.stdout).toContain('error: division by zero');
    expect(show.stdout).toContain('no LLM calls or rewards are stored for this rollout yet');

    const [cancel, none, bad, cancelB] = await Promise.all([
      cli(['rollouts', 'cancel', a, ...via]),
      cli(['rollouts', 'cancel', 'ro-none', ...via]),
      cli(['rollouts', 'enqueue', '--input', '{"q":', ...via]),
      cli(['rollouts', 'cancel', b, ...via]),
    ]);
    expect(cancel.stdout).toBe(`rollout ${a} cancelled\n`);
    expect(cancelB.code).toBe(0);
    expect(none.stderr).toMatch(/no rollout ro-none/);
    expect(bad.stderr).toMatch(/^tracelight: --input is not valid JSON/);
    const twice = await cli(['rollouts', 'cancel', a, ...via]);
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toMatch(/^tracelight: rollout .* is already cancelled/);

    // Directly on a store no server owns (the next `serve` on it reloads what was queued).
    const other = join(dir, 'direct');
    const d = await cli(['rollouts', 'enqueue', '--input', '"hello"', '--data', other, '--format', 'jsonl']);
    expect(d.stderr).toBe('');
    const directId = (JSON.parse(d.stdout) as { rollout_id: string }).rollout_id;
    expect((await cli(['rollouts', 'cancel', directId, '--data', other])).stdout).toBe(`rollout ${directId} cancelled\n`);
    const dl = await cli(['rollouts', 'list', '--data', other, '--format', 'table']);
    expect(dl.stdout).toMatch(new RegExp(`${directId}\\s+cancelled`));
    expect(dl.stdout).toContain('(1 row)');
    expect((await cli(['rollouts', 'show', directId, '--data', other])).stdout).toMatch(/^queue status cancelled {2}attempts 0 of 1\n {2}enqueued /);
    await expectEmptyQueue();
  });

  it('loses nothing when the server restarts mid-run', async () => {
    const ids = (await enqueue(Array.from({ length: 10 }, (_, i) => ({ input: i, config: { unresponsive_seconds: 1, max_attempts: 2 } })))).body.map(
      (x) => x.rollout_id,
    );
    const claims: ClaimedRollout[] = [];
    for (let i = 0; i < 4; i++) claims.push((await claim(`before-${i}`)).body);
    expect(claims.map((c) => c.rollout_id)).toEqual(ids.slice(0, 4));
    const [done, runA, runB] = claims as [ClaimedRollout, ClaimedRollout, ClaimedRollout, ClaimedRollout];
    await complete(done.rollout_id, done.attempt_id, { status: 'succeeded', reward: 1 });
    await heartbeat(runA.rollout_id, runA.attempt_id);
    await heartbeat(runB.rollout_id, runB.attempt_id);
    const waitBeforeClose = api('POST', '/api/v1/rollouts/wait', { rollout_ids: ids, timeout_ms: 30_000 });
    const before = new Map<string, RolloutView>();
    for (const id of ids) before.set(id, (await get(id)).body);

    await server.close();
    // A waiting request was answered when the server stopped, not held until its timeout.
    expect((await waitBeforeClose).body.all_final).toBe(false);
    server = await start();

    for (const id of ids) {
      const after = (await get(id)).body;
      const was = before.get(id)!;
      expect({ status: after.status, attempts: after.attempts.map((a) => [a.attempt_id, a.status]), input: after.input, config: after.config }).toEqual({
        status: was.status,
        attempts: was.attempts.map((a) => [a.attempt_id, a.status]),
        input: was.input,
        config: was.config,
      });
    }
    expect(ids.map((id) => before.get(id)!.status)).toEqual(['succeeded', 'running', 'running', 'preparing', ...Array(6).fill('queuing')]);
    // The worker of runA carried on through the restart and completes its attempt.
    expect((await complete(runA.rollout_id, runA.attempt_id, { status: 'succeeded' })).body.status).toBe('succeeded');
    // The queue order survived: the next claim is the first rollout that was still queued.
    const next = (await claim('after')).body;
    expect(next.rollout_id).toBe(ids[4]);
    await complete(next.rollout_id, next.attempt_id, { status: 'succeeded' });
    // runB and prep never report again: unresponsive after the reload, then retried and finished by new workers.
    const finisher = async (): Promise<void> => {
      const end = Date.now() + 20_000;
      while (Date.now() < end) {
        const c = await claim('finisher', 500);
        if (c.status === 204) {
          const w = await api('POST', '/api/v1/rollouts/wait', { rollout_ids: ids, timeout_ms: 0 });
          if (w.body.all_final) return;
          continue;
        }
        await complete(c.body.rollout_id, c.body.attempt_id, { status: 'succeeded' });
      }
    };
    await finisher();
    const final = (await api('POST', '/api/v1/rollouts/wait', { rollout_ids: ids, timeout_ms: 0 })).body.rollouts as RolloutView[];
    expect(final.map((r) => r.status)).toEqual(Array(10).fill('succeeded'));
    expect(final.map((r) => r.attempts.map((a) => a.status))).toEqual([
      ['succeeded'],
      ['succeeded'],
      ['unresponsive', 'succeeded'],
      ['unresponsive', 'succeeded'],
      ...Array(6).fill(['succeeded']),
    ]);
    const stored = await server.store.driver.query<{ n: string }>(
      "SELECT count() AS n FROM rewards WHERE rollout_id = {r:String} AND source = 'rollout-complete'",
      { r: done.rollout_id },
    );
    expect(stored).toEqual([{ n: '1' }]);
  });
});
