// The attacks that once got through, replayed against the real server (fastify + embedded chDB) with
// scoped API keys: encoded paths that routed past a raw-URL auth check, SQL that the engine ran as several
// statements or with readonly lowered, a regex that backtracks exponentially, a request of a million spans,
// a gRPC message sent without a key. Each must now fail to do harm, and the server must keep serving.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/server.js';
import { encodeProtoRequest, makeSpans, randomSpanId, randomTraceId } from '../support/otlp-payloads.js';

const KEYS = { admin: 'admin-key-1', ingest: 'ingest-key-2', read: 'read-key-3', worker: 'worker-key-4' };
const MAX_ITEMS = 1000;

let server: RunningServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tl-security-'));
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    grpcPort: 0,
    apiKeys: [KEYS.admin, `ingest:${KEYS.ingest}`, `read:${KEYS.read}`, `worker:${KEYS.worker}`],
    maxItemsPerRequest: MAX_ITEMS,
    store: { dataDir, batch: { flushIntervalMs: 10 } },
  });
});

afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function call(method: string, path: string, opts: { key?: string; json?: unknown; body?: Buffer; type?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: string | Buffer | undefined;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.body) {
    headers['content-type'] = opts.type ?? 'application/x-protobuf';
    body = opts.body;
  }
  return fetch(`${server.httpUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
}

async function spansNamed(name: string): Promise<number> {
  await server.store.writer.drain();
  const rows = await server.store.driver.query<{ n: string }>('SELECT count() AS n FROM otel_traces WHERE SpanName = {n:String}', { n: name });
  return Number(rows[0]?.n ?? 0);
}

describe('authentication on the matched route', () => {
  it('refuses encoded spellings of every protected path without a key', async () => {
    const attempts: [string, string, unknown?][] = [
      ['POST', '/%61pi/v1/query', { sql: 'SELECT 1' }],
      ['GET', '/%61pi/v1/rollouts'],
      ['POST', '/%61pi/v1/rollouts', { input: { q: 1 } }],
      ['GET', '/%61pi/v1/resources'],
      ['GET', '/api/v1/%72esources'],
      ['GET', '/api/v1/triplets'],
      ['GET', '/metrics'],
    ];
    for (const [method, path, json] of attempts) {
      const res = await call(method, path, json === undefined ? {} : { json });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    for (const path of ['/v1/trace%73', '/%761/traces', '/v1/traces']) {
      const name = `smuggled-${path}`;
      const res = await call('POST', path, { body: encodeProtoRequest([{ name }]) });
      expect(res.status, path).toBe(401);
      expect(await spansNamed(name)).toBe(0);
    }
    // Nothing was enqueued by the unauthenticated POST.
    const listed = await (await call('GET', '/api/v1/rollouts', { key: KEYS.read })).json();
    expect(listed).toMatchObject({ rollouts: [] });
  });

  it('leaves only health open, and /readyz says nothing about the store to strangers', async () => {
    expect((await call('GET', '/healthz')).status).toBe(200);
    const open = await (await call('GET', '/readyz')).json();
    expect(open).toEqual({ status: 'ready', store: 'embedded' });
    expect(JSON.stringify(open)).not.toContain(dataDir);
    const detailed = await (await call('GET', '/readyz', { key: KEYS.read })).json();
    expect(detailed).toMatchObject({ status: 'ready', location: expect.stringContaining('tl-security-') });
    // Unknown routes need a key too, so probing learns nothing; with one, they are plain 404s.
    expect((await call('GET', '/api/v1/nothing-here')).status).toBe(401);
    expect((await call('GET', '/api/v1/nothing-here', { key: KEYS.read })).status).toBe(404);
  });

  it('gives each key only its scopes', async () => {
    const name = `scoped-${randomSpanId()}`;
    // ingest: OTLP and rewards, nothing else.
    expect((await call('POST', '/v1/traces', { key: KEYS.ingest, body: encodeProtoRequest([{ name }]) })).status).toBe(200);
    expect(await spansNamed(name)).toBe(1);
    for (const [method, path, json] of [
      ['POST', '/api/v1/query', { sql: 'SELECT 1' }],
      ['POST', '/api/v1/resources/p/labels/production', { version: 1 }],
      ['POST', '/api/v1/rollouts', { input: {} }],
      ['POST', '/api/v1/rollouts/claim', { worker_id: 'w' }],
    ] as const) {
      const res = await call(method, path, { key: KEYS.ingest, json });
      expect(res.status, `${method} ${path} with the ingest key`).toBe(403);
      expect(((await res.json()) as { error: string }).error).toMatch(/lacks the .* scope/);
    }
    // read: SQL and triplets, but it may not move labels or write resources.
    expect((await call('POST', '/api/v1/query', { key: KEYS.read, json: { sql: 'SELECT 1 AS one' } })).status).toBe(200);
    expect((await call('POST', '/api/v1/resources/p/versions', { key: KEYS.read, json: { kind: 'prompt_template', value: 'x' } })).status).toBe(403);
    expect((await call('POST', '/v1/traces', { key: KEYS.read, body: encodeProtoRequest([{ name }]) })).status).toBe(403);
    // worker: reads resources, may not run SQL.
    expect((await call('GET', '/api/v1/resources', { key: KEYS.worker })).status).toBe(200);
    expect((await call('POST', '/api/v1/query', { key: KEYS.worker, json: { sql: 'SELECT 1' } })).status).toBe(403);
    // admin holds every scope.
    expect((await call('POST', '/api/v1/query', { key: KEYS.admin, json: { sql: 'SELECT 1 AS one' } })).status).toBe(200);
    expect((await call('GET', '/metrics', { key: KEYS.admin })).status).toBe(200);
  });

  it('refuses a gRPC export without a key before taking in its message', async () => {
    const client = new grpc.Client(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
    const big = Buffer.alloc(4 * 1024 * 1024, 1); // not even valid protobuf: it must never be read
    const err = await new Promise<grpc.ServiceError | null>((resolve) => {
      client.makeUnaryRequest(
        '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        (b: Buffer) => b,
        (b: Buffer) => b,
        big,
        new grpc.Metadata(),
        (e) => resolve(e),
      );
    });
    client.close();
    expect(err?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(err?.details).toMatch(/missing or invalid API key/);
  });
});

describe('the SQL API', () => {
  it('runs one read-only statement, parsed by the engine, whatever the text hides', async () => {
    const outfile = join(tmpdir(), `tl-pwn-${process.pid}.mjs`);
    for (const sql of [
      "SELECT $$'$$; CREATE TABLE x (a Int8) ENGINE=Memory; SELECT 1 --'",
      `SELECT 'export default 1' INTO OUTFILE '${outfile}' TRUNCATE FORMAT RawBLOB`,
      "SELECT * FROM file('/proc/self/environ', 'RawBLOB')",
      "SELECT file('/etc/passwd')",
      "SELECT * FROM url('http://127.0.0.1:1/', 'CSV')",
      'SELECT * FROM (SELECT 1 SETTINGS readonly = 0)',
    ]) {
      const res = await call('POST', '/api/v1/query', { key: KEYS.read, json: { sql } });
      expect(res.status, sql).toBe(400);
      expect(((await res.json()) as { error: string }).error.split('\n')).toHaveLength(1);
    }
    expect(existsSync(outfile)).toBe(false);
    const tables = (await (await call('POST', '/api/v1/query', { key: KEYS.read, json: { sql: 'SHOW TABLES' } })).json()) as { rows: { name: string }[] };
    expect(tables.rows.map((r) => r.name)).not.toContain('x');
  });

  it('keeps OTLP acknowledgements flowing while a long user query runs, and stops that query at its bound', async () => {
    const slow = call('POST', '/api/v1/query', { key: KEYS.read, json: { sql: 'SELECT count() FROM numbers_mt(1e12) WHERE sipHash64(number) % 7 = 1' } });
    await new Promise((r) => setTimeout(r, 300));
    const name = `during-query-${randomSpanId()}`;
    const started = Date.now();
    const res = await call('POST', '/v1/traces', { key: KEYS.ingest, body: encodeProtoRequest([{ name }]) });
    expect(res.status).toBe(200);
    expect(await spansNamed(name)).toBe(1);
    // Acknowledged while the query still runs (it is bounded at 30 s by default).
    expect(Date.now() - started).toBeLessThan(10_000);
    const ready = await call('GET', '/readyz');
    expect(ready.status).toBe(200);
    // The client gives up: aborting the fetch cancels the query in the engine (checked on system.processes).
    const ac = new AbortController();
    const abandoned = fetch(`${server.httpUrl}/api/v1/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEYS.read}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql: 'SELECT count() FROM numbers_mt(2e12) WHERE sipHash64(number) % 11 = 1' }),
      signal: ac.signal,
    }).catch(() => null);
    await new Promise((r) => setTimeout(r, 300));
    ac.abort();
    await abandoned;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const left = await server.store.driver.query<{ n: string }>(
        "SELECT count() AS n FROM system.processes WHERE query LIKE '%% 11 = 1%' AND query NOT LIKE '%system.processes%'",
      );
      if (left[0]?.n === '0') break;
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 100));
    }
    void slow.catch(() => undefined);
  }, 60_000);
});

