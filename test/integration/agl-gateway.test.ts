// Agent Lightning 1.x's gateway API served by tracelight, checked with Agent Lightning's own code: the pinned
// agentlightning 1.0.2 package's client (what its trainer sends), its local controller (which starts one agent
// process per rollout and drives the v1 lifecycle with PATCH) and agents calling the rollout's proxy URL and posting
// rewards (test/integration/python/agl_gateway_check.py). The same script runs against Agent Lightning's own server
// (`python -m agentlightning.server`), and the two must answer step for step alike. The model is tracelight's
// simulated one (examples/simulated-model), behind tracelight's llm resource on one side and registered with
// POST /api/models on the other; what the calls became is then read back through tracelight's own API.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedModel, type SimulatedModelServer } from '../../examples/simulated-model/index.js';
import { createAglLlm } from '../../instrumentation/proxy/gateway.js';
import { startServer, type RunningServer } from '../../server/server.js';
import { REPO_ROOT } from '../support/cli-process.js';
import { eventually } from '../support/eventually.js';
import { findPython, pythonEnv } from '../support/python-env.js';

const run = promisify(execFile);
const SCRIPT_DIR = join(REPO_ROOT, 'test', 'integration', 'python');
const SCRIPT = join(SCRIPT_DIR, 'agl_gateway_check.py');
const REQUIREMENTS = readFileSync(join(SCRIPT_DIR, 'requirements', 'agl-gateway.txt'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const KEY = 'agl-gateway-admin-key';
const INGEST_KEY = 'agl-gateway-ingest-key';
// agentlightning 1.0.2 requires Python 3.12 or newer.
const INTERPRETER = findPython(12);

interface Step {
  name: string;
  status: number;
  body: unknown;
  compare: 'full' | 'status' | 'loc';
  loc?: unknown;
  headers?: Record<string, string | null>;
}

let python: string;
let dataDir: string;
let server: RunningServer;
let sim: SimulatedModelServer;
let agl: ChildProcess | null = null;
let aglUrl: string;
let aglLog = '';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function api<T = any>(method: string, path: string, body?: unknown, key = KEY): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server.httpUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

async function check(baseUrl: string, name: string): Promise<Step[]> {
  const out = join(dataDir, `${name}.json`);
  await run(python, [SCRIPT, baseUrl, KEY, sim.url, out], {
    cwd: SCRIPT_DIR,
    env: { ...process.env, PYTHONPATH: SCRIPT_DIR, PYTHONUNBUFFERED: '1' },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 300_000,
  });
  return (JSON.parse(readFileSync(out, 'utf8')) as { steps: Step[] }).steps;
}

function step(steps: Step[], name: string): Step {
  const s = steps.find((x) => x.name === name);
  if (!s) throw new Error(`no step "${name}"`);
  return s;
}

describe.skipIf(INTERPRETER === null)("Agent Lightning v1's gateway API, with Agent Lightning's own clients", () => {
  let ours: Step[];
  let theirs: Step[];

  beforeAll(async () => {
    python = await pythonEnv('agl-gateway-1.0.2', REQUIREMENTS, { interpreter: INTERPRETER as string, noDeps: true });
    dataDir = mkdtempSync(join(tmpdir(), 'tl-agl-gateway-'));
    sim = await startSimulatedModel({ port: 0 });
    server = await startServer({
      host: '127.0.0.1',
      port: 0,
      grpcPort: null,
      apiKeys: [KEY, `ingest:${INGEST_KEY}`],
      store: { dataDir, batch: { flushIntervalMs: 10 } },
      agl: { llm: createAglLlm, resource: { name: 'policy', ref: 'production' } },
    });
    const v = await api('POST', '/api/v1/resources/policy/versions', {
      kind: 'llm',
      content: { endpoint: sim.url, model: 'sim-small' },
      labels: ['production'],
    });
    expect(v.status).toBe(201);

    const port = await freePort();
    aglUrl = `http://127.0.0.1:${port}`;
    agl = spawn(
      python,
      [
        '-m',
        'agentlightning.server',
        'host=127.0.0.1',
        `port=${port}`,
        `key=${KEY}`,
        'default_proxy.model_name=sim-small',
        `hydra.run.dir=${join(dataDir, 'agl-hydra')}`,
        'hydra.output_subdir=null',
      ],
      { cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agl.stdout?.on('data', (b: Buffer) => (aglLog += b.toString()));
    agl.stderr?.on('data', (b: Buffer) => (aglLog += b.toString()));
    await eventually(
      async () => (await fetch(`${aglUrl}/healthz`).catch(() => null))?.ok,
      `Agent Lightning's server on ${aglUrl} (${aglLog.slice(-500)})`,
      60_000,
      200,
    );
    ours = await check(server.httpUrl, 'tracelight');
    theirs = await check(aglUrl, 'agentlightning');
  }, 900_000);

  afterAll(async () => {
    agl?.kill('SIGTERM');
    await server?.close();
    await sim?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers every step as Agent Lightning's own server does", () => {
    expect(ours.map((s) => s.name)).toEqual(theirs.map((s) => s.name));
    for (const [i, mine] of ours.entries()) {
      const other = theirs[i] as Step;
      const what = `step "${mine.name}"`;
      expect(mine.status, what).toBe(other.status);
      if (mine.compare === 'full') expect(mine.body, what).toEqual(other.body);
      if (mine.compare === 'loc') expect(mine.loc, what).toEqual(other.loc);
      if (mine.headers) expect(mine.headers, what).toEqual(other.headers);
    }
  });

  it('drives the v1 lifecycle: transitions, refusals, the terminal log and its cursor', () => {
    expect(step(ours, 'no key').status).toBe(401);
    expect(step(ours, 'create rollouts').status).toBe(201);
    expect(step(ours, 'queuing -> succeeded is refused')).toMatchObject({
      status: 409,
      body: { detail: 'Rollout r1: cannot transition queuing -> succeeded' },
    });
    expect(step(ours, 'succeeded -> running is refused').body).toEqual({ detail: 'Rollout r1: cannot transition succeeded -> running' });
    expect(step(ours, 'state null is refused').body).toEqual({ detail: 'Rollout r1: cannot transition succeeded -> None' });
    expect(step(ours, 'a status field v1 lacks')).toMatchObject({ status: 422, loc: ['body', 'status', 'bogus'] });
    expect(step(ours, 'list without state_in')).toMatchObject({ status: 422, loc: ['query', 'state_in'] });
    const r1 = step(ours, 'get r1').body as { rollout: { status: Record<string, unknown> }; attempts: string[] };
    expect(r1.rollout.status).toMatchObject({ state: 'succeeded', last_attempt_id: '0', k8s_job_name: 'job-r1', version: 4 });
    expect(r1.attempts).toEqual(['0']);
    expect((step(ours, 'get r2').body as any).rollout.status).toMatchObject({ state: 'failed', error_message: 'subprocess exited with code 1' });
    expect((step(ours, 'get r3').body as any).rollout.status.error_message).toMatch(/missing config\.local\.agent_class/);
    expect(step(ours, 'cancel r4').body).toMatchObject({ status: { state: 'failed', error_message: 'cancelled by the trainer', version: 2 } });
    expect(step(ours, 'terminal page 1').body).toEqual({
      items: [
        { rollout_id: 'r1', state: 'succeeded', data_id: 'd1', is_train: true },
        { rollout_id: 'r2', state: 'failed', data_id: 'd2', is_train: false },
      ],
      next_after: 2,
      total_terminal: 4,
    });
    expect(step(ours, 'terminal page 2').body).toMatchObject({ next_after: 4, total_terminal: 4 });
    expect(step(ours, 'terminal, nothing new').body).toEqual({ items: [], next_after: 4, total_terminal: 4 });
    // A deleted rollout leaves its place in the log: the cursor still counts it.
    expect(step(ours, 'terminal after deleting r4').body).toMatchObject({ next_after: 4, total_terminal: 4 });
    expect((step(ours, 'terminal after deleting r4').body as any).items.map((i: any) => i.rollout_id)).toEqual(['r1', 'r2', 'r3']);
    expect(step(ours, 'delete r5').status).toBe(204);
    expect(step(ours, 'get r5 after delete')).toMatchObject({ status: 404, body: { detail: 'Rollout not found: r5' } });
    expect(step(ours, 'get r1 with its attempts').body).toMatchObject({ attempts: ['0', '1'] });
  });

  it('records model requests and rewards as events, read back whole or as triplets', () => {
    const events = step(ours, 'events r1').body as { event_type: string; attempt_id: string; data: any }[];
    expect(events.map((e) => e.event_type)).toEqual(['model_request', 'reward']);
    const call = events[0]?.data;
    expect(call).toMatchObject({
      model: 'sim-small',
      model_version: 1,
      http_status: 200,
      status: 'ok',
      server: { model: 'sim-small', endpoint: sim.url, version: 1 },
    });
    expect(call.request).toMatchObject({ model: 'sim-small', temperature: 1, return_token_ids: true, logprobs: true });
    expect(events[1]?.data).toMatchObject({ value: 1, source: 'agent' });
    const triplet = step(ours, 'events r1 as triplets').body as { data: any }[];
    expect(triplet[0]?.data.prompt_token_ids.length).toBeGreaterThan(0);
    expect(triplet[0]?.data.response_token_ids.length).toBeGreaterThan(0);
    expect(triplet[0]?.data.response_log_probs.length).toBeGreaterThan(0);
    expect(triplet[1]?.data).toEqual({ value: 1, source: 'agent' });
    expect(step(ours, 'proxy: unknown mode')).toMatchObject({ status: 404, body: { detail: 'Unsupported proxy mode: test' } });
    expect(step(ours, 'proxy: unknown path')).toMatchObject({ status: 404, body: { detail: 'Unsupported upstream path: embeddings' } });
    expect(step(ours, 'proxy: a stream')).toMatchObject({ status: 400, body: { detail: 'Streaming responses are not supported' } });
    expect(step(ours, 'proxy while paused')).toMatchObject({
      status: 429,
      body: { error: 'gateway paused', reason: 'syncing weights' },
      headers: { 'retry-after': '3', 'x-agl-paused': 'true' },
    });
  });

  it("keeps every call through the proxy route as a triplet of its rollout, with the agent's reward", async () => {
    const triplets = await eventually(async () => {
      const r = await api<{ triplets: any[] }>('GET', '/api/v1/triplets?rollout=r1');
      return r.status === 200 && r.body.triplets.length >= 3 ? r.body.triplets : null;
    }, 'the three calls of rollout r1');
    const agent = triplets.find((t) => t.attempt_id === '0');
    expect(agent).toMatchObject({ rollout_id: 'r1', model: 'sim-small', reward: 1, resources: { policy: '1' } });
    expect(agent.token_ids.prompt.length).toBeGreaterThan(0);
    expect(JSON.stringify(agent.response)).toContain('42');
    expect(triplets.filter((t) => t.attempt_id === '1')).toHaveLength(2);
    // Each call's span names the mode of its URL.
    await server.store.writer.drain();
    const modes = await server.store.driver.query<{ mode: string }>(
      "SELECT DISTINCT SpanAttributes['tracelight.rollout.mode'] AS mode FROM otel_traces WHERE SpanAttributes['tracelight.rollout.id'] = {id:String} ORDER BY mode",
      { id: 'r1' },
    );
    expect(modes.map((m) => m.mode)).toEqual(['train', 'val']);
    const r2 = await api<{ triplets: any[] }>('GET', '/api/v1/triplets?rollout=r2');
    expect(r2.body.triplets.map((t: any) => t.reward)).toEqual([1]);
  });

  it('makes each rollout that ran a rollout of the queue, ending as v1 says', async () => {
    const listed = await api<{ rollouts: any[] }>('GET', '/api/v1/rollouts?limit=100');
    const byAgl = new Map(listed.body.rollouts.map((r: any) => [r.metadata.agl_rollout_id, r]));
    expect(byAgl.get('r1')).toMatchObject({ status: 'succeeded', mode: 'train', attempts: [{ status: 'succeeded', worker_id: 'agl-gateway:0' }] });
    expect(byAgl.get('r2')).toMatchObject({ status: 'failed', mode: 'val', attempts: [{ status: 'failed', error: 'subprocess exited with code 1' }] });
    // Failed before it ran, cancelled while queued: neither reached the queue.
    expect(byAgl.has('r3')).toBe(false);
    expect(byAgl.has('r4')).toBe(false);
  });

  it('records a model_request event posted by a client as an LLM call, and lists llm resources as models', async () => {
    expect((await api('POST', '/api/rollouts', [{ rollout_id: 'r9', input: { data_id: 'd9' } }])).status).toBe(201);
    // An agent's key posts events and calls the proxy; it creates no rollouts.
    expect(await api('POST', '/api/rollouts', [{ input: 1 }], INGEST_KEY)).toMatchObject({ status: 403, body: { detail: expect.stringMatching(/admin/) } });
    const posted = await api(
      'POST',
      '/api/rollouts/r9/attempt/0/events',
      {
        event_type: 'model_request',
        data: {
          model: 'elsewhere-model',
          request: { model: 'elsewhere-model', messages: [{ role: 'user', content: 'Name a prime.' }] },
          response: {
            id: 'x',
            model: 'elsewhere-model',
            choices: [{ index: 0, message: { role: 'assistant', content: 'Seven.' }, finish_reason: 'stop', token_ids: [5, 6] }],
            prompt_token_ids: [1, 2, 3],
          },
          latency_ms: 12.5,
          http_status: 200,
          status: 'ok',
        },
      },
      INGEST_KEY,
    );
    expect(posted).toMatchObject({ status: 200, body: { event_type: 'model_request', rollout_id: 'r9', attempt_id: '0' } });
    expect(
      (await api('POST', '/api/rollouts/r9/attempt/0/events', { event_type: 'reward', data: { value: 0.5, message: 'half right' } }, INGEST_KEY)).status,
    ).toBe(200);
    const [t] = await eventually(async () => {
      const r = await api<{ triplets: any[] }>('GET', '/api/v1/triplets?rollout=r9');
      return r.body.triplets.length > 0 ? r.body.triplets : null;
    }, 'the posted call of rollout r9');
    expect(t).toMatchObject({ rollout_id: 'r9', attempt_id: '0', model: 'elsewhere-model', reward: 0.5, token_ids: { prompt: [1, 2, 3], response: [5, 6] } });
    expect(JSON.stringify(t.response)).toContain('Seven.');
    // The servers registered by the check were deleted at its end; the llm resource remains.
    expect((await api('GET', '/api/models')).body).toEqual([{ model: 'sim-small', endpoint: sim.url, version: 1 }]);
  });
});
