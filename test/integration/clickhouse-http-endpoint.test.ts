// The read-only ClickHouse HTTP endpoint of `tracelight serve --clickhouse-http-port`, through the clients that
// speak it: @clickhouse/client, Python's clickhouse-connect, and requests shaped like Grafana's data source
// (clickhouse-go over HTTP: the SQL as the body, Native results in its protocol revision's layout). The store
// holds what the demo leaves, so every dashboard panel in deploy/grafana runs through it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ClickHouseError, ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../server/server.js';
import { CLI_PATH, cliBuilt, REPO_ROOT, startCliServer, type CliServer } from '../support/cli-process.js';
import { expandMacros } from '../support/grafana-macros.js';
import { decodeNative } from '../support/native-decoder.js';
import { pythonEnv } from '../support/python-env.js';

const run = promisify(execFile);
const READ_KEY = 'grafana-read-key-1234';
const INGEST_KEY = 'agent-ingest-key-5678';
/** The protocol revision clickhouse-go announces (and so the Native layout Grafana decodes). */
const GO_REVISION = 54460;

interface Panel {
  title: string;
  type: string;
  targets: { rawSql?: string }[];
}
const panels = readdirSync(join(REPO_ROOT, 'deploy', 'grafana', 'dashboards'))
  .filter((f) => f.endsWith('.json'))
  .flatMap((f) =>
    (JSON.parse(readFileSync(join(REPO_ROOT, 'deploy', 'grafana', 'dashboards', f), 'utf8')) as { uid: string; panels: Panel[] }).panels.map((p) => ({
      ...p,
      file: f,
    })),
  )
  .flatMap((p) => p.targets.filter((t) => t.rawSql !== undefined).map((t) => ({ what: `${p.file} / ${p.title}`, type: p.type, rawSql: t.rawSql as string })));

const dir = mkdtempSync(join(tmpdir(), 'tl-ch-endpoint-'));
let server: CliServer;
let chUrl: string;
let client: ClickHouseClient;
const clients: ClickHouseClient[] = [];

function makeClient(password: string): ClickHouseClient {
  const c = createClient({ url: chUrl, username: 'grafana', password, log: { level: ClickHouseLogLevel.OFF } });
  clients.push(c);
  return c;
}

function basic(password: string, user = 'grafana'): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function rejection(promise: Promise<unknown>): Promise<ClickHouseError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ClickHouseError) return err;
    throw err;
  }
  throw new Error('expected the request to be refused');
}

/** A request the way clickhouse-go sends one over HTTP for Grafana: POSTed SQL, Native in its revision. */
async function grafanaQuery(sql: string): Promise<Response> {
  const search = new URLSearchParams({ default_format: 'Native', client_protocol_version: String(GO_REVISION), limit: '1000', database: 'default' });
  return fetch(`${chUrl}/?${search}`, { method: 'POST', headers: { Authorization: basic(READ_KEY), 'Accept-Encoding': 'gzip' }, body: sql });
}

const range = { from: new Date(Date.now() - 86_400_000), to: new Date(Date.now() + 3_600_000), intervalMs: 60_000 };

