// The real OpenTelemetry JS SDK exporters (OTLP/HTTP protobuf, OTLP/HTTP JSON, OTLP/gRPC; traces and logs)
// send to a running tracelight server, and every field lands in otel_traces / otel_logs exactly as the
// OpenTelemetry Collector's ClickHouse exporter would store it: ids, nanosecond timestamps, kinds, status,
// attributes of every type (rendered like pdata AsString), events, links, resource, scope. Also: gzip
// request compression and API-key auth, as the exporters send them.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Metadata } from '@grpc/grpc-js';
import {
  context,
  createTraceState,
  ROOT_CONTEXT,
  SeverityNumber,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type AnyValue,
  type Attributes,
  type HrTime,
  type SpanContext,
} from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, StackContextManager, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/server.js';

// ------------------------------------------------------------------ harness

/** Wraps an exporter and records every export result, so a test can assert the exporter saw success. */
class RecordingSpanExporter implements SpanExporter {
  readonly results: ExportResult[] = [];
  constructor(private readonly inner: SpanExporter) {}
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.inner.export(spans, (r) => {
      this.results.push(r);
      done(r);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

class RecordingLogExporter implements LogRecordExporter {
  readonly results: ExportResult[] = [];
  constructor(private readonly inner: LogRecordExporter) {}
  export(logs: ReadableLogRecord[], done: (r: ExportResult) => void): void {
    this.inner.export(logs, (r) => {
      this.results.push(r);
      done(r);
    });
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const ns = (t: HrTime): string => (BigInt(t[0]) * 1_000_000_000n + BigInt(t[1])).toString();
const nsDiff = (a: HrTime, b: HrTime): string => (BigInt(ns(b)) - BigInt(ns(a))).toString();

/** Flushes the provider and returns the export results; the data is durable once the export resolved. */
async function flushTraces(provider: TracerProvider, rec: RecordingSpanExporter): Promise<ExportResult[]> {
  await provider.forceFlush().catch(() => undefined); // a failed export rejects the flush; the result says why
  await provider.shutdown().catch(() => undefined);
  return rec.results;
}

async function flushLogs(provider: LoggerProvider, rec: RecordingLogExporter): Promise<ExportResult[]> {
  await provider.forceFlush().catch(() => undefined);
  await provider.shutdown().catch(() => undefined);
  return rec.results;
}

function expectAllSucceeded(results: ExportResult[]): void {
  expect(results.length).toBeGreaterThan(0);
  for (const r of results) {
    expect(r.error?.message, 'export error').toBeUndefined();
    expect(r.code).toBe(ExportResultCode.SUCCESS);
  }
}

function tracerProvider(exporter: SpanExporter, resource: Attributes): { provider: TracerProvider; rec: RecordingSpanExporter } {
  const rec = new RecordingSpanExporter(exporter);
  const provider = new TracerProvider({
    resource: resourceFromAttributes(resource),
    // One batch per test: every span of the trace goes out in a single export request on forceFlush.
    spanProcessors: [new BatchSpanProcessor({ exporter: rec, scheduledDelayMillis: 60_000, exportTimeoutMillis: 8_000 })],
  });
  return { provider, rec };
}

function loggerProvider(exporter: LogRecordExporter, resource: Attributes): { provider: LoggerProvider; rec: RecordingLogExporter } {
  const rec = new RecordingLogExporter(exporter);
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(resource, { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' }),
    processors: [new BatchLogRecordProcessor({ exporter: rec, scheduledDelayMillis: 60_000, exportTimeoutMillis: 8_000 })],
  });
  return { provider, rec };
}

/**
 * A plain HTTP proxy in front of tracelight that records what the exporter put on the wire (headers and
 * raw body) and forwards it unchanged, so a test can check Content-Type and Content-Encoding.
 */
interface Recorded {
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  status: number;
}

async function startRecordingProxy(target: string): Promise<{ url: string; requests: Recorded[]; close(): Promise<void> }> {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (typeof v === 'string' && !['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'].includes(k)) headers[k] = v;
      }
      fetch(`${target}${req.url ?? '/'}`, { method: req.method, headers, body })
        .then(async (r) => {
          const out = Buffer.from(await r.arrayBuffer());
          requests.push({ url: req.url ?? '', headers: req.headers, body, status: r.status });
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/octet-stream' });
          res.end(out);
        })
        .catch((err: Error) => {
          res.writeHead(502);
          res.end(err.message);
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ------------------------------------------------------------------ the known trace

// 2025-10-09T08:53:20Z plus nanoseconds no float64 can hold: the timestamps must stay exact end to end.
const BASE = 1_760_000_000;
const T = {
  rootStart: [BASE, 123_456_789] as HrTime,
  rootEnd: [BASE + 2, 987_654_321] as HrTime,
  event1: [BASE, 500_000_001] as HrTime,
  event2: [BASE + 1, 999_999_999] as HrTime,
  clientStart: [BASE, 200_000_007] as HrTime,
  clientEnd: [BASE, 300_000_009] as HrTime,
  internalStart: [BASE, 400_000_000] as HrTime,
  internalEnd: [BASE + 1, 1] as HrTime,
  producerStart: [BASE + 1, 100] as HrTime,
  producerEnd: [BASE + 1, 200] as HrTime,
  remoteStart: [BASE + 3, 5] as HrTime,
  remoteEnd: [BASE + 3, 5] as HrTime, // zero duration
};

/** Span attributes of every type the SDK accepts, and how pdata's AsString renders each. */
const SPAN_ATTRS: Attributes = {
  'attr.str': 'hello',
  'attr.str.unicode': 'héllo ✓ 日本 "quoted" \\ back',
  'attr.str.empty': '',
  'attr.int': 42,
  'attr.int.neg': -7,
  'attr.int.zero': 0,
  'attr.int.max.safe': Number.MAX_SAFE_INTEGER,
  'attr.double': 1.5,
  'attr.double.neg': -0.25,
  'attr.double.small': 1.5e-7,
  'attr.bool.true': true,
  'attr.bool.false': false,
  'attr.str.array': ['a', 'b', 'c'],
  'attr.str.array.with.null': ['a', null, 'c'],
  'attr.int.array': [1, -2, 3],
  'attr.double.array': [1.5, 2.25],
  'attr.bool.array': [true, false],
  'attr.empty.array': [],
};
const SPAN_ATTRS_STORED: Record<string, string> = {
  'attr.str': 'hello',
  'attr.str.unicode': 'héllo ✓ 日本 "quoted" \\ back',
  'attr.str.empty': '',
  'attr.int': '42',
  'attr.int.neg': '-7',
  'attr.int.zero': '0',
  'attr.int.max.safe': '9007199254740991',
  'attr.double': '1.5',
  'attr.double.neg': '-0.25',
  'attr.double.small': '1.5e-7',
  'attr.bool.true': 'true',
  'attr.bool.false': 'false',
  'attr.str.array': '["a","b","c"]',
  'attr.str.array.with.null': '["a",null,"c"]',
  'attr.int.array': '[1,-2,3]',
  'attr.double.array': '[1.5,2.25]',
  'attr.bool.array': '[true,false]',
  'attr.empty.array': '[]',
};

function resourceFor(service: string): { attrs: Attributes; stored: Record<string, string> } {
  return {
    attrs: {
      'service.name': service,
      'service.version': '9.9.9',
      'deployment.environment.name': 'test',
      'res.int': 7,
      'res.bool': true,
      'res.arr': ['r1', 'r2'],
    },
    stored: {
      'service.name': service,
      'service.version': '9.9.9',
      'deployment.environment.name': 'test',
      'res.int': '7',
      'res.bool': 'true',
      'res.arr': '["r1","r2"]',
    },
  };
}

interface EmittedTrace {
  traceId: string;
  rootSpanId: string;
  children: Record<string, string>;
  linked: SpanContext;
  remoteParent: SpanContext;
  remoteSpanId: string;
}

/** Creates one trace of known content (plus one span under a remote parent) through the SDK's tracer API. */
function emitKnownTrace(provider: TracerProvider): EmittedTrace {
  const tracerA = provider.getTracer('tracelight-test/scope-a', '1.2.3');
  const tracerB = provider.getTracer('tracelight-test/scope-b'); // no version
  const linked: SpanContext = { traceId: hex(16), spanId: hex(8), traceFlags: TraceFlags.SAMPLED, traceState: createTraceState('linkvendor=l1') };

  const root = tracerA.startSpan(
    'root.server',
    {
      kind: SpanKind.SERVER,
      startTime: T.rootStart,
      attributes: SPAN_ATTRS,
      links: [{ context: linked, attributes: { 'link.kind': 'follows', 'link.n': 2 } }],
    },
    ROOT_CONTEXT,
  );
  root.addEvent('event.with.attrs', { 'event.str': 'e', 'event.int': 7, 'event.arr': ['x', 'y'] }, T.event1);
  root.addEvent('event.plain', T.event2);
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'boom: übel' });
  const rootCtx = trace.setSpan(ROOT_CONTEXT, root);

  const client = tracerA.startSpan('child.client', { kind: SpanKind.CLIENT, startTime: T.clientStart }, rootCtx);
  client.setStatus({ code: SpanStatusCode.OK });
  client.end(T.clientEnd);
  const internal = tracerB.startSpan('child.internal', { startTime: T.internalStart }, rootCtx);
  internal.end(T.internalEnd);
  const producer = tracerB.startSpan('child.producer', { kind: SpanKind.PRODUCER, startTime: T.producerStart }, rootCtx);
  producer.end(T.producerEnd);
  root.end(T.rootEnd);

  // A span continuing a remote trace carries the remote trace id, parent span id and trace state.
  const remoteParent: SpanContext = {
    traceId: hex(16),
    spanId: hex(8),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: createTraceState('vendor=abc,other=1'),
  };
  const remote = tracerA.startSpan('remote.consumer', { kind: SpanKind.CONSUMER, startTime: T.remoteStart }, trace.setSpanContext(ROOT_CONTEXT, remoteParent));
  remote.end(T.remoteEnd);

  return {
    traceId: root.spanContext().traceId,
    rootSpanId: root.spanContext().spanId,
    children: { 'child.client': client.spanContext().spanId, 'child.internal': internal.spanContext().spanId, 'child.producer': producer.spanContext().spanId },
    linked,
    remoteParent,
    remoteSpanId: remote.spanContext().spanId,
  };
}

interface SpanRow {
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  TraceState: string;
  SpanName: string;
  SpanKind: string;
  ServiceName: string;
  ResourceAttributes: Record<string, string>;
  ScopeName: string;
  ScopeVersion: string;
  SpanAttributes: Record<string, string>;
  Duration: string;
  StatusCode: string;
  StatusMessage: string;
  TimestampNs: string;
  EventTimestampsNs: string[];
  EventNames: string[];
  EventAttributes: Record<string, string>[];
  LinkTraceIds: string[];
  LinkSpanIds: string[];
  LinkTraceStates: string[];
  LinkAttributes: Record<string, string>[];
}

const SPAN_COLUMNS = `TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName, ResourceAttributes, ScopeName, ScopeVersion,
  SpanAttributes, toString(Duration) AS Duration, StatusCode, StatusMessage,
  toString(toUnixTimestamp64Nano(Timestamp)) AS TimestampNs,
  arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS EventTimestampsNs,
  Events.Name AS EventNames, Events.Attributes AS EventAttributes,
  Links.TraceId AS LinkTraceIds, Links.SpanId AS LinkSpanIds, Links.TraceState AS LinkTraceStates, Links.Attributes AS LinkAttributes`;

async function spansOfTrace(server: RunningServer, traceId: string): Promise<SpanRow[]> {
  return server.store.driver.query<SpanRow>(`SELECT ${SPAN_COLUMNS} FROM otel_traces WHERE TraceId = {traceId:String} ORDER BY SpanName`, { traceId });
}

/** Field-by-field check of everything emitKnownTrace produced. */
async function expectKnownTraceStored(server: RunningServer, t: EmittedTrace, service: string): Promise<void> {
  const resource = resourceFor(service).stored;
  const rows = await spansOfTrace(server, t.traceId);
  expect(rows.map((r) => r.SpanName)).toEqual(['child.client', 'child.internal', 'child.producer', 'root.server']);
  const byName = Object.fromEntries(rows.map((r) => [r.SpanName, r])) as Record<string, SpanRow>;

  const root = byName['root.server'] as SpanRow;
  expect(root).toEqual({
    TraceId: t.traceId,
    SpanId: t.rootSpanId,
    ParentSpanId: '',
    TraceState: '',
    SpanName: 'root.server',
    SpanKind: 'Server',
    ServiceName: service,
    ResourceAttributes: resource,
    ScopeName: 'tracelight-test/scope-a',
    ScopeVersion: '1.2.3',
    SpanAttributes: SPAN_ATTRS_STORED,
    Duration: nsDiff(T.rootStart, T.rootEnd),
    StatusCode: 'Error',
    StatusMessage: 'boom: übel',
    TimestampNs: ns(T.rootStart),
    EventTimestampsNs: [ns(T.event1), ns(T.event2)],
    EventNames: ['event.with.attrs', 'event.plain'],
    EventAttributes: [{ 'event.str': 'e', 'event.int': '7', 'event.arr': '["x","y"]' }, {}],
    LinkTraceIds: [t.linked.traceId],
    LinkSpanIds: [t.linked.spanId],
    LinkTraceStates: ['linkvendor=l1'],
    LinkAttributes: [{ 'link.kind': 'follows', 'link.n': '2' }],
  } satisfies SpanRow);
  expect(root.Duration).toBe('2864197532');
  expect(root.TimestampNs).toBe('1760000000123456789');

  const child = (name: string, kind: string, scope: [string, string], start: HrTime, end: HrTime, status: string): void => {
    const r = byName[name] as SpanRow;
    expect(r, name).toMatchObject({
      TraceId: t.traceId,
      SpanId: t.children[name],
      ParentSpanId: t.rootSpanId,
      TraceState: '',
      SpanKind: kind,
      ServiceName: service,
      ResourceAttributes: resource,
      ScopeName: scope[0],
      ScopeVersion: scope[1],
      SpanAttributes: {},
      Duration: nsDiff(start, end),
      StatusCode: status,
      StatusMessage: '',
      TimestampNs: ns(start),
      EventNames: [],
      LinkTraceIds: [],
    });
  };
  child('child.client', 'Client', ['tracelight-test/scope-a', '1.2.3'], T.clientStart, T.clientEnd, 'Ok');
  child('child.internal', 'Internal', ['tracelight-test/scope-b', ''], T.internalStart, T.internalEnd, 'Unset');
  child('child.producer', 'Producer', ['tracelight-test/scope-b', ''], T.producerStart, T.producerEnd, 'Unset');
  expect(byName['child.internal']?.Duration).toBe('600000001');
  expect(byName['child.producer']?.Duration).toBe('100');

  const [remote] = await spansOfTrace(server, t.remoteParent.traceId);
  expect(remote).toMatchObject({
    TraceId: t.remoteParent.traceId,
    SpanId: t.remoteSpanId,
    ParentSpanId: t.remoteParent.spanId,
    TraceState: 'vendor=abc,other=1',
    SpanName: 'remote.consumer',
    SpanKind: 'Consumer',
    ServiceName: service,
    Duration: '0',
    StatusCode: 'Unset',
    TimestampNs: ns(T.remoteStart),
  });

  // The Collector's trace-id lookup table is fed by its materialized view: min / max of the span start times
  // (whole seconds), here root.server at BASE and child.producer at BASE + 1.
  const [lookup] = await server.store.driver.query<{ Start: string; End: string }>(
    'SELECT toString(min(Start)) AS Start, toString(max(End)) AS End FROM otel_traces_trace_id_ts WHERE TraceId = {traceId:String}',
    { traceId: t.traceId },
  );
  expect(lookup).toEqual({ Start: '2025-10-09 08:53:20', End: '2025-10-09 08:53:21' });
}

// ------------------------------------------------------------------ the known logs

const LOG_TIME: HrTime = [BASE + 10, 111_222_333];
const LOG_OBSERVED: HrTime = [BASE + 11, 444_555_666];
const LOG_ATTRS: Record<string, AnyValue> = {
  'log.str': 'v',
  'log.int': 12,
  'log.double': 0.5,
  'log.bool': false,
  'log.arr': ['p', 'q'],
  'log.map': { inner: 'x', n: 1 },
  'log.bytes': new Uint8Array([0, 1, 2, 250, 255]),
};
const LOG_ATTRS_STORED: Record<string, string> = {
  'log.str': 'v',
  'log.int': '12',
  'log.double': '0.5',
  'log.bool': 'false',
  'log.arr': '["p","q"]',
  'log.map': '{"inner":"x","n":1}',
  'log.bytes': Buffer.from([0, 1, 2, 250, 255]).toString('base64'),
};

interface EmittedLogs {
  run: string;
  traceId: string;
  spanId: string;
}

/** Emits two log records: one inside an active span (correlated), one outside any span with a map body. */
function emitKnownLogs(provider: LoggerProvider): EmittedLogs {
  const run = hex(8);
  const logger = provider.getLogger('tracelight-test/logs', '2.0.0', {
    schemaUrl: 'https://opentelemetry.io/schemas/1.31.0',
    attributes: { 'scope.attr': 'sa' },
  });
  const tracer = new TracerProvider().getTracer('tracelight-test/log-tracer'); // ids only; nothing exported
  let traceId = '';
  let spanId = '';
  tracer.startActiveSpan('with.logs', { startTime: T.rootStart }, (span) => {
    traceId = span.spanContext().traceId;
    spanId = span.spanContext().spanId;
    // No explicit context: the SDK takes the trace context from the active span.
    logger.emit({
      timestamp: LOG_TIME,
      observedTimestamp: LOG_OBSERVED,
      severityNumber: SeverityNumber.WARN,
      severityText: 'WARN',
      body: 'hello from inside a span',
      eventName: 'gen_ai.user.message',
      attributes: { ...LOG_ATTRS, 'test.run': run, 'test.which': 'in-span' },
    });
    span.end(T.rootEnd);
  });
  logger.emit({
    timestamp: LOG_TIME,
    severityNumber: SeverityNumber.ERROR2,
    severityText: 'error',
    body: { role: 'assistant', content: 'structured body', tokens: 3, parts: [{ type: 'text', '9': 'nine', '10': 'ten' }] },
    attributes: { 'test.run': run, 'test.which': 'outside' },
  });
  return { run, traceId, spanId };
}

interface LogRow {
  TimestampNs: string;
  TraceId: string;
  SpanId: string;
  TraceFlags: number;
  SeverityText: string;
  SeverityNumber: number;
  ServiceName: string;
  Body: string;
  ResourceSchemaUrl: string;
  ResourceAttributes: Record<string, string>;
  ScopeSchemaUrl: string;
  ScopeName: string;
  ScopeVersion: string;
  ScopeAttributes: Record<string, string>;
  LogAttributes: Record<string, string>;
  EventName: string;
}

async function logsOfRun(server: RunningServer, run: string): Promise<LogRow[]> {
  return server.store.driver.query<LogRow>(
    `SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS TimestampNs, TraceId, SpanId, TraceFlags, SeverityText, SeverityNumber, ServiceName, Body,
       ResourceSchemaUrl, ResourceAttributes, ScopeSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, LogAttributes, EventName
     FROM otel_logs WHERE LogAttributes['test.run'] = {run:String} ORDER BY LogAttributes['test.which']`,
    { run },
  );
}

async function expectKnownLogsStored(server: RunningServer, l: EmittedLogs, service: string): Promise<void> {
  const rows = await logsOfRun(server, l.run);
  expect(rows).toHaveLength(2);
  const [inSpan, outside] = rows as [LogRow, LogRow];
  const common = {
    ServiceName: service,
    ResourceSchemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
    ResourceAttributes: resourceFor(service).stored,
    ScopeSchemaUrl: 'https://opentelemetry.io/schemas/1.31.0',
    ScopeName: 'tracelight-test/logs',
    ScopeVersion: '2.0.0',
    ScopeAttributes: { 'scope.attr': 'sa' },
  };
  expect(inSpan).toEqual({
    ...common,
    TimestampNs: ns(LOG_TIME),
    TraceId: l.traceId,
    SpanId: l.spanId,
    TraceFlags: 1,
    SeverityText: 'WARN',
    SeverityNumber: 13,
    Body: 'hello from inside a span',
    LogAttributes: { ...LOG_ATTRS_STORED, 'test.run': l.run, 'test.which': 'in-span' },
    EventName: 'gen_ai.user.message',
  } satisfies LogRow);
  expect(l.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(l.spanId).toMatch(/^[0-9a-f]{16}$/);
  expect(outside).toEqual({
    ...common,
    TimestampNs: ns(LOG_TIME),
    TraceId: '',
    SpanId: '',
    TraceFlags: 0,
    SeverityText: 'error',
    SeverityNumber: 18,
    // pdata renders a map body with Go's encoding/json: keys sorted by bytes, whatever order the SDK sent.
    Body: '{"content":"structured body","parts":[{"10":"ten","9":"nine","type":"text"}],"role":"assistant","tokens":3}',
    LogAttributes: { 'test.run': l.run, 'test.which': 'outside' },
    EventName: '',
  } satisfies LogRow);
}

// ------------------------------------------------------------------ tests

const dataDir = mkdtempSync(join(tmpdir(), 'tracelight-otlp-exporters-'));

beforeAll(() => {
  // Active-span context for the logs correlation test (the SDK's synchronous context manager).
  context.setGlobalContextManager(new StackContextManager().enable());
});

afterAll(() => {
  context.disable();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('real OTel JS exporters → tracelight (no auth)', () => {
  let server: RunningServer;
  let grpcUrl: string;

  beforeAll(async () => {
    server = await startServer({ host: '127.0.0.1', port: 0, grpcPort: 0, store: { dataDir } });
    grpcUrl = `http://127.0.0.1:${server.grpcPort}`;
  });

  afterAll(async () => {
    await server?.close();
  });

  describe('traces', () => {
    it('OTLP/HTTP protobuf (exporter-trace-otlp-proto): every field lands in otel_traces', async () => {
      const service = 'svc-trace-proto';
      const { provider, rec } = tracerProvider(new ProtoTraceExporter({ url: `${server.httpUrl}/v1/traces` }), resourceFor(service).attrs);
      const t = emitKnownTrace(provider);
      expectAllSucceeded(await flushTraces(provider, rec));
      await expectKnownTraceStored(server, t, service);
    });

    it('OTLP/HTTP JSON (exporter-trace-otlp-http): every field lands in otel_traces', async () => {
      const service = 'svc-trace-json';
      const { provider, rec } = tracerProvider(new JsonTraceExporter({ url: `${server.httpUrl}/v1/traces` }), resourceFor(service).attrs);
      const t = emitKnownTrace(provider);
      expectAllSucceeded(await flushTraces(provider, rec));
      await expectKnownTraceStored(server, t, service);
    });

    it('OTLP/gRPC (exporter-trace-otlp-grpc): every field lands in otel_traces', async () => {
      const service = 'svc-trace-grpc';
      const { provider, rec } = tracerProvider(new GrpcTraceExporter({ url: grpcUrl }), resourceFor(service).attrs);
      const t = emitKnownTrace(provider);
      expectAllSucceeded(await flushTraces(provider, rec));
      await expectKnownTraceStored(server, t, service);
    });

    it('OTLP/gRPC with gzip message compression', async () => {
      const service = 'svc-trace-grpc-gzip';
      const { provider, rec } = tracerProvider(new GrpcTraceExporter({ url: grpcUrl, compression: CompressionAlgorithm.GZIP }), resourceFor(service).attrs);
      const t = emitKnownTrace(provider);
      expectAllSucceeded(await flushTraces(provider, rec));
      await expectKnownTraceStored(server, t, service);
    });

    for (const [label, Exporter, contentType] of [
      ['protobuf', ProtoTraceExporter, 'application/x-protobuf'],
      ['JSON', JsonTraceExporter, 'application/json'],
    ] as const) {
      it(`OTLP/HTTP ${label} with compression: 'gzip' sends a gzip body that tracelight decodes`, async () => {
        const proxy = await startRecordingProxy(server.httpUrl);
        try {
          const service = `svc-trace-${label}-gzip`;
          const { provider, rec } = tracerProvider(
            new Exporter({ url: `${proxy.url}/v1/traces`, compression: CompressionAlgorithm.GZIP }),
            resourceFor(service).attrs,
          );
          const t = emitKnownTrace(provider);
          expectAllSucceeded(await flushTraces(provider, rec));
          expect(proxy.requests).toHaveLength(1);
          const req = proxy.requests[0] as Recorded;
          expect(req.url).toBe('/v1/traces');
          expect(req.headers['content-encoding']).toBe('gzip');
          expect(req.headers['content-type']).toBe(contentType);
          expect(req.status).toBe(200);
          expect(gunzipSync(req.body).length).toBeGreaterThan(req.body.length);
          await expectKnownTraceStored(server, t, service);
        } finally {
          await proxy.close();
        }
      });
    }
  });

  describe('logs', () => {
    it('OTLP/HTTP protobuf (exporter-logs-otlp-proto): body, severity, correlation, attributes, event name, scope', async () => {
      const service = 'svc-logs-proto';
      const { provider, rec } = loggerProvider(new ProtoLogExporter({ url: `${server.httpUrl}/v1/logs` }), resourceFor(service).attrs);
      const l = emitKnownLogs(provider);
      expectAllSucceeded(await flushLogs(provider, rec));
      await expectKnownLogsStored(server, l, service);
    });

    it('OTLP/HTTP JSON (exporter-logs-otlp-http): body, severity, correlation, attributes, event name, scope', async () => {
      const service = 'svc-logs-json';
      const { provider, rec } = loggerProvider(new JsonLogExporter({ url: `${server.httpUrl}/v1/logs` }), resourceFor(service).attrs);
      const l = emitKnownLogs(provider);
      expectAllSucceeded(await flushLogs(provider, rec));
      await expectKnownLogsStored(server, l, service);
    });

    it('OTLP/gRPC (exporter-logs-otlp-grpc): body, severity, correlation, attributes, event name, scope', async () => {
      const service = 'svc-logs-grpc';
      const { provider, rec } = loggerProvider(new GrpcLogExporter({ url: grpcUrl }), resourceFor(service).attrs);
      const l = emitKnownLogs(provider);
      expectAllSucceeded(await flushLogs(provider, rec));
      await expectKnownLogsStored(server, l, service);
    });

    for (const [label, Exporter, contentType] of [
      ['protobuf', ProtoLogExporter, 'application/x-protobuf'],
      ['JSON', JsonLogExporter, 'application/json'],
    ] as const) {
      it(`OTLP/HTTP ${label} logs with compression: 'gzip'`, async () => {
        const proxy = await startRecordingProxy(server.httpUrl);
        try {
          const service = `svc-logs-${label}-gzip`;
          const { provider, rec } = loggerProvider(
            new Exporter({ url: `${proxy.url}/v1/logs`, compression: CompressionAlgorithm.GZIP }),
            resourceFor(service).attrs,
          );
          const l = emitKnownLogs(provider);
          expectAllSucceeded(await flushLogs(provider, rec));
          expect(proxy.requests).toHaveLength(1);
          const req = proxy.requests[0] as Recorded;
          expect(req.url).toBe('/v1/logs');
          expect(req.headers['content-encoding']).toBe('gzip');
          expect(req.headers['content-type']).toBe(contentType);
          expect(req.status).toBe(200);
          await expectKnownLogsStored(server, l, service);
        } finally {
          await proxy.close();
        }
      });
    }
  });
});

describe("real OTel JS exporters → tracelight with apiKeys: ['k1']", () => {
  let server: RunningServer;
  let grpcUrl: string;

  beforeAll(async () => {
    // Same data directory, reopened: chDB allows one data directory per process.
    server = await startServer({ host: '127.0.0.1', port: 0, grpcPort: 0, apiKeys: ['k1'], store: { dataDir } });
    grpcUrl = `http://127.0.0.1:${server.grpcPort}`;
  });

  afterAll(async () => {
    await server?.close();
  });

  const bearer = (key: string): Metadata => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${key}`);
    return md;
  };

  /** Emits one span through the exporter; returns the results and the span's trace id. */
  async function oneSpan(exporter: SpanExporter, service: string): Promise<{ results: ExportResult[]; traceId: string }> {
    const { provider, rec } = tracerProvider(exporter, { 'service.name': service });
    const span = provider.getTracer('auth-test').startSpan('auth.span', { startTime: T.rootStart }, ROOT_CONTEXT);
    span.end(T.rootEnd);
    const results = await flushTraces(provider, rec);
    return { results, traceId: span.spanContext().traceId };
  }

  const countSpans = async (traceId: string): Promise<number> =>
    Number(
      (await server.store.driver.query<{ n: string }>('SELECT toString(count()) AS n FROM otel_traces WHERE TraceId = {traceId:String}', { traceId }))[0]?.n,
    );

  const url = (): string => `${server.httpUrl}/v1/traces`;
  const cases: [string, (headers: Record<string, string> | undefined) => SpanExporter][] = [
    ['protobuf', (headers) => new ProtoTraceExporter({ url: url(), headers })],
    ['JSON', (headers) => new JsonTraceExporter({ url: url(), headers })],
    ['gzip protobuf', (headers) => new ProtoTraceExporter({ url: url(), headers, compression: CompressionAlgorithm.GZIP })],
    [
      'gRPC',
      (headers) => new GrpcTraceExporter({ url: grpcUrl, metadata: headers ? bearer((headers.Authorization as string).replace(/^Bearer /, '')) : undefined }),
    ],
  ];

  for (const [label, make] of cases) {
    it(`${label}: with "Authorization: Bearer k1" the export succeeds and is stored`, async () => {
      const { results, traceId } = await oneSpan(make({ Authorization: 'Bearer k1' }), `svc-auth-${label}`);
      expectAllSucceeded(results);
      expect(await countSpans(traceId)).toBe(1);
    });

    it(`${label}: without a key, or with a wrong one, the export fails and nothing is stored`, async () => {
      for (const headers of [undefined, { Authorization: 'Bearer wrong' }]) {
        const { results, traceId } = await oneSpan(make(headers), `svc-noauth-${label}`);
        expect(results.length).toBeGreaterThan(0);
        for (const r of results) {
          expect(r.code).toBe(ExportResultCode.FAILED);
          // OTLP/HTTP: 401 (OTLPExporterError.code); OTLP/gRPC: status 16 UNAUTHENTICATED. Neither is retried.
          expect((r.error as (Error & { code?: number }) | undefined)?.code).toBe(label === 'gRPC' ? 16 : 401);
          expect(r.error?.message).toMatch(label === 'gRPC' ? /UNAUTHENTICATED: missing or invalid API key/ : /Unauthorized/);
        }
        expect(await countSpans(traceId)).toBe(0);
      }
    });
  }

  it('logs: the key is required on /v1/logs and LogsService too', async () => {
    const makers: [string, (key: string | undefined) => LogRecordExporter][] = [
      ['protobuf', (key) => new ProtoLogExporter({ url: `${server.httpUrl}/v1/logs`, headers: key ? { Authorization: `Bearer ${key}` } : undefined })],
      ['JSON', (key) => new JsonLogExporter({ url: `${server.httpUrl}/v1/logs`, headers: key ? { Authorization: `Bearer ${key}` } : undefined })],
      ['gRPC', (key) => new GrpcLogExporter({ url: grpcUrl, metadata: key ? bearer(key) : undefined })],
    ];
    for (const [label, make] of makers) {
      for (const key of ['k1', undefined]) {
        const { provider, rec } = loggerProvider(make(key), { 'service.name': `svc-logs-auth-${label}` });
        const run = hex(8);
        provider.getLogger('auth-logs').emit({ timestamp: LOG_TIME, body: 'auth?', attributes: { 'test.run': run } });
        const results = await flushLogs(provider, rec);
        const stored = await logsOfRun(server, run);
        if (key) {
          expectAllSucceeded(results);
          expect(stored, label).toHaveLength(1);
        } else {
          expect(
            results.map((r) => r.code),
            label,
          ).toEqual([ExportResultCode.FAILED]);
          expect(stored, label).toHaveLength(0);
        }
      }
    }
  });
});
