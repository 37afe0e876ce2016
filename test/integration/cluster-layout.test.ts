// The cluster schema of `tracelight migrate --cluster`, laid out on one node: the embedded engine is given a
// cluster of one local shard, every table becomes a local table behind a Distributed table, and the whole
// product (OTLP ingest, rewards, triplets, the rollout queue, versioned resources, the SQL API) runs unchanged
// against it, with every row landing in the local tables. ON CLUSTER and Replicated engines need Keeper and a
// server, which this machine has not: those two are left out here and checked in test/unit/cluster-ddl.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/server.js';
import { clusterMigrations, clusterMigrationsTableDdl } from '../../store/index.js';

const CLUSTER = 'tl_test';
const TRACE = '6c8efff798038103d269b633813fc61d';
const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const msgs = (role: string, content: string) => JSON.stringify([{ role, parts: [{ type: 'text', content }] }]);

let dir: string;
let anchor: Session;
let server: RunningServer;

async function api<T = any>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.httpUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

const sql = async <T>(q: string): Promise<T[]> => (await api<{ rows: T[] }>('POST', '/api/v1/query', { sql: q })).body.rows;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-cluster-'));
  const config = join(dir, 'cluster.xml');
  // tcp_port makes the engine recognise localhost:9000 as itself, so the one shard is local (no network).
  writeFileSync(
    config,
    `<clickhouse><tcp_port>9000</tcp_port><remote_servers><${CLUSTER}><shard><internal_replication>true</internal_replication>` +
      `<replica><host>localhost</host><port>9000</port></replica></shard></${CLUSTER}></remote_servers></clickhouse>`,
  );
  const data = join(dir, 'data');
  // The server's store opens the same directory, so it shares this engine and its cluster.
  anchor = new Session(data, { connectionArgs: [`--config-file=${config}`] });
  const layout = { onCluster: false, replicated: false };
  for (const stmt of clusterMigrationsTableDdl(CLUSTER, layout)) anchor.query(stmt);
  for (const m of clusterMigrations(CLUSTER, layout)) {
    for (const stmt of [...m.statements, ...(m.ifSupported ?? [])]) anchor.query(stmt);
    anchor.query(`INSERT INTO tracelight_migrations (id, name) VALUES (${m.id}, '${m.name}')`);
  }
  server = await startServer({ host: '127.0.0.1', port: 0, grpcPort: null, store: { dataDir: data, batch: { flushIntervalMs: 20 } } });
}, 120_000);