describe('requests that cost the server more than they are worth', () => {
  it('filters agents with RE2 in the engine: a catastrophic pattern returns at once', async () => {
    const started = Date.now();
    const res = await call('GET', `/api/v1/triplets?agent=${encodeURIComponent('^(a+)+$')}`, { key: KEYS.read });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5000);
    const long = await call('GET', `/api/v1/triplets?agent=${'a'.repeat(300)}`, { key: KEYS.read });
    expect(long.status).toBe(400);
    expect(((await long.json()) as { error: string }).error).toMatch(/longer than 256 characters/);
  });

  it('refuses a request with more items than the limit whole, naming the limit, and stores none of it', async () => {
    const name = `too-many-${randomSpanId()}`;
    const spans = makeSpans({ count: MAX_ITEMS + 1, contentBytes: 8 }).map((s) => ({ ...s, name }));
    const res = await call('POST', '/v1/traces', { key: KEYS.ingest, body: encodeProtoRequest(spans) });
    expect(res.status).toBe(413);
    const json = await call('POST', '/v1/traces', {
      key: KEYS.ingest,
      body: Buffer.from(
        JSON.stringify({
          resourceSpans: [
            { scopeSpans: [{ spans: spans.map((s) => ({ traceId: randomTraceId(), spanId: s.spanId, name, startTimeUnixNano: '1', endTimeUnixNano: '2' })) }] },
          ],
        }),
      ),
      type: 'application/json',
    });
    expect(json.status).toBe(413);
    expect(((await json.json()) as { message: string }).message).toMatch(/more than the limit of 1000 per request/);
    expect(await spansNamed(name)).toBe(0);
    // Still serving.
    expect((await call('POST', '/v1/traces', { key: KEYS.ingest, body: encodeProtoRequest([{ name: `${name}-small` }]) })).status).toBe(200);
  });
});

