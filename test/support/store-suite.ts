// The store behaviour every driver must show. Run against embedded chDB, against a ClickHouse server
// reached through @clickhouse/client (the HTTP-interface test server over chDB here, a real server when
// CLICKHOUSE_URL is set), so "one SQL dialect, two drivers" is checked, not assumed.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import type { Store } from '../../store/index.js';
import { migrate } from '../../store/index.js';
import type { SpanRecord, LogRecordRecord } from '../../schemas/telemetry.js';
import type { LlmCall } from '../../schemas/genai.js';

export function span(over: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: '',
    traceState: 'vendor=x',
    flags: 1,
    name: 'chat gpt-4o',
    kind: 3,
    startTimeUnixNano: 1_700_000_000_123_456_789n,
    endTimeUnixNano: 1_700_000_001_987_654_321n,
    attributes: {
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 12,
      ratio: 0.25,
      ok: true,
      tags: ['a', 'b'],
      big: 9_007_199_254_740_993n,
      nested: { k: [1, { z: 'q' }] },
    },
    events: [{ timeUnixNano: 1_700_000_000_500_000_001n, name: 'gen_ai.evaluation.result', attributes: { 'gen_ai.evaluation.score.value': 0.5 } }],
    links: [{ traceId: '11111111111111111111111111111111', spanId: '2222222222222222', traceState: '', attributes: { why: 'retry' } }],
    statusCode: 2,
    statusMessage: 'boom',
    resource: { 'service.name': 'agent-svc', 'service.version': '1.2.3' },
    resourceSchemaUrl: '',
    scope: { name: 'my-scope', version: '0.9', attributes: {} },
    scopeSchemaUrl: '',
    ...over,
  };
}

export function logRecord(over: Partial<LogRecordRecord> = {}): LogRecordRecord {
  return {
    timeUnixNano: 1_700_000_000_200_000_000n,
    observedTimeUnixNano: 1_700_000_000_300_000_000n,
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    flags: 1,
    severityNumber: 9,
    severityText: 'INFO',
    body: { content: 'hello' },
    attributes: { 'event.name': 'gen_ai.user.message' },
    eventName: 'gen_ai.user.message',
    resource: { 'service.name': 'agent-svc' },
    resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    scope: { name: 'logs-scope', version: '1', attributes: { a: 'b' } },
    scopeSchemaUrl: '',
    ...over,
  };
}