beforeAll(async () => {
  if (!cliBuilt()) return;
  await run(process.execPath, [CLI_PATH, 'demo', '--data', join(dir, 'data'), '--format', 'jsonl'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
  server = await startCliServer({
    dataDir: join(dir, 'data'),
    args: ['--clickhouse-http-port', '0', '--api-key', `read:${READ_KEY}`, '--api-key', `ingest:${INGEST_KEY}`],
  });
  chUrl = /ClickHouse\s+(http:\/\/\S+)/.exec(server.stdout())?.[1] as string;
  client = makeClient(READ_KEY);
}, 240_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(cliBuilt())('the ClickHouse HTTP endpoint of tracelight serve', () => {
  it('says at start where it listens and that the password is a read key', () => {
    expect(server.stdout()).toMatch(/ClickHouse\s+http:\/\/127\.0\.0\.1:\d+\s+\(read-only HTTP interface; password: an API key with the read scope\)/);
    expect(chUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers /ping and the bare root, as health checks expect', async () => {
    const ping = await fetch(`${chUrl}/ping`);
    expect([ping.status, await ping.text()]).toEqual([200, 'Ok.\n']);
    const root = await fetch(`${chUrl}/`);
    expect([root.status, await root.text()]).toEqual([200, 'Ok.\n']);
    expect((await client.ping()).success).toBe(true);
  });

  it('runs @clickhouse/client queries with bound parameters, in JSON, JSONEachRow and CSV, with the numbers the query API gives', async () => {
    const params = { n: 42, s: "it's a \\ and a\ttab", models: ['simulated-model', "o'hare"] };
    const echo = await client.query({
      query: 'SELECT {n:UInt64} AS n, {s:String} AS s, {models:Array(String)} AS models',
      query_params: params,
      format: 'JSONEachRow',
    });
    expect(await echo.json()).toEqual([{ n: '42', s: params.s, models: params.models }]);

    const sql = 'SELECT request_model AS model, count() AS calls FROM llm_calls WHERE start_time >= {since:DateTime64(9)} GROUP BY model ORDER BY model';
    const since = '2000-01-01 00:00:00';
    // What the query API answers for the same statement, under the same key.
    const api = await fetch(`${server.httpUrl}/api/v1/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${READ_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql, params: { since } }),
    });
    const expected = ((await api.json()) as { rows: { model: string; calls: string }[] }).rows;
    expect(expected.length).toBeGreaterThan(0);

    const json = await client.query({ query: sql, query_params: { since }, format: 'JSON' });
    const body = await json.json<{ model: string; calls: string }>();
    expect(body.meta?.map((m) => m.name)).toEqual(['model', 'calls']);
    expect(body.data).toEqual(expected);

    const csv = await client.query({ query: sql, query_params: { since }, format: 'CSV' });
    expect((await csv.text()).trim().split('\n')).toEqual(expected.map((r) => `"${r.model}",${r.calls}`));
  });

  it('answers what Grafana’s data source asks when it connects and when it lists databases, tables and columns', async () => {
    const native = async (sql: string): Promise<ReturnType<typeof decodeNative>> => {
      const res = await grafanaQuery(sql);
      const raw = Buffer.from(await res.arrayBuffer());
      expect(res.status, `${sql}: ${raw.toString('utf8').slice(0, 300)}`).toBe(200);
      return decodeNative(raw, GO_REVISION);
    };
    const hello = await native('SELECT displayName(), version(), revision(), timezone()');
    expect(hello.map((c) => c.type)).toEqual(['String', 'String', 'UInt32', 'String']);
    expect(hello[1]?.values[0]).toMatch(/^\d+\.\d+/);
    const ping = await native('SELECT 1');
    expect(ping.map((c) => [c.name, c.values])).toEqual([['1', [1]]]);
    expect((await native('SHOW DATABASES'))[0]?.values).toContain('default');
    expect((await native('SHOW TABLES FROM default'))[0]?.values).toEqual(expect.arrayContaining(['llm_calls', 'otel_traces', 'rewards']));
    const columns = await native('DESC TABLE default.llm_calls');
    expect(columns[0]?.values).toEqual(expect.arrayContaining(['trace_id', 'start_time', 'request_model']));
  });

  it('runs every Grafana dashboard panel in Native, laid out for clickhouse-go, with the columns its panel needs', async () => {
    expect(panels.length).toBeGreaterThanOrEqual(12);
    for (const p of panels) {
      const sql = expandMacros(p.rawSql, range);
      const res = await grafanaQuery(sql);
      const raw = Buffer.from(await res.arrayBuffer());
      expect(res.status, `${p.what}: ${raw.toString('utf8').slice(0, 300)}`).toBe(200);
      expect(res.headers.get('x-clickhouse-format')).toBe('Native');
      const columns = decodeNative(raw, GO_REVISION);
      // The same query in JSON names the same columns and counts the same rows.
      const json = await (await client.query({ query: sql, format: 'JSONCompact' })).json<unknown[]>();
      expect(
        columns.map((c) => c.name),
        p.what,
      ).toEqual(json.meta?.map((m) => m.name));
      expect(columns[0]?.values.length, p.what).toBe(json.rows);
      expect(json.rows, `${p.what}: rows from the demo's data`).toBeGreaterThan(0);
      if (p.type === 'timeseries') {
        expect(columns[0]?.name, p.what).toBe('time');
        expect(columns[0]?.type, p.what).toMatch(/^DateTime/);
      }
    }
  });

  it('serves Python clickhouse-connect (its protocol probe, Native, a bound parameter) and every panel through it', async () => {
    const python = await pythonEnv('clickhouse-connect', ['clickhouse-connect==0.8.18']);
    const script = join(dir, 'panels.py');
    writeFileSync(
      script,
      [
        'import json, sys',
        'import clickhouse_connect',
        'cfg = json.load(sys.stdin)',
        "c = clickhouse_connect.get_client(host=cfg['host'], port=cfg['port'], username='grafana', password=cfg['key'])",
        "out = {'protocol': c.protocol_version, 'panels': []}",
        "r = c.query('SELECT {m:String} AS m, count() AS n FROM llm_calls WHERE request_model = {m:String}', parameters={'m': cfg['model']})",
        "out['bound'] = [list(r.column_names), [list(x) for x in r.result_rows]]",
        "for sql in cfg['queries']:",
        '    r = c.query(sql)',
        "    out['panels'].append({'columns': list(r.column_names), 'rows': len(r.result_rows)})",
        'try:',
        "    c.command('DROP TABLE llm_calls')",
        'except Exception as e:',
        "    out['drop'] = str(e).strip().splitlines()[-1]",
        'print(json.dumps(out))',
      ].join('\n'),
    );
    const model = ((await (await client.query({ query: 'SELECT any(request_model) AS m FROM llm_calls', format: 'JSONEachRow' })).json()) as { m: string }[])[0]
      ?.m as string;
    const sqls = panels.map((p) => expandMacros(p.rawSql, range));
    const url = new URL(chUrl);
    const child = execFile(python, [script], { maxBuffer: 16 * 1024 * 1024 });
    child.stdin?.end(JSON.stringify({ host: url.hostname, port: Number(url.port), key: READ_KEY, model, queries: sqls }));
    const stdout = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout?.on('data', (c: string) => (out += c));
      child.stderr?.on('data', (c: string) => (err += c));
      child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`clickhouse-connect script failed (${code}): ${err}`))));
    });
    const result = JSON.parse(stdout) as { protocol: number; bound: [string[], unknown[][]]; panels: { columns: string[]; rows: number }[]; drop: string };
    // It uses the block layout of revision 54405 once it has seen the endpoint honour client_protocol_version.
    expect(result.protocol).toBe(54405);
    expect(result.bound[0]).toEqual(['m', 'n']);
    expect(result.bound[1][0]?.[0]).toBe(model);
    expect(Number(result.bound[1][0]?.[1])).toBeGreaterThan(0);
    for (const [i, p] of panels.entries()) {
      const json = await (await client.query({ query: sqls[i] as string, format: 'JSONCompact' })).json<unknown[]>();
      expect(result.panels[i]?.columns, p.what).toEqual(json.meta?.map((m) => m.name));
      expect(result.panels[i]?.rows, p.what).toBe(json.rows);
    }
    expect(result.drop).toMatch(/Code: 164\. DB::Exception: read-only endpoint: .*got DROP\. \(READONLY\)/);
  }, 600_000);

  it('re-lays Native for the revision asked, and the values read back as in JSON', async () => {
    const sql =
      "SELECT number AS n, toString(number) AS s, toLowCardinality(toString(number % 2)) AS lc, [number, 1] AS arr, if(number = 1, NULL, number) AS maybe, toDateTime64('2025-01-02 03:04:05.678', 3, 'UTC') AS at FROM numbers(3)";
    const want = await (await client.query({ query: sql, format: 'JSONCompactEachRow' })).json<unknown[]>();
    for (const revision of [0, 54405, GO_REVISION]) {
      const res = await fetch(`${chUrl}/?default_format=Native&client_protocol_version=${revision}`, {
        method: 'POST',
        headers: { 'X-ClickHouse-Key': READ_KEY },
        body: sql,
      });
      expect(res.status).toBe(200);
      const columns = decodeNative(Buffer.from(await res.arrayBuffer()), revision);
      expect(columns.map((c) => c.name)).toEqual(['n', 's', 'lc', 'arr', 'maybe', 'at']);
      const rows = want.map((_, r) => columns.map((c) => c.values[r]));
      expect(rows.map((r) => [r[0], r[1], r[2], (r[3] as string[]).map(String), r[4], r[5]])).toEqual(
        want.map((w) => {
          const [n, s, lc, arr, maybe] = w as [string, string, string, string[], string | null];
          return [n, s, lc, arr, maybe, '2025-01-02T03:04:05.678Z'];
        }),
      );
    }
  });

  it('refuses writes, table functions and limit-lifting settings with one ClickHouse-style line, and nothing changes', async () => {
    const before = ((await (await client.query({ query: 'SELECT count() AS n FROM llm_calls', format: 'JSONEachRow' })).json()) as { n: string }[])[0]?.n;
    const refusals: [string, string, number, RegExp][] = [
      ["INSERT INTO rewards (name, value) VALUES ('x', 1)", '', 164, /got INSERT/],
      ['CREATE TABLE pwn (a Int8) ENGINE = Memory', '', 164, /got CREATE/],
      ['DROP TABLE llm_calls', '', 164, /got DROP/],
      ['ALTER TABLE llm_calls DELETE WHERE 1', '', 164, /got ALTER/],
      ['OPTIMIZE TABLE llm_calls FINAL', '', 164, /got OPTIMIZE/],
      ['SYSTEM DROP MARK CACHE', '', 164, /got SYSTEM/],
      ["SELECT * FROM file('/etc/passwd')", '', 497, /table function file\(\) is not allowed/],
      ["SELECT * FROM url('http://127.0.0.1:1/x', 'CSV')", '', 497, /table function url\(\) is not allowed/],
      ['SELECT * FROM system.processes', '', 497, /system\.processes is not readable/],
      ['SELECT 1 SETTINGS readonly = 0', '', 164, /SETTINGS clause is not allowed/],
      ['SELECT 1 FORMAT Native SETTINGS readonly = 0', '', 164, /SETTINGS clause is not allowed/],
      ['SELECT 1', 'max_execution_time=1000000', 164, /max_execution_time=1000000 is not allowed: it would lift the server's limit of 30/],
      ['SELECT 1', 'max_result_rows=0', 164, /max_result_rows=0 is not allowed/],
      ['SELECT 1', 'readonly=0', 164, /readonly=0 is not allowed/],
      ['SELECT 1', 'allow_ddl=1', 164, /allow_ddl=1 is not allowed/],
    ];
    for (const [sql, settings, code, why] of refusals) {
      const res = await fetch(`${chUrl}/?${settings}`, { method: 'POST', headers: { Authorization: basic(READ_KEY) }, body: sql });
      const text = await res.text();
      expect(res.status, sql).toBe(403);
      expect(res.headers.get('x-clickhouse-exception-code'), sql).toBe(String(code));
      expect(text, sql).toMatch(/^Code: \d+\. DB::Exception: read-only endpoint: [^\n]+\. \((READONLY|ACCESS_DENIED)\) \(version [^)\n]+\)\n$/);
      expect(text, sql).toMatch(why);
    }
    const err = await rejection(client.command({ query: 'DROP TABLE llm_calls' }));
    expect([err.code, err.type]).toEqual(['164', 'READONLY']);
    const tables = ((await (await client.query({ query: 'SHOW TABLES', format: 'JSONEachRow' })).json()) as { name: string }[]).map((t) => t.name);
    expect(tables).toContain('llm_calls');
    expect(tables).not.toContain('pwn');
    const after = ((await (await client.query({ query: 'SELECT count() AS n FROM llm_calls', format: 'JSONEachRow' })).json()) as { n: string }[])[0]?.n;
    expect(after).toBe(before);
    // A limit may be lowered, and output settings pass: the engine applies them.
    await expect(
      client.query({ query: 'SELECT number FROM numbers(10)', format: 'JSONEachRow', clickhouse_settings: { max_result_rows: '5' } }),
    ).rejects.toThrow(/Limit for result exceeded, max rows: 5/);
    const quoted = await client.query({
      query: 'SELECT toUInt64(7) AS n',
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    expect(await quoted.json()).toEqual([{ n: 7 }]);
  });

  it('needs a key with the read scope as the password, from a header, Basic auth or the URL', async () => {
    const q = `query=${encodeURIComponent('SELECT 1 AS one')}`;
    const none = await fetch(`${chUrl}/?${q}`);
    expect([none.status, none.headers.get('x-clickhouse-exception-code')]).toEqual([401, '194']);
    expect(await none.text()).toMatch(/password is required \(a tracelight API key with the read scope\)/);
    const wrong = await fetch(`${chUrl}/?${q}`, { headers: { Authorization: basic('not-a-key') } });
    expect([wrong.status, wrong.headers.get('x-clickhouse-exception-code')]).toEqual([403, '516']);
    expect(await wrong.text()).toMatch(
      /^Code: 516\. DB::Exception: grafana: Authentication failed: the password is not a tracelight API key\. \(AUTHENTICATION_FAILED\)/,
    );
    const ingest = await fetch(`${chUrl}/?${q}`, { headers: { 'X-ClickHouse-User': 'agent', 'X-ClickHouse-Key': INGEST_KEY } });
    expect([ingest.status, ingest.headers.get('x-clickhouse-exception-code')]).toEqual([403, '497']);
    expect(await ingest.text()).toMatch(/lacks the "read" scope/);
    const ways: Record<string, string>[] = [
      { 'X-ClickHouse-User': 'anyone', 'X-ClickHouse-Key': READ_KEY },
      { Authorization: basic(READ_KEY, 'whoever') },
      { Authorization: `Bearer ${READ_KEY}` },
    ];
    for (const headers of ways) {
      const ok = await fetch(`${chUrl}/?${q}`, { headers });
      expect([ok.status, await ok.text()]).toEqual([200, '1\n']);
    }
    const viaUrl = await fetch(`${chUrl}/?${q}&user=grafana&password=${READ_KEY}`);
    expect([viaUrl.status, await viaUrl.text()]).toEqual([200, '1\n']);
    const err = await rejection(makeClient('wrong-key').query({ query: 'SELECT 1' }));
    expect([err.code, err.type]).toEqual(['516', 'AUTHENTICATION_FAILED']);
  });

  it('bounds every request: body size, query length, and block compression it cannot speak', async () => {
    const huge = await fetch(`${chUrl}/`, { method: 'POST', headers: { Authorization: basic(READ_KEY) }, body: `SELECT '${'x'.repeat(1_100_000)}'` });
    expect([huge.status, huge.headers.get('x-clickhouse-exception-code')]).toEqual([413, '229']);
    expect(await huge.text()).toMatch(/request body is larger than 1048576 bytes/);
    const long = await fetch(`${chUrl}/`, { method: 'POST', headers: { Authorization: basic(READ_KEY) }, body: `SELECT '${'x'.repeat(300_000)}'` });
    expect([long.status, long.headers.get('x-clickhouse-exception-code')]).toEqual([400, '62']);
    expect(await long.text()).toMatch(/Max query size exceeded/);
    const lz4 = await fetch(`${chUrl}/?compress=1`, { method: 'POST', headers: { Authorization: basic(READ_KEY) }, body: 'SELECT 1' });
    expect([lz4.status, lz4.headers.get('x-clickhouse-exception-code')]).toEqual([501, '48']);
    expect(await lz4.text()).toMatch(/block compression .* choose gzip or no compression/);
    const otherDb = await fetch(`${chUrl}/?database=system`, { method: 'POST', headers: { Authorization: basic(READ_KEY) }, body: 'SELECT 1' });
    expect([otherDb.status, otherDb.headers.get('x-clickhouse-exception-code')]).toEqual([404, '81']);
  });

  it('counts served and refused queries on /metrics', async () => {
    const metrics = await (await fetch(`${server.httpUrl}/metrics`, { headers: { authorization: `Bearer ${READ_KEY}` } })).text();
    const count = (outcome: string): number =>
      Number(new RegExp(`^tracelight_clickhouse_http_queries_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);
    expect(count('served')).toBeGreaterThan(10);
    expect(count('refused')).toBeGreaterThanOrEqual(14);
    expect(count('unauthorized')).toBeGreaterThanOrEqual(3);
  });
});

describe.runIf(cliBuilt())('without API keys', () => {
  let open: CliServer;
  afterAll(async () => {
    await open?.stop();
  });

  it('is open, says so at start, and is still read-only', async () => {
    open = await startCliServer({ dataDir: join(dir, 'open'), args: ['--clickhouse-http-port', '0'] });
    expect(open.stdout()).toMatch(
      /ClickHouse\s+http:\/\/\S+\s+\(read-only HTTP interface; open: no API keys, anyone who reaches the port can read the store\)/,
    );
    const url = /ClickHouse\s+(http:\/\/\S+)/.exec(open.stdout())?.[1] as string;
    const anonymous = await fetch(`${url}/?query=${encodeURIComponent('SELECT count() AS n FROM otel_traces FORMAT JSONEachRow')}`);
    expect([anonymous.status, await anonymous.text()]).toEqual([200, '{"n":"0"}\n']);
    const insert = await fetch(`${url}/`, { method: 'POST', body: "INSERT INTO rewards (name, value) VALUES ('x', 1)" });
    expect([insert.status, insert.headers.get('x-clickhouse-exception-code')]).toEqual([403, '164']);
  });
});

describe('in-process options', () => {
  it('refuses the endpoint on a ClickHouse server store, before opening it', async () => {
    await expect(startServer({ port: 0, grpcPort: null, clickhouseHttpPort: 0, store: { clickhouseUrl: 'http://127.0.0.1:1' } })).rejects.toThrow(
      /serves the embedded store; with --clickhouse-url, point Grafana at that ClickHouse server/,
    );
  });

  it('answers a query past its concurrency bound with TOO_MANY_SIMULTANEOUS_QUERIES', async () => {
    const s = await startServer({
      port: 0,
      grpcPort: null,
      clickhouseHttpPort: 0,
      clickhouseHttp: { maxConcurrentQueries: 1 },
      store: { dataDir: join(dir, 'bounded') },
    });
    try {
      const url = s.clickhouseHttpUrl as string;
      const slow = fetch(`${url}/`, { method: 'POST', body: 'SELECT sleep(2)' });
      await new Promise((r) => setTimeout(r, 500));
      const second = await fetch(`${url}/`, { method: 'POST', body: 'SELECT 1' });
      expect([second.status, second.headers.get('x-clickhouse-exception-code'), second.headers.get('retry-after')]).toEqual([503, '202', '1']);
      expect(await second.text()).toMatch(/Too many simultaneous queries\. Maximum: 1/);
      expect((await slow).status).toBe(200);
      const after = await fetch(`${url}/`, { method: 'POST', body: 'SELECT 1' });
      expect([after.status, await after.text()]).toEqual([200, '1\n']);
    } finally {
      await s.close();
    }
  });
});