describe('one badly typed span', () => {
  it('costs only its own unstorable values: no 503 for anyone, no duplicate raw rows, counted on /metrics', async () => {
    const poison = (i: number, attrs: Record<string, string>) =>
      encodeProtoRequest([
        { name: `poison-${i}`, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm', 'gen_ai.system': 'openai', ...attrs } },
      ]);
    const bad: Record<string, string>[] = [
      { 'gen_ai.usage.input_tokens': '-5' },
      { 'tracelight.llm.prompt_token_ids': '[1.5]' },
      { 'tracelight.llm.prompt_token_ids': '[-1]' },
      { 'tracelight.llm.prompt_token_ids': '[1e300]' },
      { 'gen_ai.usage.output_tokens': '99999999999' },
    ];
    for (const [i, attrs] of bad.entries()) {
      const res = await call('POST', '/v1/traces', { key: KEYS.ingest, body: poison(i, attrs) });
      expect(res.status, JSON.stringify(attrs)).toBe(200);
      // An innocent request right after is served as usual: the store never looked down.
      expect((await call('POST', '/v1/traces', { key: KEYS.ingest, body: encodeProtoRequest([{ name: `innocent-${i}` }]) })).status).toBe(200);
    }
    for (let i = 0; i < bad.length; i++) expect(await spansNamed(`poison-${i}`)).toBe(1);
    expect((await call('GET', '/readyz')).status).toBe(200);
    const calls = await server.store.driver.query<{ input_tokens: number | null; output_tokens: number | null; ids: number[] }>(
      "SELECT input_tokens, output_tokens, prompt_token_ids AS ids FROM llm_calls WHERE request_model = 'm' ORDER BY start_time, span_id",
    );
    expect(calls).toHaveLength(bad.length);
    for (const c of calls) {
      expect(c.input_tokens).toBeNull();
      expect(c.output_tokens).toBeNull(); // 99999999999 is dropped, not wrapped to 1215752191
      expect(c.ids).toEqual([]);
    }
    const metrics = await (await call('GET', '/metrics', { key: KEYS.read })).text();
    expect(Number(/^tracelight_dropped_values_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(bad.length);
  });
});

describe('REST bodies under fuzzing', () => {
  it('answers hostile JSON with a 4xx that names the problem, never a 5xx', async () => {
    let a = 424242;
    const r = (): number => (a = (a * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const values = [null, true, -1, 1e308, '', 'x'.repeat(5000), '../../etc/passwd', [], {}, [[[[]]]], { __proto__: { admin: true } }, '\u0000', 'NaN'];
    const pick = (): unknown => values[Math.floor(r() * values.length)];
    const body = (): unknown => {
      const o: Record<string, unknown> = {};
      for (const k of [
        'sql',
        'params',
        'input',
        'worker_id',
        'wait_ms',
        'kind',
        'value',
        'version',
        'name',
        'trace_id',
        'reward',
        'status',
        'mode',
        'metadata',
        'limit',
      ])
        if (r() < 0.4) o[k] = pick();
      return r() < 0.1 ? pick() : o;
    };
    const targets: [string, string][] = [
      ['POST', '/api/v1/query'],
      ['POST', '/api/v1/rollouts'],
      ['POST', '/api/v1/rollouts/claim'],
      ['POST', '/api/v1/rollouts/wait'],
      ['POST', '/api/v1/rewards'],
      ['POST', '/api/v1/resources/fuzz/versions'],
      ['POST', '/api/v1/resources/fuzz/labels/production'],
      ['POST', '/api/v1/rollouts/r-1/attempts/a-1/complete'],
    ];
    for (let i = 0; i < 160; i++) {
      const [method, path] = targets[i % targets.length] as [string, string];
      const sent = body();
      const res = await call(method, path, { key: KEYS.admin, json: sent });
      expect(res.status, `${method} ${path} ${JSON.stringify(sent)?.slice(0, 200)}`).toBeLessThan(500);
      if (res.status >= 400) expect(((await res.json()) as { error: string }).error).toMatch(/\S/);
    }
    expect((await call('GET', '/healthz')).status).toBe(200);
  }, 60_000);
});

describe('the API describes itself and answers errors in one shape', () => {
  it('serves an OpenAPI document built from the route schemas, to any valid key only', async () => {
    expect((await call('GET', '/api/v1/openapi.json')).status).toBe(401);
    const res = await call('GET', '/api/v1/openapi.json', { key: KEYS.ingest });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown>; required?: string[] } }> };
            parameters?: { name: string; in: string }[];
          }
        >
      >;
    };
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of [
      '/api/v1/query',
      '/api/v1/triplets',
      '/api/v1/rewards',
      '/api/v1/resources/{name}',
      '/api/v1/rollouts/claim',
      '/api/v1/rollouts/{id}/attempts/{attempt}/complete',
    ]) {
      expect(doc.paths[p], p).toBeDefined();
    }
    // Every route the server serves is described, with its method (the description's own route aside).
    const missing = server.routes
      .filter((r) => r.url !== '/api/v1/openapi.json')
      .filter((r) => !doc.paths[r.url.replace(/:([A-Za-z_]+)/g, '{$1}')]?.[r.method.toLowerCase() as 'get'])
      .map((r) => `${r.method} ${r.url}`);
    expect(server.routes.length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
    const claim = doc.paths['/api/v1/rollouts/claim']?.post?.requestBody?.content['application/json']?.schema;
    expect(claim?.required).toContain('worker_id');
    expect(doc.paths['/api/v1/triplets']?.get?.parameters?.map((q) => q.name)).toEqual(
      expect.arrayContaining(['rollout', 'agent', 'since', 'policy', 'limit', 'cursor']),
    );
  });

  it('names the subject and field of a refused request, with the status of its kind', async () => {
    const claim = await call('POST', '/api/v1/rollouts/claim', { key: KEYS.worker, json: { wait_ms: 5 } });
    expect(claim.status).toBe(400);
    expect(((await claim.json()) as { error: string }).error).toMatch(/^invalid claim: worker_id: /);
    const limit = await call('GET', '/api/v1/triplets?limit=0', { key: KEYS.read });
    expect(limit.status).toBe(400);
    expect(((await limit.json()) as { error: string }).error).toMatch(/^invalid triplets query: query\.limit: /);
    const missing = await call('GET', '/api/v1/rollouts/ro-nowhere', { key: KEYS.read });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toMatch(/ro-nowhere/);
  });
});
