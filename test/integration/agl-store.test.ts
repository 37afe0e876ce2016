// Agent Lightning 0.3's LightningStore REST API (/v1/agl) served by tracelight, exercised by Agent Lightning's own code
// (agentlightning 0.3.0 from PyPI, the pinned interop venv of test/interop/python/requirements/agentlightning.txt):
// python/agl_store.py drives `LightningStoreClient`, `LitAgentRunner`, `Trainer` and, for the comparison, Agent
// Lightning's `LightningStoreServer` over its `InMemoryLightningStore`. The model is the simulated one (not a real LLM).
//
// 1. Every store method through LightningStoreClient, on tracelight and on Agent Lightning's in-memory server: the
//    normalized answers (ids and clocks replaced by placeholders) must be the same, error cases included (the
//    statuses are printed: tracelight answers an unknown rollout with 404 where Agent Lightning 0.3 says 500).
// 2. Spans that arrive over OTLP with `agentlightning.*` resource attributes get sequence ids and count as heartbeats.
// 3. A LitAgent under LitAgentRunner (AgentOpsTracer, emit_reward, a returned reward): its rollouts succeed and
//    its LLM calls and rewards are triplets in tracelight's /api/v1/triplets; one rollout is enqueued through
//    tracelight's own API and run by the Agent Lightning runner (one queue).
// 4. Trainer with the Baseline algorithm completes fit() against tracelight.
// 5. tracelight (the built CLI) is killed (SIGKILL) in the middle of a runner's work loop and restarted on the same data
//    directory: every acknowledged rollout, span and completion is there afterwards. The same loop against Agent
//    Lightning's in-memory server, restarted, keeps nothing. Both figures are printed.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedModel, type SimulatedModelServer } from '../../examples/simulated-model/index.js';
import { startServer, type RunningServer } from '../../server/server.js';
import type { Triplet } from '../../training/triplets.js';
import { requirements } from '../interop/python/harness.js';
import { cliBuilt, startCliServer, type CliServer } from '../support/cli-process.js';
import { TraceRequestType } from '../support/otlp-payloads.js';
import { pythonEnv } from '../support/python-env.js';

const SCRIPT = fileURLToPath(new URL('./python/agl_store.py', import.meta.url));
// LiteLLM (imported by agentlightning) must not fetch its cost map from the internet; AgentOps stays quiet.
const PY_ENV = { LITELLM_LOCAL_MODEL_COST_MAP: 'True', AGENTOPS_LOG_LEVEL: 'ERROR', PYTHONUNBUFFERED: '1' };

function pyEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(OTEL_|OPENAI_|AGENTOPS_|AGL_|PYTHON)/.test(k)) env[k] = v;
  return { ...env, ...PY_ENV };
}

interface PyRun {
  result: Record<string, unknown>;
  stderr: string;
}

/** Runs the script; `onLine` sees each JSON line as it is printed. Resolves with the last one. */
function runPy(python: string, args: string[], opts: { timeoutMs: number; onLine?: (line: Record<string, unknown>) => void }): Promise<PyRun> {
  return new Promise((resolve, reject) => {
    const proc = spawn(python, [SCRIPT, ...args], { env: pyEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let last: Record<string, unknown> | null = null;
    const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs);
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl).trim();
        out = out.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        try {
          last = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        opts.onLine?.(last);
      }
    });
    proc.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && last) resolve({ result: last, stderr: err });
      else reject(new Error(`agl_store.py ${args[0]} exited with ${code ?? signal}\n${err.split('\n').slice(-40).join('\n')}`));
    });
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

let python: string;
let server: RunningServer;
let model: SimulatedModelServer;
const dataDirs: string[] = [];

function newDataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tl-agl-store-'));
  dataDirs.push(d);
  return d;
}

async function agl(path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${server.httpUrl}/v1/agl${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  python = await pythonEnv('agentlightning', requirements('agentlightning'));
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    grpcPort: null,
    store: { dataDir: newDataDir(), batch: { flushIntervalMs: 10 } },
    queue: { sweepIntervalMs: 200 },
  });
  model = await startSimulatedModel({ port: 0 });
}, 900_000);

afterAll(async () => {
  await server?.close();
  await model?.close();
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
});

