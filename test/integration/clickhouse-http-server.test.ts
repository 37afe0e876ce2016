// The chDB-backed ClickHouse HTTP test server, driven by the official @clickhouse/client exactly as
// production code drives a real server.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ClickHouseError, ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClickHouseHttpServer, type ClickHouseHttpTestServer } from '../support/clickhouse-http-server.js';

const PASSWORD = 's3cr3t';
const DATABASE = 'tl_http';

interface SpanRow {
  trace_id: string;
  ts: string;
  name: string;
  attrs: Record<string, string>;
  'events.name': string[];
  'events.ts': string[];
  dur: string;
}

let dataDir: string;
let server: ClickHouseHttpTestServer;
let client: ClickHouseClient;
const extraClients: ClickHouseClient[] = [];

function makeClient(overrides: Parameters<typeof createClient>[0] = {}): ClickHouseClient {
  const c = createClient({
    url: server.url,
    username: 'default',
    password: PASSWORD,
    database: DATABASE,
    compression: { request: true, response: true },
    // Expected failures below would otherwise be logged as errors.
    log: { level: ClickHouseLogLevel.OFF },
    ...overrides,
  });
  extraClients.push(c);
  return c;
}

async function rejection(promise: Promise<unknown>): Promise<ClickHouseError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ClickHouseError) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
}

