// The store behaviour every driver must show. Run against embedded chDB, against a ClickHouse server
// reached through @clickhouse/client (the HTTP-interface test server over chDB here, a real server when
// CLICKHOUSE_URL is set), so "one SQL dialect, two drivers" is checked, not assumed.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import type { Store } from '../../store/index.js';
import { migrate } from '../../store/index.js';
import type { SpanRecord, LogRecordRecord } from '../../schemas/telemetry.js';

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
    attributes: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 12, ratio: 0.25, ok: true, tags: ['a', 'b'], big: 9_007_199_254_740_993n, nested: { k: [1, { z: 'q' }] } },
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
      const tables = await store.driver.query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'otel_%' ORDER BY name");
      expect(tables.map((t) => t.name)).toEqual(['otel_logs', 'otel_traces', 'otel_traces_trace_id_ts', 'otel_traces_trace_id_ts_mv']);
      const again = await migrate(store.driver);
      expect(again.applied).toEqual([]);
      const cols = await store.driver.query<{ name: string; type: string }>("SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'otel_traces' ORDER BY position");
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
        SpanAttributes: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': '12', ratio: '0.25', ok: 'true', tags: '["a","b"]', big: '9007199254740993', nested: '{"k":[1,{"z":"q"}]}' },
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
      const lookup = await store.driver.query<{ n: string }>('SELECT count() AS n FROM otel_traces_trace_id_ts WHERE TraceId = {t:String}', { t: '0af7651916cd43dd8448eb211c80319c' });
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
        { ts: '1700000000200000000', TraceId: '0af7651916cd43dd8448eb211c80319c', SpanId: 'b7ad6b7169203331', TraceFlags: 1, SeverityText: 'INFO', SeverityNumber: 9, ServiceName: 'agent-svc', Body: '{"content":"hello"}', ResourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0', ScopeName: 'logs-scope', ScopeVersion: '1', ScopeAttributes: { a: 'b' }, LogAttributes: { 'event.name': 'gen_ai.user.message' }, EventName: 'gen_ai.user.message' },
        { ts: '1700000000300000000', TraceId: '0af7651916cd43dd8448eb211c80319c', SpanId: '', TraceFlags: 1, SeverityText: 'INFO', SeverityNumber: 9, ServiceName: 'agent-svc', Body: 'plain text', ResourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0', ScopeName: 'logs-scope', ScopeVersion: '1', ScopeAttributes: { a: 'b' }, LogAttributes: { 'event.name': 'gen_ai.user.message' }, EventName: '' },
      ]);
    });

    it('batches concurrent writes and acknowledges each only once written', async () => {
      const writes = Array.from({ length: 50 }, (_, i) =>
        store.writeTelemetry(Array.from({ length: 20 }, (_, j) => span({ traceId: (i * 100 + j + 1).toString(16).padStart(32, '0'), spanId: (j + 1).toString(16).padStart(16, '0') })), []),
      );
      await Promise.all(writes);
      const [row] = await store.driver.query<{ n: string }>("SELECT count() AS n FROM otel_traces WHERE TraceState = 'vendor=x' AND TraceId != '0af7651916cd43dd8448eb211c80319c'");
      expect(Number(row?.n)).toBe(1000);
      expect(store.writer.stats.bufferedRows).toBe(0);
    });

    it('binds values as parameters: quotes and backslashes are data, not SQL', async () => {
      const tricky = "x' OR 1=1 --\\'";
      await store.writeTelemetry([span({ traceId: 'abababababababababababababababab', name: tricky })], []);
      const rows = await store.readOnlyQuery<{ SpanName: string }>('SELECT SpanName FROM otel_traces WHERE SpanName = {n:String}', { n: tricky });
      expect(rows).toEqual([{ SpanName: tricky }]);
    });

    it('runs user SQL read-only: the engine refuses writes and DDL', async () => {
      await expect(store.readOnlyQuery('DROP TABLE otel_traces')).rejects.toThrow(/read-only/);
      await expect(store.readOnlyQuery('SELECT 1; DROP TABLE otel_traces')).rejects.toThrow(/one statement/);
      await expect(store.driver.query('INSERT INTO otel_logs (Body) SELECT 1', {}, { readonly: true })).rejects.toThrow(/readonly/i);
      const ok = await store.readOnlyQuery<{ n: string }>('SELECT count() AS n FROM otel_traces');
      expect(Number(ok[0]?.n)).toBeGreaterThan(0);
    });
  });
}