describe('Agent Lightning 0.3 LightningStore API at /v1/agl', () => {
  it('answers every LightningStoreClient method as Agent Lightning’s own in-memory store server does', async () => {
    const { result } = await runPy(python, ['compare', server.httpUrl], { timeoutMs: 240_000 });
    const diffs = result.diffs as string[];
    const ours = result.tracelight as Record<string, Record<string, unknown> & { items?: unknown[]; total?: number }>;
    console.log(
      `agl store compare: ${String(result.methods)} calls answered identically by tracelight and Agent Lightning's InMemoryLightningStore ` +
        `(${diffs.length} differences); error statuses ${JSON.stringify(result.error_statuses)}`,
    );
    expect(diffs).toEqual([]);
    expect(result.methods).toBeGreaterThanOrEqual(80);
    expect(ours.get_rollouts?.total).toBe(2);
    // A few answers spelled out, so "identical" is not "identically empty".
    expect(ours.enqueue_rollout).toMatchObject({ status: 'queuing', mode: 'train', metadata: { k: 'v' } });
    expect(ours.dequeue).toMatchObject({ status: 'preparing', attempt: { sequence_id: 1, status: 'preparing', worker_id: 'worker-1' } });
    expect([ours.next_seq_1, ours.next_seq_2, ours.next_seq_after_span, ours.next_seq_after_many]).toEqual([1, 2, 4, 8]);
    expect(ours.add_span_dup).toBeNull();
    expect(ours.query_spans?.items?.map((s) => (s as { sequence_id: number }).sequence_id)).toEqual([3, 5, 7]);
    expect(ours.query_spans_or_nothing).toMatchObject({ items: [], total: 0 });
    expect(ours.rollout_requeuing).toMatchObject({ status: 'requeuing' });
    expect(ours.rollout_failed).toMatchObject({ status: 'failed', attempt: { sequence_id: 2, status: 'failed' } });
    expect(ours.statistics).toEqual({ total_rollouts: 5, total_attempts: 8, total_spans: 3, total_resources: 3, total_workers: 7 });
    expect((result.error_statuses as { tracelight: Record<string, number> }).tracelight).toEqual({
      update_rollout_missing: 404,
      update_attempt_missing: 404,
      start_attempt_missing: 404,
      add_span_missing_rollout: 404,
      query_rollouts_bad_sort: 400,
      query_spans_bad_limit: 400,
      query_attempts_bad_offset: 400,
    });
    // One queue: the same rollouts through tracelight's own API, and the spans in otel_traces with their LLM-side identity.
    const listed = (await (await fetch(`${server.httpUrl}/api/v1/rollouts?limit=100`)).json()) as { rollouts: { status: string }[] };
    expect(listed.rollouts.length).toBe(5);
    const rows = await server.store.driver.query<{ n: string }>(
      "SELECT count() AS n FROM otel_traces WHERE ResourceAttributes['agentlightning.rollout_id'] != '' AND SpanName IN ('agent.step', 'llm.call', 'tool.call')",
    );
    expect(Number(rows[0]?.n)).toBe(3);
  }, 300_000);

  it('gives spans that arrive over OTLP with agentlightning.* ids sequence ids, and counts them as heartbeats', async () => {
    const [rollout] = (await agl('/queues/rollouts/enqueue', { rollouts: [{ input: { otlp: true } }] })).json as { rollout_id: string }[];
    const [claimed] = (await agl('/queues/rollouts/dequeue', { limit: 1, worker_id: 'otlp-worker' })).json as {
      rollout_id: string;
      attempt: { attempt_id: string };
    }[];
    expect(claimed?.rollout_id).toBe(rollout?.rollout_id);
    const attemptId = claimed?.attempt.attempt_id as string;
    const traceId = Buffer.from('5b8efff798038103d269b633813fc60c', 'hex');
    const span = (name: string, id: string, attrs: Record<string, unknown>[] = []): Record<string, unknown> => ({
      traceId,
      spanId: Buffer.from(id, 'hex'),
      name,
      kind: 1,
      startTimeUnixNano: '1700000000000000000',
      endTimeUnixNano: '1700000000500000000',
      attributes: attrs,
      status: { code: 1 },
    });
    const req = TraceRequestType.fromObject({
      resourceSpans: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: 'agl-otlp' } },
              { key: 'agentlightning.rollout_id', value: { stringValue: rollout?.rollout_id } },
              { key: 'agentlightning.attempt_id', value: { stringValue: attemptId } },
            ],
          },
          scopeSpans: [
            {
              scope: { name: 'test' },
              spans: [
                span('first', 'eee19b7ec3c1b174', [{ key: 'n', value: { intValue: 7 } }]),
                span('second', 'eee19b7ec3c1b175', [{ key: 'ok', value: { boolValue: true } }]),
                span('pinned', 'eee19b7ec3c1b176', [{ key: 'agentlightning.span_sequence_id', value: { stringValue: '10' } }]),
              ],
            },
          ],
        },
      ],
    });
    const res = await fetch(`${server.httpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from(TraceRequestType.encode(req).finish()),
    });
    expect(res.status).toBe(200);
    const spans = (await agl('/spans/search', { rollout_id: rollout?.rollout_id })).json as {
      items: { name: string; sequence_id: number; attributes: Record<string, unknown>; attempt_id: string; parent_id: string | null; status: unknown }[];
      total: number;
    };
    expect(spans.items.map((s) => [s.name, s.sequence_id])).toEqual([
      ['first', 1],
      ['second', 2],
      ['pinned', 10],
    ]);
    expect(spans.items[0]).toMatchObject({ attempt_id: attemptId, parent_id: null, attributes: { n: 7 }, status: { status_code: 'OK', description: null } });
    expect(spans.items[1]?.attributes).toEqual({ ok: true });
    expect((await agl('/spans/next', { rollout_id: rollout?.rollout_id, attempt_id: attemptId })).json).toEqual({ sequence_id: 11 });
    // The spans were the attempt's heartbeat: it runs, and so does the rollout.
    await expect
      .poll(async () => (await agl(`/rollouts/${rollout?.rollout_id}`)).json, { timeout: 10_000 })
      .toMatchObject({ status: 'running', attempt: { status: 'running', last_heartbeat_time: expect.any(Number) } });
    await agl(`/rollouts/${rollout?.rollout_id}/attempts/${attemptId}`, { status: 'succeeded' });
  });

  it('runs a LitAgent under LitAgentRunner: spans and rewards go in, and come out as triplets', async () => {
    // One rollout through tracelight's own API, for the Agent Lightning runner to take from the same queue.
    const native = await fetch(`${server.httpUrl}/api/v1/rollouts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: { question: 'What is 7 + 8?', expected: '15', emit: true } }),
    });
    const nativeId = ((await native.json()) as { rollout_id: string }[])[0]?.rollout_id as string;
    const { result } = await runPy(python, ['runner', server.httpUrl, model.url, nativeId], { timeoutMs: 240_000 });
    const rollouts = result.rollouts as { rollout_id: string; status: string; reward: number | null; span_names: string[]; sequence_ids: number[] }[];
    console.log(`agl runner: ${JSON.stringify(rollouts.map((r) => ({ status: r.status, reward: r.reward, spans: r.span_names })))}`);
    expect(rollouts).toHaveLength(3);
    for (const r of rollouts) {
      expect(r.status).toBe('succeeded');
      expect(r.reward).toBe(1);
      expect(r.span_names).toContain('agentlightning.annotation');
      // Sequence ids are unique within the rollout.
      expect(new Set(r.sequence_ids).size).toBe(r.sequence_ids.length);
    }
    expect(result.workers).toEqual(
      expect.arrayContaining([expect.objectContaining({ worker_id: 'Worker-0', status: 'idle', heartbeat_stats: expect.any(Object) })]),
    );
    // The same rollouts as tracelight training data: each LLM call with its prompt, response and the rollout's reward.
    for (const r of rollouts) {
      await expect
        .poll(async () => ((await (await fetch(`${server.httpUrl}/api/v1/triplets?rollout=${r.rollout_id}`)).json()) as { triplets: Triplet[] }).triplets, {
          timeout: 10_000,
        })
        .toHaveLength(1);
      const [t] = ((await (await fetch(`${server.httpUrl}/api/v1/triplets?rollout=${r.rollout_id}`)).json()) as { triplets: Triplet[] }).triplets;
      expect(t).toMatchObject({ rollout_id: r.rollout_id, model: 'sim-small', reward: 1 });
      expect(t?.prompt.map((m) => m.role)).toEqual(['system', 'user']);
      expect(JSON.stringify(t?.response)).toMatch(/\d/);
    }
  }, 300_000);

  it('completes Trainer(algorithm=Baseline).fit against tracelight', async () => {
    const { result } = await runPy(python, ['trainer', server.httpUrl, model.url], { timeoutMs: 300_000 });
    const rollouts = result.rollouts as { status: string; mode: string; resources_id: string; reward: number | null }[];
    console.log(`agl trainer: ${JSON.stringify(rollouts)}`);
    expect(rollouts.map((r) => [r.mode, r.status, r.reward])).toEqual([
      ['train', 'succeeded', 1],
      ['train', 'succeeded', 1],
      ['val', 'succeeded', 1],
    ]);
    // Baseline stores its initial resources as the snapshot "default", which every rollout names.
    expect(result.resources_id).toBe('default');
    expect(new Set(rollouts.map((r) => r.resources_id))).toEqual(new Set(['default']));
  }, 360_000);
});