function authHeader(password = PASSWORD): string {
  return `Basic ${Buffer.from(`default:${password}`).toString('base64')}`;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tracelight-ch-http-'));
  server = await startClickHouseHttpServer({ dataDir: join(dataDir, 'chdb'), password: PASSWORD });
  const bootstrap = makeClient({ database: 'default' });
  await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${DATABASE}` });
  client = makeClient();
  await client.command({
    query: `
      CREATE TABLE spans (
        trace_id String,
        ts DateTime64(9),
        name String,
        attrs Map(LowCardinality(String), String),
        events Nested(name String, ts DateTime64(9)),
        dur UInt64
      ) ENGINE = MergeTree ORDER BY (trace_id, ts)`,
  });
});

afterAll(async () => {
  await Promise.all(extraClients.map((c) => c.close()));
  await server?.close();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

describe('ClickHouse HTTP test server with @clickhouse/client', () => {
  it('answers both kinds of ping', async () => {
    expect(await client.ping()).toEqual({ success: true });
    expect(await client.ping({ select: true })).toEqual({ success: true });
  });

  it('inserts JSONEachRow rows from an array of objects', async () => {
    const rows: SpanRow[] = [
      {
        trace_id: 't1',
        ts: '2024-05-01 10:00:00.000000001',
        name: 'chat gpt-4o',
        attrs: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o' },
        'events.name': ['gen_ai.user.message', 'gen_ai.choice'],
        'events.ts': ['2024-05-01 10:00:00.000000002', '2024-05-01 10:00:00.999999999'],
        dur: '18446744073709551615',
      },
      {
        trace_id: 't2',
        ts: '2024-05-01 11:00:00.123456789',
        name: `it's a \\ "trap"`,
        attrs: {},
        'events.name': [],
        'events.ts': [],
        dur: '42',
      },
    ];
    const result = await client.insert({ table: 'spans', values: rows, format: 'JSONEachRow' });
    expect(result.executed).toBe(true);
    expect(result.summary?.written_rows).toBe('2');
  });

  it('inserts a raw JSONEachRow buffer byte for byte', async () => {
    // Semicolons and a missing trailing newline must not confuse the statement/data split.
    const buffer = Buffer.from(
      [
        JSON.stringify({ trace_id: 't3', ts: '2024-05-01 12:00:00', name: 'a;b;', attrs: { k: 'v;' }, dur: 7 }),
        JSON.stringify({ trace_id: 't4', ts: '2024-05-01 13:00:00', name: 'ünïcödé ✓', attrs: {}, dur: 8 }),
      ].join('\n'),
    );
    const result = await client.exec({
      query: 'INSERT INTO spans FORMAT JSONEachRow',
      values: Readable.from([buffer], { objectMode: false }),
    });
    result.stream.resume();
    expect(result.summary?.written_rows).toBe('2');

    const rs = await client.query({
      query: "SELECT name, attrs['k'] AS k FROM spans WHERE trace_id IN ('t3', 't4') ORDER BY trace_id",
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([
      { name: 'a;b;', k: 'v;' },
      { name: 'ünïcödé ✓', k: '' },
    ]);
  });

  it('binds String, UInt64 and DateTime64 query parameters server-side', async () => {
    const rs = await client.query({
      query: `
        SELECT trace_id, ts, attrs, events.name AS event_names, events.ts AS event_ts, dur
        FROM spans
        WHERE name = {name:String} AND dur = {dur:UInt64} AND ts = {ts:DateTime64(9)}`,
      query_params: { name: 'chat gpt-4o', dur: 18446744073709551615n, ts: '2024-05-01 10:00:00.000000001' },
      format: 'JSONEachRow',
      // Per-query setting: 64-bit integers as strings keep the full UInt64 in JavaScript.
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    });
    expect(await rs.json()).toEqual([
      {
        trace_id: 't1',
        ts: '2024-05-01 10:00:00.000000001',
        attrs: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o' },
        event_names: ['gen_ai.user.message', 'gen_ai.choice'],
        event_ts: ['2024-05-01 10:00:00.000000002', '2024-05-01 10:00:00.999999999'],
        dur: '18446744073709551615',
      },
    ]);

    // A setting lives for its request only: turned off for one query, the next one has the server default
    // (quoted 64-bit integers, as on a real ClickHouse server) again.
    const off = await client.query({
      query: "SELECT getSetting('output_format_json_quote_64bit_integers') AS quoted",
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    expect(await off.json()).toEqual([{ quoted: false }]);
    const plain = await client.query({
      query: "SELECT getSetting('output_format_json_quote_64bit_integers') AS quoted",
      format: 'JSONEachRow',
    });
    expect(await plain.json()).toEqual([{ quoted: true }]);
  });

  it('keeps quotes and backslashes inside parameters as data, never SQL', async () => {
    const tricky = `it's a \\ "trap"`;
    const exact = await client.query({
      query: 'SELECT trace_id, name FROM spans WHERE name = {name:String}',
      query_params: { name: tricky },
      format: 'JSONEachRow',
    });
    expect(await exact.json()).toEqual([{ trace_id: 't2', name: tricky }]);

    const injection = `x' OR '1'='1`;
    const none = await client.query({
      query: 'SELECT count() AS n FROM spans WHERE name = {name:String}',
      query_params: { name: injection },
      format: 'JSONEachRow',
    });
    expect(await none.json()).toEqual([{ n: '0' }]);

    const weird = `a'b\\c"d\ne\tf\\'g\\\\`;
    const echoed = await client.query({
      query: 'SELECT {s:String} AS s, {arr:Array(String)} AS arr, {m:Map(String, String)} AS m, {missing:Nullable(String)} AS missing',
      query_params: { s: weird, arr: [weird, "it's"], m: { "k'ey": weird }, missing: null },
      format: 'JSONEachRow',
    });
    expect(await echoed.json()).toEqual([{ s: weird, arr: [weird, "it's"], m: { "k'ey": weird }, missing: null }]);
  });

  it('binds parameters sent as a multipart body', async () => {
    const multipart = makeClient({ use_multipart_params: true });
    const rs = await multipart.query({
      query: 'SELECT trace_id FROM spans WHERE name = {name:String}',
      query_params: { name: `it's a \\ "trap"` },
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([{ trace_id: 't2' }]);
  });

  it('returns JSONEachRow, JSON and TabSeparated results', async () => {
    const eachRow = await client.query({
      query: 'SELECT trace_id, toUInt32(dur) AS d FROM spans WHERE has({ids:Array(String)}, trace_id) ORDER BY trace_id',
      query_params: { ids: ['t2', 't3'] },
      format: 'JSONEachRow',
    });
    expect(await eachRow.json()).toEqual([
      { trace_id: 't2', d: 42 },
      { trace_id: 't3', d: 7 },
    ]);

    const json = await client.query({
      query: 'SELECT count() AS n, max(ts) AS latest FROM spans',
      format: 'JSON',
    });
    const doc = await json.json<{ n: string | number; latest: string }>();
    expect(doc.rows).toBe(1);
    expect(doc.meta).toEqual([
      { name: 'n', type: 'UInt64' },
      { name: 'latest', type: 'DateTime64(9)' },
    ]);
    expect(Number(doc.data[0]?.n)).toBe(4);
    expect(doc.data[0]?.latest).toBe('2024-05-01 13:00:00.000000000');

    const tsv = await client.query({ query: "SELECT 'a\\tb' AS s, 1 AS n", format: 'TabSeparated' });
    expect(await tsv.text()).toBe('a\\tb\t1\n');
  });

  it('runs commands with query parameters and per-request settings', async () => {
    await client.command({
      query: 'INSERT INTO spans (trace_id, ts, name, dur) SELECT {id:String}, {ts:DateTime64(9)}, {name:String}, {dur:UInt64}',
      query_params: { id: 't5', ts: '2024-05-02 00:00:00.5', name: 'from command', dur: 5 },
    });
    await client.command({
      query: 'ALTER TABLE spans DELETE WHERE trace_id = {id:String}',
      query_params: { id: 't5' },
      clickhouse_settings: { mutations_sync: '2' },
    });
    const rs = await client.query({ query: "SELECT count() AS n FROM spans WHERE trace_id = 't5'", format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ n: '0' }]);
  });

  it('accepts a statement and its data together in the body', async () => {
    await client.command({
      query: `INSERT INTO spans FORMAT JSONEachRow\n${JSON.stringify({ trace_id: 't6', ts: '2024-05-04 00:00:00', name: 'inline;', dur: 6 })}`,
    });
    const rs = await client.query({ query: "SELECT name FROM spans WHERE trace_id = 't6'", format: 'JSONEachRow' });
    expect(await rs.json()).toEqual([{ name: 'inline;' }]);
    await client.command({ query: "ALTER TABLE spans DELETE WHERE trace_id = 't6'", clickhouse_settings: { mutations_sync: '2' } });
  });

  it('isolates settings and databases between concurrent requests', async () => {
    const defaultDb = makeClient({ database: 'default' });
    const results = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const target = i % 2 === 0 ? client : defaultDb;
        const rs = await target.query({
          query: "SELECT getSetting('max_threads') AS threads, currentDatabase() AS db",
          format: 'JSONEachRow',
          clickhouse_settings: { max_threads: i + 1 },
        });
        return rs.json<{ threads: number; db: string }>();
      }),
    );
    results.forEach((rows, i) => {
      expect(rows).toEqual([{ threads: i + 1, db: i % 2 === 0 ? DATABASE : 'default' }]);
    });
  });

  it('surfaces engine errors as ClickHouseError with the numeric code', async () => {
    const syntax = await rejection(client.query({ query: 'SELEC 1' }));
    expect(syntax.code).toBe('62');
    expect(syntax.type).toBe('SYNTAX_ERROR');

    const unknownTable = await rejection(client.query({ query: 'SELECT * FROM no_such_table' }));
    expect(unknownTable.code).toBe('60');
    expect(unknownTable.type).toBe('UNKNOWN_TABLE');

    const missingParam = await rejection(client.query({ query: 'SELECT {x:String}' }));
    expect(missingParam.code).toBe('456');

    const badSetting = await rejection(client.query({ query: 'SELECT 1', clickhouse_settings: { no_such_setting_at_all: 1 } as Record<string, number> }));
    expect(badSetting.code).toBe('115');
  });

  it('enforces readonly=1 for that request only', async () => {
    const insert = await rejection(
      client.insert({
        table: 'spans',
        values: [{ trace_id: 'ro', ts: '2024-05-03 00:00:00', name: 'ro', dur: 1 }],
        format: 'JSONEachRow',
        clickhouse_settings: { readonly: '1' },
      }),
    );
    expect(insert.code).toBe('164');
    expect(insert.type).toBe('READONLY');

    const ddl = await rejection(client.command({ query: 'DROP TABLE spans', clickhouse_settings: { readonly: '1' } }));
    expect(ddl.code).toBe('164');

    const select = await client.query({
      query: "SELECT count() AS n, getSetting('readonly') AS ro FROM spans",
      format: 'JSONEachRow',
      clickhouse_settings: { readonly: '1', max_threads: 1 },
    });
    expect(await select.json()).toEqual([{ n: '4', ro: 1 }]);

    // The next request is writable again.
    const ok = await client.insert({
      table: 'spans',
      values: [{ trace_id: 'rw', ts: '2024-05-03 00:00:00', name: 'rw', dur: 1 }],
      format: 'JSONEachRow',
    });
    expect(ok.summary?.written_rows).toBe('1');
    await client.command({ query: "ALTER TABLE spans DELETE WHERE trace_id = 'rw'", clickhouse_settings: { mutations_sync: '2' } });
  });

  it('rejects wrong credentials and accepts X-ClickHouse-User/Key headers', async () => {
    const wrong = makeClient({ password: 'wrong' });
    const err = await rejection(wrong.query({ query: 'SELECT 1' }));
    expect(err.code).toBe('516');
    expect(err.type).toBe('AUTHENTICATION_FAILED');
    expect((await wrong.ping({ select: true })).success).toBe(false);

    const viaHeaders = await fetch(`${server.url}/?query=${encodeURIComponent('SELECT 1 + 1')}`, {
      headers: { 'X-ClickHouse-User': 'default', 'X-ClickHouse-Key': PASSWORD },
    });
    expect(viaHeaders.status).toBe(200);
    expect(await viaHeaders.text()).toBe('2\n');

    const anonymous = await fetch(`${server.url}/?query=${encodeURIComponent('SELECT 1')}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('x-clickhouse-exception-code')).toBe('194');

    const badPassword = await fetch(`${server.url}/?query=${encodeURIComponent('SELECT 1')}`, {
      headers: { Authorization: authHeader('nope') },
    });
    expect(badPassword.status).toBe(403);
    expect(badPassword.headers.get('x-clickhouse-exception-code')).toBe('516');
    expect(await badPassword.text()).toMatch(/^Code: 516\. DB::Exception: .*\(AUTHENTICATION_FAILED\) \(version [^)]+\)\n$/);
  });

  it('speaks gzip in both directions', async () => {
    // The shared client compresses insert bodies and asks for compressed responses.
    const rs = await client.query({ query: 'SELECT count() AS n FROM spans', format: 'JSONEachRow' });
    expect(rs.response_headers['content-encoding']).toBe('gzip');
    expect(await rs.json()).toEqual([{ n: '4' }]);

    const body = gzipSync("SELECT name FROM spans WHERE trace_id = 't3' FORMAT TabSeparated");
    const raw = await fetch(`${server.url}/?enable_http_compression=1&database=${DATABASE}`, {
      method: 'POST',
      headers: { Authorization: authHeader(), 'Content-Encoding': 'gzip', 'Accept-Encoding': 'gzip' },
      body,
    });
    expect(raw.status).toBe(200);
    // fetch decompresses transparently but keeps the header the server sent.
    expect(raw.headers.get('content-encoding')).toBe('gzip');
    expect(raw.headers.get('x-clickhouse-format')).toBe('TabSeparated');
    const text = await raw.text();
    expect(text).toBe('a;b;\n');

    const uncompressed = makeClient({ compression: { request: false, response: false } });
    const plain = await uncompressed.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' });
    expect(plain.response_headers['content-encoding']).toBeUndefined();
    expect(await plain.json()).toEqual([{ one: 1 }]);
  });

  it('treats GET requests as readonly and reports the query id', async () => {
    const get = await fetch(`${server.url}/?database=${DATABASE}&query=${encodeURIComponent("INSERT INTO spans (trace_id) VALUES ('get')")}`, {
      headers: { Authorization: authHeader() },
    });
    expect(get.headers.get('x-clickhouse-exception-code')).toBe('164');
    await get.text();

    const rs = await client.query({ query: 'SELECT 1', format: 'JSONEachRow', query_id: 'my-query-id' });
    expect(rs.query_id).toBe('my-query-id');
    expect(rs.response_headers['x-clickhouse-query-id']).toBe('my-query-id');
    await rs.json();
  });

  it('counts requests', () => {
    expect(server.requests).toBeGreaterThan(20);
  });
});

describe('clickhouse-http-server-main entry', () => {
  it('serves from a child process and stops on SIGTERM', async () => {
    const childDir = mkdtempSync(join(tmpdir(), 'tracelight-ch-http-child-'));
    const entry = fileURLToPath(new URL('../support/clickhouse-http-server-main.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', entry, '--data', join(childDir, 'chdb'), '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString('utf8');
          const match = /^listening (http:\/\/\S+)$/m.exec(stdout);
          if (match?.[1] !== undefined) resolve(match[1]);
        });
        void exited.then((code) => reject(new Error(`server exited early (${code}): ${stderr}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const childClient = createClient({ url, log: { level: ClickHouseLogLevel.OFF } });
      try {
        expect(await childClient.ping()).toEqual({ success: true });
        const rs = await childClient.query({ query: 'SELECT {n:UInt8} + 1 AS n', query_params: { n: 41 }, format: 'JSONEachRow' });
        expect(await rs.json()).toEqual([{ n: 42 }]);
      } finally {
        await childClient.close();
      }

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(childDir, { recursive: true, force: true });
    }
  });
});