afterAll(async () => {
  await server?.close();
  anchor?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the cluster layout on one node', () => {
  it('finds every table already migrated, each a Distributed table over a local MergeTree table', async () => {
    const tables = await sql<{ name: string; engine: string }>(
      "SELECT name, engine FROM system.tables WHERE database = currentDatabase() AND name IN ('otel_traces', 'otel_traces_local', 'llm_calls', 'llm_calls_local', 'rollouts', 'rollouts_local') ORDER BY name",
    );
    expect(tables).toEqual([
      { name: 'llm_calls', engine: 'Distributed' },
      { name: 'llm_calls_local', engine: 'ReplacingMergeTree' },
      { name: 'otel_traces', engine: 'Distributed' },
      { name: 'otel_traces_local', engine: 'MergeTree' },
      { name: 'rollouts', engine: 'Distributed' },
      { name: 'rollouts_local', engine: 'ReplacingMergeTree' },
    ]);
    const plain = await sql<{ name: string }>(
      "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' AND NOT endsWith(name, '_local')",
    );
    expect(plain).toEqual([]);
  });

  it('ingests OTLP through the Distributed tables into the local ones, and the triplet with its reward reads back', async () => {
    const payload = {
      resourceSpans: [
        {
          resource: { attributes: [str('service.name', 'cluster-agent')] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: TRACE,
                  spanId: 'b000000000000001',
                  name: 'agent run',
                  kind: 1,
                  startTimeUnixNano: '1764670000000000000',
                  endTimeUnixNano: '1764670002000000000',
                  attributes: [str('tracelight.rollout.id', 'ro-cluster')],
                },
                {
                  traceId: TRACE,
                  spanId: 'b000000000000002',
                  parentSpanId: 'b000000000000001',
                  name: 'chat sim-small',
                  kind: 3,
                  startTimeUnixNano: '1764670000100000000',
                  endTimeUnixNano: '1764670000900000000',
                  attributes: [
                    str('gen_ai.operation.name', 'chat'),
                    str('gen_ai.request.model', 'sim-small'),
                    str('gen_ai.input.messages', msgs('user', 'What is 3 + 4?')),
                    str('gen_ai.output.messages', msgs('assistant', '7')),
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    const post = await fetch(`${server.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    expect(post.status).toBe(200);
    expect((await api('POST', '/api/v1/rewards', { rollout_id: 'ro-cluster', name: 'correct', value: 1 })).status).toBe(201);
    const [counts] = await sql<{ spans: string; local_spans: string; calls: string; local_calls: string; ts: string }>(
      `SELECT (SELECT count() FROM otel_traces) AS spans, (SELECT count() FROM otel_traces_local) AS local_spans,
              (SELECT count() FROM llm_calls) AS calls, (SELECT count() FROM llm_calls_local) AS local_calls,
              (SELECT count() FROM otel_traces_trace_id_ts_local WHERE TraceId = '${TRACE}') AS ts`,
    );
    expect(counts).toEqual({ spans: '2', local_spans: '2', calls: '1', local_calls: '1', ts: '1' });
    const { body } = await api<{ triplets: { reward: number | null; response: { parts: { content: string }[] } }[] }>(
      'GET',
      '/api/v1/triplets?rollout=ro-cluster',
    );
    expect(body.triplets).toHaveLength(1);
    expect(body.triplets[0]!.response.parts[0]!.content).toBe('7');
    expect(body.triplets[0]!.reward).toBe(1);
    // The span tree reads through the Distributed tables and their time-range index.
    const trace = await api<{ spans: { span_id: string }[] }>('GET', `/api/v1/traces/${TRACE}`);
    expect(trace.body.spans.map((s) => s.span_id).sort()).toEqual(['b000000000000001', 'b000000000000002']);
  });

  it('runs the rollout queue (enqueue, claim, complete with a reward) with its versions collapsed by FINAL', async () => {
    const created = await api<{ rollout_id: string }[]>('POST', '/api/v1/rollouts', { input: { q: 'x' }, mode: 'train' });
    expect(created.status).toBe(201);
    const id = created.body[0]!.rollout_id;
    const claimed = await api<{ rollout_id: string; attempt_id: string }>('POST', '/api/v1/rollouts/claim', { worker_id: 'w1' });
    expect(claimed.body.rollout_id).toBe(id);
    const done = await api('POST', `/api/v1/rollouts/${id}/attempts/${claimed.body.attempt_id}/complete`, { status: 'succeeded', reward: 0.5 });
    expect(done.status).toBe(200);
    const view = await api<{ status: string; attempts: { status: string }[] }>('GET', `/api/v1/rollouts/${id}`);
    expect(view.body).toMatchObject({ status: 'succeeded', attempts: [{ status: 'succeeded' }] });
    const [versions] = await sql<{ n: string }>(`SELECT count() AS n FROM rollouts_local WHERE rollout_id = '${id}'`);
    expect(Number(versions!.n)).toBeGreaterThan(1);
  });

  it('numbers resource versions and moves labels', async () => {
    const v1 = await api('POST', '/api/v1/resources/greeter/versions', { kind: 'prompt_template', content: { template: 'Hi {{name}}' } });
    const v2 = await api('POST', '/api/v1/resources/greeter/versions', { kind: 'prompt_template', content: { template: 'Hello {{name}}' } });
    expect([v1.status, v2.status]).toEqual([201, 201]);
    expect((await api('POST', '/api/v1/resources/greeter/labels/production', { version: 1 })).status).toBe(200);
    const fetched = await api<{ version: number; labels: string[] }>('GET', '/api/v1/resources/greeter');
    expect(fetched.body).toMatchObject({ version: 1, labels: ['production'] });
    expect((await api<{ version: number }>('GET', '/api/v1/resources/greeter?version=2')).body.version).toBe(2);
  });
});