export function storeSuite(name: string, open: () => Promise<{ store: Store; cleanup(): Promise<void> }>): void {
  describe(`store (${name})`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      ({ store, cleanup } = await open());
    });
    afterAll(async () => {
      await store.close();
      await cleanup();
    });

    it('creates the Collector-compatible tables, and migrating again changes nothing', async () => {
      const tables = await store.driver.query<{ name: string }>(
        "SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'otel_%' ORDER BY name",
      );
      expect(tables.map((t) => t.name)).toEqual([
        'otel_logs',
        'otel_metrics_exponential_histogram',
        'otel_metrics_gauge',
        'otel_metrics_histogram',
        'otel_metrics_sum',
        'otel_metrics_summary',
        'otel_traces',
        'otel_traces_trace_id_ts',
        'otel_traces_trace_id_ts_mv',
      ]);
      const again = await migrate(store.driver);
      expect(again.applied).toEqual([]);
      const cols = await store.driver.query<{ name: string; type: string }>(
        "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'otel_traces' ORDER BY position",
      );
      expect(cols.slice(0, 4)).toEqual([
        { name: 'Timestamp', type: 'DateTime64(9)' },
        { name: 'TraceId', type: 'String' },
        { name: 'SpanId', type: 'String' },
        { name: 'ParentSpanId', type: 'String' },
      ]);
      expect(cols.find((c) => c.name === 'SpanAttributes')?.type).toBe('Map(LowCardinality(String), String)');
      expect(cols.find((c) => c.name === 'Events.Timestamp')?.type).toBe('Array(DateTime64(9))');
    });

    it('writes spans with exact nanosecond timestamps and Collector-style attribute strings', async () => {
      await store.writeTelemetry([span()], []);
      const [row] = await store.driver.query<Record<string, unknown>>(
        `SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS ts, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName,
                ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, StatusMessage,
                arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS ev_ts, Events.Name AS ev_names, Events.Attributes AS ev_attrs,
                Links.TraceId AS link_traces, Links.SpanId AS link_spans, Links.Attributes AS link_attrs
         FROM otel_traces WHERE TraceId = {t:String}`,
        { t: '0af7651916cd43dd8448eb211c80319c' },
      );
      expect(row).toEqual({
        ts: '1700000000123456789',
        TraceId: '0af7651916cd43dd8448eb211c80319c',
        SpanId: 'b7ad6b7169203331',
        ParentSpanId: '',
        TraceState: 'vendor=x',
        SpanName: 'chat gpt-4o',
        SpanKind: 'Client',
        ServiceName: 'agent-svc',
        ResourceAttributes: { 'service.name': 'agent-svc', 'service.version': '1.2.3' },
        ScopeName: 'my-scope',
        ScopeVersion: '0.9',
        SpanAttributes: {
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': '12',
          ratio: '0.25',
          ok: 'true',
          tags: '["a","b"]',
          big: '9007199254740993',
          nested: '{"k":[1,{"z":"q"}]}',
        },
        Duration: '1864197532',
        StatusCode: 'Error',
        StatusMessage: 'boom',
        ev_ts: ['1700000000500000001'],
        ev_names: ['gen_ai.evaluation.result'],
        ev_attrs: [{ 'gen_ai.evaluation.score.value': '0.5' }],
        link_traces: ['11111111111111111111111111111111'],
        link_spans: ['2222222222222222'],
        link_attrs: [{ why: 'retry' }],
      });
      const lookup = await store.driver.query<{ n: string }>('SELECT count() AS n FROM otel_traces_trace_id_ts WHERE TraceId = {t:String}', {
        t: '0af7651916cd43dd8448eb211c80319c',
      });
      expect(Number(lookup[0]?.n)).toBe(1);
    });

    it('writes log records, falling back to the observed time when the event time is unset', async () => {
      await store.writeTelemetry([], [logRecord(), logRecord({ timeUnixNano: 0n, body: 'plain text', spanId: '', eventName: '' })]);
      const rows = await store.driver.query<Record<string, unknown>>(
        `SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS ts, TraceId, SpanId, TraceFlags, SeverityText, SeverityNumber, ServiceName, Body,
                ResourceSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, LogAttributes, EventName
         FROM otel_logs ORDER BY Timestamp`,
      );
      expect(rows).toEqual([
        {
          ts: '1700000000200000000',
          TraceId: '0af7651916cd43dd8448eb211c80319c',
          SpanId: 'b7ad6b7169203331',
          TraceFlags: 1,
          SeverityText: 'INFO',
          SeverityNumber: 9,
          ServiceName: 'agent-svc',
          Body: '{"content":"hello"}',
          ResourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
          ScopeName: 'logs-scope',
          ScopeVersion: '1',
          ScopeAttributes: { a: 'b' },
          LogAttributes: { 'event.name': 'gen_ai.user.message' },
          EventName: 'gen_ai.user.message',
        },
        {
          ts: '1700000000300000000',
          TraceId: '0af7651916cd43dd8448eb211c80319c',
          SpanId: '',
          TraceFlags: 1,
          SeverityText: 'INFO',
          SeverityNumber: 9,
          ServiceName: 'agent-svc',
          Body: 'plain text',
          ResourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
          ScopeName: 'logs-scope',
          ScopeVersion: '1',
          ScopeAttributes: { a: 'b' },
          LogAttributes: { 'event.name': 'gen_ai.user.message' },
          EventName: '',
        },
      ]);
    });

    it('batches concurrent writes and acknowledges each only once written', async () => {
      const writes = Array.from({ length: 50 }, (_, i) =>
        store.writeTelemetry(
          Array.from({ length: 20 }, (_, j) =>
            span({ traceId: (i * 100 + j + 1).toString(16).padStart(32, '0'), spanId: (j + 1).toString(16).padStart(16, '0') }),
          ),
          [],
        ),
      );
      await Promise.all(writes);
      const [row] = await store.driver.query<{ n: string }>(
        "SELECT count() AS n FROM otel_traces WHERE TraceState = 'vendor=x' AND TraceId != '0af7651916cd43dd8448eb211c80319c'",
      );
      expect(Number(row?.n)).toBe(1000);
      expect(store.writer.stats.bufferedRows).toBe(0);
    });

    it('stores any string byte-exact in every kind of column: tabs, newlines, backslashes, quotes, \\N, NUL, lone surrogates', async () => {
      const nasty = [
        'tab\there',
        'line\nbreak',
        'cr\rlf',
        'back\\slash',
        '\\N',
        '\\',
        "it's",
        '"dq"',
        "{'k':'v'}",
        '[1,2]',
        'nul\0byte',
        'lone\ud800',
        '😀 ünï',
        '\\t literal',
        '',
      ];
      const expected = (v: string): string =>
        v.replace(/[\ud800-\udfff]/g, (c, i: number, all: string) => {
          const code = c.charCodeAt(0);
          const pair = code < 0xdc00 ? (all.charCodeAt(i + 1) & 0xfc00) === 0xdc00 : i > 0 && (all.charCodeAt(i - 1) & 0xfc00) === 0xd800;
          return pair ? c : '\ufffd';
        });
      const attrs = Object.fromEntries(nasty.map((v, i) => [`k${i}${v}`, v]));
      const traceId = 'cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd';
      await store.writeTelemetry(
        nasty.map((v, i) =>
          span({
            traceId,
            spanId: (i + 1).toString(16).padStart(16, '0'),
            name: v,
            traceState: v,
            statusMessage: v,
            attributes: attrs,
            resource: { 'service.name': 'nasty', r: v },
            scope: { name: v, version: v, attributes: {} },
            events: [{ timeUnixNano: BigInt(i), name: v, attributes: { e: v } }],
            links: [{ traceId: 'ef'.repeat(16), spanId: 'ab'.repeat(8), traceState: v, attributes: { l: v } }],
          }),
        ),
        nasty.map((v, i) =>
          logRecord({
            traceId,
            spanId: (i + 1).toString(16).padStart(16, '0'),
            body: v,
            severityText: v,
            eventName: v,
            attributes: { a: v },
            resource: { 'service.name': 'nasty' },
            scope: { name: v, version: v, attributes: { s: v } },
          }),
        ),
      );
      const spans = await store.driver.query<Record<string, unknown>>(
        `SELECT SpanName, TraceState, StatusMessage, SpanAttributes, ResourceAttributes, ScopeName, ScopeVersion, Events.Name AS en, Events.Attributes AS ea, Links.TraceState AS lt, Links.Attributes AS la,
                arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS et
         FROM otel_traces WHERE TraceId = {t:String} ORDER BY SpanId`,
        { t: traceId },
      );
      expect(spans).toEqual(
        nasty.map((v, i) => ({
          SpanName: expected(v),
          TraceState: expected(v),
          StatusMessage: expected(v),
          SpanAttributes: Object.fromEntries(Object.entries(attrs).map(([k, x]) => [expected(k), expected(x)])),
          ResourceAttributes: { 'service.name': 'nasty', r: expected(v) },
          ScopeName: expected(v),
          ScopeVersion: expected(v),
          en: [expected(v)],
          ea: [{ e: expected(v) }],
          lt: [expected(v)],
          la: [{ l: expected(v) }],
          et: [String(i)],
        })),
      );
      const logs = await store.driver.query<Record<string, unknown>>(
        'SELECT Body, SeverityText, EventName, LogAttributes, ScopeName, ScopeVersion, ScopeAttributes FROM otel_logs WHERE TraceId = {t:String} ORDER BY SpanId',
        { t: traceId },
      );
      expect(logs).toEqual(
        nasty.map((v) => ({
          Body: expected(v),
          SeverityText: expected(v),
          EventName: expected(v),
          LogAttributes: { a: expected(v) },
          ScopeName: expected(v),
          ScopeVersion: expected(v),
          ScopeAttributes: { s: expected(v) },
        })),
      );

      const calls: LlmCall[] = nasty.map((v, i) => ({
        trace_id: traceId,
        span_id: (i + 1).toString(16).padStart(16, '0'),
        parent_span_id: '',
        rollout_id: v,
        attempt_id: v,
        conversation_id: v,
        start_time_unix_nano: BigInt(i),
        end_time_unix_nano: 9_223_372_036_854_775_807n,
        agent: v,
        service: v,
        provider: v,
        operation: 'chat',
        request_model: v,
        response_model: v,
        input: [{ role: 'user', parts: [{ type: 'text', content: v }] }],
        output: [{ role: 'assistant', parts: [{ type: 'text', content: v }], finish_reason: v }],
        finish_reasons: [v],
        input_tokens: i % 2 ? null : i,
        output_tokens: 4_294_967_295,
        prompt_token_ids: [1, i],
        response_token_ids: [],
        response_logprobs: [-0.5, -1.25e-7],
        resources: { [v]: v },
        tools: [{ name: v }],
        conventions: ['otel-genai'],
        status: 'ok',
        error: v,
      }));
      await store.writeTelemetry([], [], { calls, contents: [], rewards: [], identities: [], traceResources: [], unmatchedSpans: 0 });
      const stored = await store.driver.query<Record<string, unknown>>(
        `SELECT rollout_id, agent, input, output, finish_reasons, input_tokens, output_tokens, prompt_token_ids, response_logprobs, resources, tools, error,
                toString(toUnixTimestamp64Nano(start_time)) AS st, toString(toUnixTimestamp64Nano(end_time)) AS et
         FROM llm_calls WHERE trace_id = {t:String} ORDER BY span_id`,
        { t: traceId },
      );
      expect(stored).toEqual(
        calls.map((c, i) => ({
          rollout_id: expected(c.rollout_id),
          agent: expected(c.agent),
          input: expected(JSON.stringify(c.input)),
          output: expected(JSON.stringify(c.output)),
          finish_reasons: c.finish_reasons.map(expected),
          input_tokens: c.input_tokens,
          output_tokens: 4_294_967_295,
          prompt_token_ids: [1, i],
          response_logprobs: [-0.5, -1.25e-7],
          resources: Object.fromEntries(Object.entries(c.resources).map(([k, x]) => [expected(k), expected(x)])),
          tools: expected(JSON.stringify(c.tools)),
          error: expected(c.error),
          st: String(i),
          et: '9223372036854775807',
        })),
      );
    });

    it('binds values as parameters: quotes and backslashes are data, not SQL', async () => {
      const tricky = "x' OR 1=1 --\\'";
      await store.writeTelemetry([span({ traceId: 'abababababababababababababababab', name: tricky })], []);
      const rows = await store.readOnlyQuery<{ SpanName: string }>('SELECT SpanName FROM otel_traces WHERE SpanName = {n:String}', { n: tricky });
      expect(rows).toEqual([{ SpanName: tricky }]);
    });

    it('runs user SQL read-only: the engine refuses writes and DDL', async () => {
      await expect(store.readOnlyQuery('DROP TABLE otel_traces')).rejects.toThrow(/read-only statements .*got DROP/);
      await expect(store.readOnlyQuery('INSERT INTO otel_logs (Body) VALUES (1)')).rejects.toThrow(/got INSERT/);
      await expect(store.readOnlyQuery('SELECT 1; DROP TABLE otel_traces')).rejects.toThrow(/one statement/);
      await expect(store.readOnlyQuery('   ')).rejects.toThrow(/empty/);
      await expect(store.readOnlyQuery('SELECT 1 FROM')).rejects.toThrow(/syntax error/);
      const ok = await store.readOnlyQuery<{ n: string }>('SELECT count() AS n FROM otel_traces');
      expect(Number(ok[0]?.n)).toBeGreaterThan(0);
      expect(await store.readOnlyQuery("WITH x AS (SELECT ';' AS semi, 'it''s' AS q) SELECT * FROM x -- trailing ; comment")).toEqual([
        { semi: ';', q: "it's" },
      ]);
      expect((await store.readOnlyQuery<{ name: string }>('SHOW TABLES')).map((r) => r.name)).toContain('otel_traces');
      expect((await store.readOnlyQuery<{ name: string }>('DESCRIBE TABLE otel_traces')).map((r) => r.name)).toContain('SpanName');
    });

    // Each of these once ran with the engine's readonly lowered or wrote a file of the caller's choosing.
    it('keeps the sandbox shut against the statement, comment and string tricks that broke the old check', async () => {
      const outfile = join(tmpdir(), `tl-outfile-${process.pid}-${Date.now()}.mjs`);
      const attacks: [string, RegExp][] = [
        ["SELECT $$'$$; CREATE TABLE pwn (a Int8) ENGINE=Memory; SELECT 1 --'", /one statement/],
        ['SELECT 1 /* ; */ ; DROP TABLE otel_traces', /one statement/],
        [`SELECT 'x' INTO OUTFILE '${outfile}' TRUNCATE FORMAT RawBLOB`, /INTO OUTFILE and FORMAT/],
        ['SELECT 1 FORMAT CSV', /INTO OUTFILE and FORMAT/],
        [`SHOW TABLES INTO OUTFILE '${outfile}'`, /INTO OUTFILE and FORMAT/],
        ["SELECT * FROM file('/etc/passwd', 'LineAsString')", /table function file\(\) is not allowed/],
        ["SELECT * FROM file('/proc/self/environ', 'RawBLOB')", /table function file\(\) is not allowed/],
        ["SELECT file('/proc/self/cmdline')", /function file\(\) is not allowed/],
        ["SELECT * FROM url('http://127.0.0.1:1/x', 'CSV')", /table function url\(\) is not allowed/],
        ["SELECT * FROM s3('http://127.0.0.1:1/b/x.csv')", /table function s3\(\) is not allowed/],
        ["SELECT * FROM remote('127.0.0.1:1', system.one)", /table function remote\(\) is not allowed/],
        ["SELECT * FROM (SELECT getSetting('readonly') SETTINGS readonly = 0)", /SETTINGS clause is not allowed/],
        ['SELECT 1 SETTINGS readonly = 0', /SETTINGS clause is not allowed/],
        ['SELECT * FROM system.processes', /system\.processes is not readable/],
        ['SELECT 1 WHERE 1 IN system.query_log', /system\.query_log is not readable/],
        ["SELECT * FROM merge('system', '.*')", /table function merge\(\) is not allowed/],
        ["DESCRIBE TABLE file('/etc/passwd')", /table function file\(\) is not allowed/],
        ["EXPLAIN SELECT * FROM file('/etc/passwd')", /table function file\(\) is not allowed/],
        ['EXPLAIN PIPELINE INSERT INTO otel_logs (Body) VALUES (1)', /EXPLAIN is allowed for one SELECT only/],
      ];
      for (const [sql, why] of attacks) await expect(store.readOnlyQuery(sql), sql).rejects.toThrow(why);
      // A bound identifier is checked as the table it names, not as a placeholder.
      await expect(store.readOnlyQuery('SELECT count() FROM {t:Identifier}', { t: 'system.processes' })).rejects.toThrow(/system\.processes is not readable/);
      expect(existsSync(outfile)).toBe(false);
      expect((await store.readOnlyQuery<{ name: string }>('SHOW TABLES')).map((r) => r.name)).not.toContain('pwn');
      // What the sandbox leaves: the store's own tables, the schema catalog and harmless generators.
      expect(await store.readOnlyQuery('SELECT sum(number) AS s FROM numbers(4)')).toEqual([{ s: '6' }]);
      expect((await store.readOnlyQuery<{ n: string }>("SELECT count() AS n FROM system.columns WHERE table = 'otel_traces'"))[0]?.n).not.toBe('0');
    });

    it('bounds a user query in time and result size, and names the bound it hit', async () => {
      const limited = Object.assign(Object.create(Object.getPrototypeOf(store)) as Store, store, {
        sqlLimits: { ...store.sqlLimits, maxExecutionSeconds: 1, maxResultRows: 1000 },
      });
      await expect(limited.readOnlyQuery('SELECT count() FROM numbers_mt(1e12) WHERE sipHash64(number) % 7 = 1')).rejects.toThrow(/Timeout exceeded/);
      await expect(limited.readOnlyQuery('SELECT number FROM numbers(5000)')).rejects.toThrow(/Limit for result exceeded/);
      expect(await limited.readOnlyQuery('SELECT number FROM numbers(3)')).toHaveLength(3);
    });

    it('cancels a user query in the engine when its caller gives up', async () => {
      const ac = new AbortController();
      const started = Date.now();
      const running = store.readOnlyQuery('SELECT count() FROM numbers_mt(1e12) WHERE sipHash64(number) % 7 = 1', {}, ac.signal);
      setTimeout(() => ac.abort(), 500);
      await expect(running).rejects.toThrow();
      // The engine stopped it: it is gone from the process list well before its 30 s limit.
      for (;;) {
        const left = await store.driver.query<{ n: string }>(
          "SELECT count() AS n FROM system.processes WHERE query LIKE '%sipHash64(number) % 7 = 1%' AND query NOT LIKE '%system.processes%'",
        );
        if (left[0]?.n === '0') break;
        expect(Date.now() - started).toBeLessThan(15_000);
        await new Promise((r) => setTimeout(r, 100));
      }
    });
  });
}