describe.skipIf(!cliBuilt())('with API keys (built CLI)', () => {
  it('needs the routes’ scopes; LightningStoreClient sends no key, a client given the header works', async () => {
    const cli = await startCliServer({ dataDir: newDataDir(), args: ['--api-key', 'worker:agl-worker-key', '--api-key', 'agl-admin-key'] });
    try {
      expect((await fetch(`${cli.httpUrl}/v1/agl/health`)).status).toBe(200);
      const refused = await fetch(`${cli.httpUrl}/v1/agl/rollouts`);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ detail: expect.stringMatching(/API key/) });
      const { result } = await runPy(python, ['auth', cli.httpUrl, 'agl-worker-key', 'agl-admin-key'], { timeoutMs: 120_000 });
      console.log(`agl auth: ${JSON.stringify(result)}`);
      expect(result).toEqual({
        plain_health: true,
        plain_query: 401,
        worker_enqueue: 403,
        admin_enqueue: 200,
        worker_dequeue: 'preparing',
        worker_update_attempt: 200,
        worker_query: 200,
        worker_add_resources: 403,
      });
    } finally {
      await cli.stop('SIGTERM');
    }
  }, 180_000);
});

describe.skipIf(!cliBuilt())('a restart in the middle of a runner’s work (built CLI)', () => {
  const running: CliServer[] = [];
  afterAll(async () => {
    for (const c of running.splice(0)) await c.stop('SIGKILL');
  });

  it('loses nothing it acknowledged; Agent Lightning’s in-memory store loses everything', async () => {
    const N = 12;
    const KILL_AFTER = 4;
    const dataDir = newDataDir();
    const port = await freePort();
    const args = ['--port', String(port), '--grpc-port', '0'];
    const first = await startCliServer({ dataDir, args });
    running.push(first);
    let restarted: Promise<void> | null = null;
    const beforeKill = { rollout: 0, span: 0, completed: 0 };
    const { result } = await runPy(python, ['restart', `http://127.0.0.1:${port}`, String(N)], {
      timeoutMs: 300_000,
      onLine: (line) => {
        if (!restarted && typeof line.ack === 'string' && line.ack in beforeKill) beforeKill[line.ack as keyof typeof beforeKill]++;
        if (line.ack === 'completed' && line.n === KILL_AFTER && !restarted) {
          restarted = (async () => {
            first.proc.kill('SIGKILL');
            await first.exited;
            running.push(await startCliServer({ dataDir, args }));
          })();
        }
      },
    });
    await restarted;
    const s = result.summary as Record<string, number>;
    const mem = (await runPy(python, ['inmemory-restart', String(N), String(KILL_AFTER)], { timeoutMs: 240_000 })).result.summary as Record<string, number>;
    console.log(
      `agl restart: tracelight killed (SIGKILL) after ${KILL_AFTER} of ${N} rollouts (acknowledged by then: ${beforeKill.rollout} rollouts, ` +
        `${beforeKill.span} spans, ${beforeKill.completed} completions) and restarted; afterwards ` +
        `${s.found_rollouts}/${s.acked_rollouts} acknowledged rollouts, ${s.found_spans}/${s.acked_spans} acknowledged spans, ` +
        `${s.succeeded}/${s.acked_completions} acknowledged completions survived; ` +
        `Agent Lightning InMemoryLightningStore restarted after ${KILL_AFTER}: ${mem.found_rollouts}/${mem.acked_rollouts} rollouts, ` +
        `${mem.found_spans}/${mem.acked_spans} spans survived`,
    );
    expect(restarted).not.toBeNull();
    expect(s.acked_rollouts).toBe(N);
    expect(s.found_rollouts).toBe(s.acked_rollouts);
    expect(s.found_spans).toBe(s.acked_spans);
    expect(s.acked_completions).toBe(N);
    expect(s.succeeded).toBe(N);
    expect(mem.acked_rollouts).toBe(N);
    expect(mem.found_rollouts).toBe(0);
    expect(mem.found_spans).toBe(0);
  }, 600_000);
});
