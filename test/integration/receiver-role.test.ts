// Scale-out ingest: two `serve --role receiver` processes and one owner (`serve`), all built CLIs, against one
// ClickHouse server (the HTTP-interface stand-in over chDB). Spans sent to either receiver become the owner's
// triplets; a span carrying an attempt id, received by a receiver, is that attempt's heartbeat at the owner;
// a receiver serves no REST API and says where it is; a receiver without a shared store refuses to start.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClickHouseHttpServer, type ClickHouseHttpTestServer } from '../support/clickhouse-http-server.js';
import { CLI_PATH, cliBuilt, REPO_ROOT, startCliServer, type CliServer } from '../support/cli-process.js';
import { eventually } from '../support/eventually.js';

const ADMIN = 'admin-key-receiver-test-0001';
const INGEST = 'ingest-key-receiver-test-0001';
const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const msgs = (role: string, content: string) => JSON.stringify([{ role, parts: [{ type: 'text', content }] }]);

let dir: string;
let ch: ClickHouseHttpTestServer;
let owner: CliServer;
const receivers: CliServer[] = [];

function callPayload(traceId: string, rollout: string, question: string, answer: string, attempt?: string): unknown {
  return {
    resourceSpans: [
      {
        resource: { attributes: [str('service.name', 'scaled-agent')] },
        scopeSpans: [
          {
            spans: [
              {
                traceId,
                spanId: `${traceId.slice(0, 15)}1`,
                name: 'chat sim-small',
                kind: 3,
                startTimeUnixNano: '1764670000100000000',
                endTimeUnixNano: '1764670000900000000',
                attributes: [
                  str('tracelight.rollout.id', rollout),
                  ...(attempt ? [str('tracelight.attempt.id', attempt)] : []),
                  str('gen_ai.operation.name', 'chat'),
                  str('gen_ai.request.model', 'sim-small'),
                  str('gen_ai.input.messages', msgs('user', question)),
                  str('gen_ai.output.messages', msgs('assistant', answer)),
                ],
              },
            ],
          },
        ],
      },
    ],
  };
}

async function send(to: CliServer, body: unknown): Promise<number> {
  const res = await fetch(`${to.httpUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST}` },
    body: JSON.stringify(body),
  });
  await res.body?.cancel();
  return res.status;
}

async function ownerApi<T = any>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${owner.httpUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-receivers-'));
  ch = await startClickHouseHttpServer({ dataDir: join(dir, 'clickhouse') });
  if (!cliBuilt()) return;
  const keys = ['--api-key', ADMIN, `ingest:${INGEST}`];
  owner = await startCliServer({ dataDir: join(dir, 'unused-owner'), args: ['--clickhouse-url', ch.url, '--no-grpc', ...keys] });
  for (const n of [1, 2])
    receivers.push(
      await startCliServer({
        dataDir: join(dir, `unused-${n}`),
        args: ['--role', 'receiver', '--owner-url', owner.httpUrl, '--owner-api-key', INGEST, '--clickhouse-url', ch.url, ...keys],
      }),
    );
}, 120_000);

afterAll(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
  await owner?.stop();
  await ch?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(cliBuilt())('serve --role receiver beside one owner', () => {
  it('says at start that it is a receiver and where heartbeats go', () => {
    expect(receivers[0]!.stdout()).toContain(`role       receiver: OTLP only; heartbeats from spans go to ${owner.httpUrl}`);
  });

  it('takes spans on every receiver into the shared store, and the owner reads them as triplets', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        send(receivers[i % 2]!, callPayload(`7d${String(i).padStart(30, '0')}`, 'ro-scaled', `What is ${i} + 1?`, String(i + 1))),
      ),
    );
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    const { body } = await ownerApi<{ triplets: { response: { parts: { content: string }[] } }[] }>('GET', '/api/v1/triplets?rollout=ro-scaled');
    expect(body.triplets.map((t) => t.response.parts[0]!.content).sort()).toEqual(['1', '2', '3', '4', '5', '6']);
  });

  it('forwards the attempt ids it sees to the owner, where they are heartbeats: a claimed attempt starts running', async () => {
    const [created] = (await ownerApi<{ rollout_id: string }[]>('POST', '/api/v1/rollouts', { input: { q: 'beat' }, mode: 'train' })).body;
    const claimed = (await ownerApi<{ rollout_id: string; attempt_id: string }>('POST', '/api/v1/rollouts/claim', { worker_id: 'w-scaled' })).body;
    expect(claimed.rollout_id).toBe(created!.rollout_id);
    expect((await ownerApi<{ status: string }>('GET', `/api/v1/rollouts/${claimed.rollout_id}`)).body.status).toBe('preparing');
    expect(await send(receivers[1]!, callPayload('7e000000000000000000000000000001', claimed.rollout_id, 'beat?', 'yes', claimed.attempt_id))).toBe(200);
    const view = await eventually(async () => {
      const v = (await ownerApi<{ status: string; attempts: { last_heartbeat_at: string | null }[] }>('GET', `/api/v1/rollouts/${claimed.rollout_id}`)).body;
      return v.status === 'running' && v;
    }, 'the attempt to run after its span reached a receiver');
    expect(view.attempts[0]!.last_heartbeat_at).not.toBeNull();
    const metrics = await (await fetch(`${receivers[1]!.httpUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
    expect(metrics).toMatch(/tracelight_forwarded_heartbeats_total\{outcome="sent"\} [1-9]/);
  });

  it('serves no REST API or web UI, and names the owner in the answer', async () => {
    const res = await fetch(`${receivers[0]!.httpUrl}/api/v1/rollouts`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toBe(
      `no route GET /api/v1/rollouts; this is a receiver (OTLP only); the REST API and web UI are served by ${owner.httpUrl}`,
    );
    expect((await fetch(`${receivers[0]!.httpUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${receivers[0]!.httpUrl}/readyz`)).status).toBe(200);
  });

  it('refuses to start without a shared ClickHouse server, or with jobs to run', async () => {
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, [CLI_PATH, 'serve', '--port', '0', '--no-grpc', ...args], { cwd: REPO_ROOT, timeout: 30_000 }).then(
        () => '',
        (err: { stderr: string }) => err.stderr.trim(),
      );
    expect(await run(['--role', 'receiver', '--owner-url', owner.httpUrl, '--data', join(dir, 'x')])).toContain(
      'a receiver (--role receiver) writes to a ClickHouse server shared with its owner: set --clickhouse-url',
    );
    expect(await run(['--role', 'receiver', '--clickhouse-url', ch.url])).toContain(
      'a receiver (--role receiver) needs --owner-url, the serving process that owns the rollout queue',
    );
    expect(await run(['--role', 'receiver', '--owner-url', owner.httpUrl, '--clickhouse-url', ch.url, '--config', join(dir, 'jobs.yaml')])).toContain(
      '--config: training jobs run in the owner process, not in a receiver (--role receiver)',
    );
  });
});
