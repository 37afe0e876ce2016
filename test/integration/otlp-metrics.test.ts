// OTLP metrics end to end: the real OpenTelemetry JS metric SDK with each of its three OTLP exporters (HTTP
// protobuf, HTTP JSON, gRPC), and the real Python SDK with its HTTP and gRPC exporters, send to a running tracelight,
// and every data point lands in the Collector ClickHouse exporter's otel_metrics_* tables as that exporter stores it:
// values (int and double), bucket counts and bounds, exponential buckets with their offsets and zero count, min / max,
// quantiles, temporality, monotonicity, attributes, resource, scope, service name, exemplars with their trace and span
// ids. Also: a summary (which no SDK emits) by hand in OTLP/JSON, the GenAI client metrics, refused input (invalid
// protobuf, points without a name or with invalid data: partial success), API-key auth on both transports, the
// receiver's Prometheus counters, and `raw: false` (metrics accepted, not stored).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Metadata } from '@grpc/grpc-js';
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { AggregationTemporalityPreference, OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationType,
  DataPointType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type ExponentialHistogram,
  type MetricData,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMetricsResponse, decodeRpcStatus } from '../../receiver/codec/index.js';
import { startServer, type RunningServer } from '../../server/server.js';
import { REPO_ROOT } from '../support/cli-process.js';
import { pythonEnv } from '../support/python-env.js';
import { requirements } from '../interop/python/harness.js';

const run = promisify(execFile);

// ------------------------------------------------------------------ harness

/** Wraps an exporter, keeping what it exported and the results, and passing its temporality choice through. */
class RecordingMetricExporter implements PushMetricExporter {
  readonly results: ExportResult[] = [];
  readonly exported: ResourceMetrics[] = [];
  readonly selectAggregationTemporality: PushMetricExporter['selectAggregationTemporality'];
  readonly selectAggregation: PushMetricExporter['selectAggregation'];
  constructor(private readonly inner: PushMetricExporter) {
    this.selectAggregationTemporality = inner.selectAggregationTemporality?.bind(inner);
    this.selectAggregation = inner.selectAggregation?.bind(inner);
  }
  export(metrics: ResourceMetrics, done: (r: ExportResult) => void): void {
    this.exported.push(metrics);
    this.inner.export(metrics, (r) => {
      this.results.push(r);
      done(r);
    });
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const ns = (t: HrTime): string => (BigInt(t[0]) * 1_000_000_000n + BigInt(t[1])).toString();

function expectAllSucceeded(results: ExportResult[]): void {
  expect(results.length).toBeGreaterThan(0);
  for (const r of results) {
    expect(r.error?.message, 'export error').toBeUndefined();
    expect(r.code).toBe(ExportResultCode.SUCCESS);
  }
}

const RESOURCE_SCHEMA = 'https://opentelemetry.io/schemas/1.30.0';
const SCOPE = { name: 'tracelight-test/metrics', version: '4.5.6', schemaUrl: 'https://opentelemetry.io/schemas/1.29.0' };
const LATENCY_BOUNDS = [1, 10, 100];
/** The GenAI semantic conventions' advised buckets for gen_ai.client.token.usage and gen_ai.client.operation.duration. */
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

interface Provider {
  provider: MeterProvider;
  rec: RecordingMetricExporter;
}

function meterProvider(exporter: PushMetricExporter, service: string, run: string): Provider {
  const rec = new RecordingMetricExporter(exporter);
  const provider = new MeterProvider({
    resource: resourceFromAttributes(
      { 'service.name': service, 'service.version': '9.9.9', 'res.int': 7, 'res.arr': ['r1', 'r2'], 'test.run': run },
      { schemaUrl: RESOURCE_SCHEMA },
    ),
    views: [
      { instrumentName: 'test.latency', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: LATENCY_BOUNDS } } },
      { instrumentName: 'test.exp.latency', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } } },
      // An up-down counter aggregated as an exponential histogram: the SDK's histograms drop negative values.
      { instrumentName: 'test.exp.delta', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } } },
    ],
    // One export per flush: the interval never comes round in a test.
    readers: [new PeriodicExportingMetricReader({ exporter: rec, exportIntervalMillis: 600_000, exportTimeoutMillis: 10_000 })],
  });
  return { provider, rec };
}

const GENAI = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'sim-small',
  'gen_ai.response.model': 'sim-small-2026',
};

/** Records one known value set on every instrument kind. */
function recordKnownMetrics(provider: MeterProvider): void {
  const meter = provider.getMeter(SCOPE.name, SCOPE.version, { schemaUrl: SCOPE.schemaUrl });
  const requests = meter.createCounter('test.requests', { description: 'Requests handled', unit: '{request}', valueType: ValueType.INT });
  requests.add(3, { 'http.route': '/a', 'http.ok': true });
  requests.add(4, { 'http.route': '/a', 'http.ok': true });
  requests.add(10, { 'http.route': '/b', 'http.ok': false });
  const bytes = meter.createCounter('test.bytes', { unit: 'By' });
  bytes.add(1.25);
  bytes.add(0.5);
  const depth = meter.createUpDownCounter('test.queue.depth', { description: 'Items waiting', valueType: ValueType.INT });
  depth.add(5);
  depth.add(-8);
  const temperature = meter.createGauge('test.temperature', { unit: 'Cel' });
  temperature.record(21.5, { room: 'lab' });
  temperature.record(-3.25, { room: 'lab' });
  const latency = meter.createHistogram('test.latency', { unit: 'ms' });
  for (const v of [0.5, 5, 7, 50, 500]) latency.record(v, { 'http.route': '/a' });
  const exp = meter.createHistogram('test.exp.latency', { unit: 'ms' });
  for (const v of [0, 1, 2, 4, 1000]) exp.record(v);
  const expDelta = meter.createUpDownCounter('test.exp.delta');
  for (const v of [-4, -1, 0, 0, 3]) expDelta.add(v);
  const tokens = meter.createHistogram('gen_ai.client.token.usage', {
    description: 'Number of input and output tokens used.',
    unit: '{token}',
    valueType: ValueType.INT,
    advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
  });
  tokens.record(120, { ...GENAI, 'gen_ai.token.type': 'input' });
  tokens.record(42, { ...GENAI, 'gen_ai.token.type': 'output' });
  const duration = meter.createHistogram('gen_ai.client.operation.duration', {
    description: 'GenAI operation duration.',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  duration.record(0.73, GENAI);
}

/** Exports what was recorded since the last export (a failed export rejects the flush; the results say why). */
async function flush(p: Provider): Promise<void> {
  await p.provider.forceFlush().catch(() => undefined);
}

/** The reader's last export: shutting down collects once more, so a cumulative test exports at shutdown only. */
async function finish(p: Provider): Promise<void> {
  await p.provider.shutdown().catch(() => undefined);
}

const COMMON = `ServiceName, MetricName, MetricDescription, MetricUnit, ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion,
  ScopeAttributes, ScopeDroppedAttrCount, ScopeSchemaUrl, Attributes,
  toString(toUnixTimestamp64Nano(StartTimeUnix)) AS StartNs, toString(toUnixTimestamp64Nano(TimeUnix)) AS TimeNs, Flags`;
const EXEMPLARS = `Exemplars.FilteredAttributes AS ExFiltered, arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Exemplars.TimeUnix) AS ExTimeNs,
  Exemplars.Value AS ExValue, Exemplars.SpanId AS ExSpanId, Exemplars.TraceId AS ExTraceId`;
const COLUMNS: Record<string, string> = {
  otel_metrics_gauge: `${COMMON}, Value, ${EXEMPLARS}`,
  otel_metrics_sum: `${COMMON}, Value, ${EXEMPLARS}, AggregationTemporality, IsMonotonic`,
  otel_metrics_histogram: `${COMMON}, Count, Sum, BucketCounts, ExplicitBounds, ${EXEMPLARS}, Min, Max, AggregationTemporality`,
  otel_metrics_exponential_histogram: `${COMMON}, Count, Sum, Scale, ZeroCount, PositiveOffset, PositiveBucketCounts, NegativeOffset, NegativeBucketCounts,
    ${EXEMPLARS}, Min, Max, AggregationTemporality`,
  otel_metrics_summary: `${COMMON}, Count, Sum, ValueAtQuantiles.Quantile AS Quantiles, ValueAtQuantiles.Value AS QuantileValues`,
};

type Row = Record<string, unknown> & { MetricName: string; Attributes: Record<string, string> };

/** The rows of one table for one service, ordered by metric name and attributes. */
async function rows(server: RunningServer, table: keyof typeof COLUMNS, service: string): Promise<Row[]> {
  return server.store.driver.query<Row>(
    `SELECT ${COLUMNS[table]} FROM ${table} WHERE ServiceName = {service:String} ORDER BY MetricName, toString(Attributes), TimeUnix`,
    { service },
  );
}

function metricOf(exported: ResourceMetrics[], name: string): MetricData {
  for (const rm of exported) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) if (m.descriptor.name === name) return m;
  throw new Error(`the SDK exported no ${name}`);
}

/** Field-by-field check of everything recordKnownMetrics produced, against fixed values and against what the SDK exported. */
async function expectKnownMetricsStored(server: RunningServer, exported: ResourceMetrics[], service: string, run: string): Promise<void> {
  const resource = { 'service.name': service, 'service.version': '9.9.9', 'res.int': '7', 'res.arr': '["r1","r2"]', 'test.run': run };
  const common = (name: string, description: string, unit: string) => ({
    ServiceName: service,
    MetricName: name,
    MetricDescription: description,
    MetricUnit: unit,
    ResourceAttributes: resource,
    ResourceSchemaUrl: RESOURCE_SCHEMA,
    ScopeName: SCOPE.name,
    ScopeVersion: SCOPE.version,
    ScopeAttributes: {},
    ScopeDroppedAttrCount: 0,
    ScopeSchemaUrl: SCOPE.schemaUrl,
    Flags: 0,
  });
  const times = (m: MetricData, i = 0) => {
    const dp = m.dataPoints[i] as { startTime: HrTime; endTime: HrTime };
    return { StartNs: ns(dp.startTime), TimeNs: ns(dp.endTime) };
  };
  const noExemplars = { ExFiltered: [], ExTimeNs: [], ExValue: [], ExSpanId: [], ExTraceId: [] };

  const sums = await rows(server, 'otel_metrics_sum', service);
  const requests = metricOf(exported, 'test.requests');
  const bytes = metricOf(exported, 'test.bytes');
  const depth = metricOf(exported, 'test.queue.depth');
  const routeOf = (i: number) => (requests.dataPoints[i] as { attributes: Attributes }).attributes['http.route'];
  const requestPoint = (route: string) => requests.dataPoints.findIndex((_, i) => routeOf(i) === route);
  expect(sums).toEqual([
    {
      ...common('test.bytes', '', 'By'),
      ...times(bytes),
      Attributes: {},
      Value: 1.75,
      ...noExemplars,
      AggregationTemporality: 2,
      IsMonotonic: true,
    },
    {
      ...common('test.queue.depth', 'Items waiting', ''),
      ...times(depth),
      Attributes: {},
      Value: -3,
      ...noExemplars,
      AggregationTemporality: 2,
      IsMonotonic: false,
    },
    {
      ...common('test.requests', 'Requests handled', '{request}'),
      ...times(requests, requestPoint('/a')),
      Attributes: { 'http.route': '/a', 'http.ok': 'true' },
      Value: 7,
      ...noExemplars,
      AggregationTemporality: 2,
      IsMonotonic: true,
    },
    {
      ...common('test.requests', 'Requests handled', '{request}'),
      ...times(requests, requestPoint('/b')),
      Attributes: { 'http.route': '/b', 'http.ok': 'false' },
      Value: 10,
      ...noExemplars,
      AggregationTemporality: 2,
      IsMonotonic: true,
    },
  ]);

  const gauges = await rows(server, 'otel_metrics_gauge', service);
  expect(gauges).toEqual([
    { ...common('test.temperature', '', 'Cel'), ...times(metricOf(exported, 'test.temperature')), Attributes: { room: 'lab' }, Value: -3.25, ...noExemplars },
  ]);

  const histograms = await rows(server, 'otel_metrics_histogram', service);
  const tokens = metricOf(exported, 'gen_ai.client.token.usage');
  const tokenPoint = (type: string) => tokens.dataPoints.findIndex((dp) => dp.attributes['gen_ai.token.type'] === type);
  const tokenRow = (type: string, value: number) => {
    const counts = TOKEN_BUCKETS.map(() => '0').concat('0');
    counts[TOKEN_BUCKETS.findIndex((b) => value <= b)] = '1';
    return {
      ...common('gen_ai.client.token.usage', 'Number of input and output tokens used.', '{token}'),
      ...times(tokens, tokenPoint(type)),
      Attributes: { ...GENAI, 'gen_ai.token.type': type },
      Count: '1',
      Sum: value,
      BucketCounts: counts,
      ExplicitBounds: TOKEN_BUCKETS,
      ...noExemplars,
      Min: value,
      Max: value,
      AggregationTemporality: 2,
    };
  };
  const durationCounts = DURATION_BUCKETS.map(() => '0').concat('0');
  durationCounts[DURATION_BUCKETS.findIndex((b) => 0.73 <= b)] = '1';
  expect(histograms).toEqual([
    {
      ...common('gen_ai.client.operation.duration', 'GenAI operation duration.', 's'),
      ...times(metricOf(exported, 'gen_ai.client.operation.duration')),
      Attributes: GENAI,
      Count: '1',
      Sum: 0.73,
      BucketCounts: durationCounts,
      ExplicitBounds: DURATION_BUCKETS,
      ...noExemplars,
      Min: 0.73,
      Max: 0.73,
      AggregationTemporality: 2,
    },
    tokenRow('input', 120),
    tokenRow('output', 42),
    {
      ...common('test.latency', '', 'ms'),
      ...times(metricOf(exported, 'test.latency')),
      Attributes: { 'http.route': '/a' },
      Count: '5',
      Sum: 562.5,
      // (-inf, 1], (1, 10], (10, 100], (100, +inf)
      BucketCounts: ['1', '2', '1', '1'],
      ExplicitBounds: LATENCY_BOUNDS,
      ...noExemplars,
      Min: 0.5,
      Max: 500,
      AggregationTemporality: 2,
    },
  ]);

  const exps = await rows(server, 'otel_metrics_exponential_histogram', service);
  const sdkExp = (name: string): ExponentialHistogram => {
    const m = metricOf(exported, name);
    expect(m.dataPointType).toBe(DataPointType.EXPONENTIAL_HISTOGRAM);
    return m.dataPoints[0]?.value as ExponentialHistogram;
  };
  const expLatency = sdkExp('test.exp.latency');
  const expDelta = sdkExp('test.exp.delta');
  expect(exps).toEqual([
    {
      ...common('test.exp.delta', '', ''),
      ...times(metricOf(exported, 'test.exp.delta')),
      Attributes: {},
      Count: '5',
      // The SDK sends no sum for an instrument that records negative values: stored as 0, as the exporter stores an absent sum.
      Sum: 0,
      Scale: expDelta.scale,
      ZeroCount: '2',
      PositiveOffset: expDelta.positive.offset,
      PositiveBucketCounts: expDelta.positive.bucketCounts.map(String),
      NegativeOffset: expDelta.negative.offset,
      NegativeBucketCounts: expDelta.negative.bucketCounts.map(String),
      ...noExemplars,
      Min: -4,
      Max: 3,
      AggregationTemporality: 2,
    },
    {
      ...common('test.exp.latency', '', 'ms'),
      ...times(metricOf(exported, 'test.exp.latency')),
      Attributes: {},
      Count: '5',
      Sum: 1007,
      Scale: expLatency.scale,
      ZeroCount: '1',
      PositiveOffset: expLatency.positive.offset,
      PositiveBucketCounts: expLatency.positive.bucketCounts.map(String),
      NegativeOffset: 0,
      NegativeBucketCounts: [],
      ...noExemplars,
      Min: 0,
      Max: 1000,
      AggregationTemporality: 2,
    },
  ]);
  // The SDK's own buckets are what a reader of the table gets back: two negative values, one positive, and every
  // positive count of the latency histogram in buckets (1, 2, 4 and 1000: four values, the zero aside).
  expect(expDelta.sum).toBeUndefined();
  expect(expDelta.negative.bucketCounts.reduce((a, b) => a + b, 0)).toBe(2);
  expect(expDelta.positive.bucketCounts.reduce((a, b) => a + b, 0)).toBe(1);
  expect(expLatency.positive.bucketCounts.reduce((a, b) => a + b, 0)).toBe(4);
  expect(expLatency.scale).toBeLessThan(20);

  // The SDK emitted every point once, and each is stored once.
  const points = exported.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.dataPoints.length))).reduce((a, b) => a + b, 0);
  expect(sums.length + gauges.length + histograms.length + exps.length).toBe(points);
}

/** The delta-temporality exporter's view of a counter: each flush exports what was added since the last. */
async function expectDeltaCounter(server: RunningServer, make: (pref: AggregationTemporalityPreference) => PushMetricExporter, service: string): Promise<void> {
  const p = meterProvider(make(AggregationTemporalityPreference.DELTA), service, hex(4));
  const counter = p.provider.getMeter(SCOPE.name, SCOPE.version).createCounter('test.delta.requests', { valueType: ValueType.INT });
  counter.add(2);
  counter.add(5);
  await flush(p);
  counter.add(1);
  await finish(p);
  expectAllSucceeded(p.rec.results);
  const stored = await rows(server, 'otel_metrics_sum', service);
  expect(stored.map((r) => [r.MetricName, r.Value, r.AggregationTemporality, r.IsMonotonic])).toEqual([
    ['test.delta.requests', 7, 1, true],
    ['test.delta.requests', 1, 1, true],
  ]);
  const sdk = p.rec.exported.map((rm) => metricOf([rm], 'test.delta.requests').dataPoints[0] as { startTime: HrTime; endTime: HrTime });
  expect(stored.map((r) => [r.StartNs, r.TimeNs])).toEqual(sdk.map((dp) => [ns(dp.startTime), ns(dp.endTime)]));
  // Delta intervals follow each other: the second starts where the first ended.
  expect(stored[1]?.StartNs).toBe(stored[0]?.TimeNs);
}

/** POSTs to /v1/metrics: bytes as protobuf, anything else as OTLP/JSON (a string as it is). */
async function post(server: RunningServer, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const proto = body instanceof Uint8Array;
  return fetch(`${server.httpUrl}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': proto ? 'application/x-protobuf' : 'application/json', ...headers },
    body: proto || typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const kv = (key: string, value: unknown) => ({ key, value: typeof value === 'string' ? { stringValue: value } : { intValue: String(value) } });

/** An OTLP/JSON request of one resource and scope holding `metrics`. */
function jsonRequest(service: string, metrics: unknown[]): unknown {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [kv('service.name', service)] },
        schemaUrl: RESOURCE_SCHEMA,
        scopeMetrics: [{ scope: { name: 'hand-made', version: '1', attributes: [kv('scope.attr', 'x')], droppedAttributesCount: 2 }, schemaUrl: '', metrics }],
      },
    ],
  };
}

const T0 = '1760000000123456789';
const T1 = '1760000060987654321';

async function metricsCounters(server: RunningServer): Promise<string> {
  return (await fetch(`${server.httpUrl}/metrics`)).text();
}

function counter(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((x) => l.includes(x)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

// ------------------------------------------------------------------ tests

const dataDir = mkdtempSync(join(tmpdir(), 'tracelight-otlp-metrics-'));

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('real OTel JS metric exporters → tracelight (no auth)', () => {
  let server: RunningServer;
  let grpcUrl: string;

  beforeAll(async () => {
    server = await startServer({ host: '127.0.0.1', port: 0, grpcPort: 0, store: { dataDir } });
    grpcUrl = `http://127.0.0.1:${server.grpcPort}`;
  });

  afterAll(async () => {
    await server?.close();
  });

  const transports: [string, (pref: AggregationTemporalityPreference) => PushMetricExporter][] = [
    [
      'OTLP/HTTP protobuf (exporter-metrics-otlp-proto)',
      (pref) => new ProtoMetricExporter({ url: `${server.httpUrl}/v1/metrics`, temporalityPreference: pref }),
    ],
    ['OTLP/HTTP JSON (exporter-metrics-otlp-http)', (pref) => new JsonMetricExporter({ url: `${server.httpUrl}/v1/metrics`, temporalityPreference: pref })],
    ['OTLP/gRPC (exporter-metrics-otlp-grpc)', (pref) => new GrpcMetricExporter({ url: grpcUrl, temporalityPreference: pref })],
  ];

  for (const [label, make] of transports) {
    const slug = label.replace(/ .*/, '').replace(/\W/g, '-').toLowerCase() + (label.includes('JSON') ? '-json' : label.includes('protobuf') ? '-proto' : '');
    it(`${label}: counters, up-down counter, gauge, histograms, exponential histograms and GenAI metrics land field by field`, async () => {
      const service = `svc-metrics-${slug}`;
      const runId = hex(4);
      const p = meterProvider(make(AggregationTemporalityPreference.CUMULATIVE), service, runId);
      recordKnownMetrics(p.provider);
      await finish(p);
      expectAllSucceeded(p.rec.results);
      expect(p.rec.exported).toHaveLength(1);
      await expectKnownMetricsStored(server, p.rec.exported, service, runId);
    });

    it(`${label}: a delta counter exports what was added since the last export`, async () => {
      await expectDeltaCounter(server, make, `svc-metrics-delta-${slug}`);
    });
  }

  it('counts data points in the receiver metrics, signal="metrics"', async () => {
    const text = await metricsCounters(server);
    // Each known export carries 11 points (4 sums, 1 gauge, 4 histograms with GenAI's, 2 exponential); each delta run 2.
    expect(counter(text, 'tracelight_accepted_total', 'signal="metrics",transport="http"')).toBe(2 * (11 + 2));
    expect(counter(text, 'tracelight_accepted_total', 'signal="metrics",transport="grpc"')).toBe(11 + 2);
    expect(counter(text, 'tracelight_otlp_requests_total', 'signal="metrics",transport="grpc",code="200"')).toBe(3);
  });

  it('a summary (no SDK emits one) and an int gauge by hand in OTLP/JSON, with an exemplar, land exactly', async () => {
    const service = 'svc-metrics-summary';
    const traceId = hex(16);
    const spanId = hex(8);
    const res = await post(
      server,
      jsonRequest(service, [
        {
          name: 'rpc.server.duration.summary',
          description: 'Durations',
          unit: 'ms',
          summary: {
            dataPoints: [
              {
                attributes: [kv('rpc.method', 'Get')],
                startTimeUnixNano: T0,
                timeUnixNano: T1,
                count: '18446744073709551615',
                sum: 1234.5,
                quantileValues: [
                  { quantile: 0, value: 0.5 },
                  { quantile: 0.5, value: 12.25 },
                  { quantile: 0.99, value: 250 },
                  { quantile: 1, value: 900 },
                ],
                flags: 1,
              },
            ],
          },
        },
        {
          name: 'big.int.gauge',
          gauge: {
            dataPoints: [
              {
                timeUnixNano: T1,
                asInt: '-9007199254740993',
                exemplars: [
                  { filteredAttributes: [kv('dropped', 'yes')], timeUnixNano: T0, asInt: '12', traceId, spanId },
                  { timeUnixNano: T0, asDouble: 'NaN' },
                ],
              },
            ],
          },
        },
      ]),
    );
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({});
    const base = {
      ServiceName: service,
      MetricDescription: '',
      MetricUnit: '',
      ResourceAttributes: { 'service.name': service },
      ResourceSchemaUrl: RESOURCE_SCHEMA,
      ScopeName: 'hand-made',
      ScopeVersion: '1',
      ScopeAttributes: { 'scope.attr': 'x' },
      ScopeDroppedAttrCount: 2,
      ScopeSchemaUrl: '',
    };
    expect(await rows(server, 'otel_metrics_summary', service)).toEqual([
      {
        ...base,
        MetricName: 'rpc.server.duration.summary',
        MetricDescription: 'Durations',
        MetricUnit: 'ms',
        Attributes: { 'rpc.method': 'Get' },
        StartNs: T0,
        TimeNs: T1,
        Flags: 1,
        Count: '18446744073709551615',
        Sum: 1234.5,
        Quantiles: [0, 0.5, 0.99, 1],
        QuantileValues: [0.5, 12.25, 250, 900],
      },
    ]);
    expect(await rows(server, 'otel_metrics_gauge', service)).toEqual([
      {
        ...base,
        MetricName: 'big.int.gauge',
        Attributes: {},
        StartNs: '0',
        TimeNs: T1,
        Flags: 0,
        // An int64 beyond 2^53 as the exporter's Float64: the nearest double, as Go's float64(int64) rounds.
        Value: -9007199254740992,
        ExFiltered: [{ dropped: 'yes' }, {}],
        ExTimeNs: [T0, T0],
        ExValue: [12, null],
        ExSpanId: [spanId, '0000000000000000'],
        ExTraceId: [traceId, '00000000000000000000000000000000'],
      },
    ]);
  });

  it('points without a metric name or with invalid data are refused one by one (partial success); the rest are stored', async () => {
    const service = 'svc-metrics-partial';
    const good = { timeUnixNano: T1, asDouble: 1.5 };
    const body = jsonRequest(service, [
      { name: '', gauge: { dataPoints: [good, good] } },
      { name: 'no.data' },
      { name: 'mixed.gauge', gauge: { dataPoints: [good, { timeUnixNano: T1 }, { asDouble: 2 }, { timeUnixNano: '9300000000000000000', asDouble: 1 }] } },
      {
        name: 'bad.histogram',
        histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: T1, count: 1, bucketCounts: [1, 0], explicitBounds: [1, 2] }] },
      },
    ]);
    const res = await post(server, body);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { partialSuccess: { rejectedDataPoints: string; errorMessage: string } };
    // 2 unnamed + 1 without data + 3 invalid of mixed.gauge + 1 histogram; the first five reasons are named.
    expect(answer.partialSuccess.rejectedDataPoints).toBe('7');
    const p = 'resourceMetrics[0].scopeMetrics[0].metrics';
    expect(answer.partialSuccess.errorMessage).toBe(
      `${p}[0]: metric name is missing; ${p}[1]: metric "no.data" has no data (gauge, sum, histogram, exponentialHistogram or summary); ` +
        `${p}[2].gauge.dataPoints[1]: the data point has no value (asInt or asDouble); ${p}[2].gauge.dataPoints[2]: timeUnixNano is missing (0); ` +
        `${p}[2].gauge.dataPoints[3].timeUnixNano 9300000000000000000 is out of range (past year 2262) (and 1 more)`,
    );
    expect((await rows(server, 'otel_metrics_gauge', service)).map((r) => [r.MetricName, r.Value])).toEqual([['mixed.gauge', 1.5]]);
    expect(await rows(server, 'otel_metrics_histogram', service)).toEqual([]);

    // The same refusals in protobuf, counted and named the same way.
    const pres = await post(server, await metricsProtoRequest(body));
    expect(pres.status).toBe(200);
    const decoded = decodeMetricsResponse(new Uint8Array(await pres.arrayBuffer()));
    expect(Number(decoded.partialSuccess?.rejectedDataPoints)).toBe(7);
    expect(decoded.partialSuccess?.errorMessage).toBe(
      `${p}[0]: metric name is missing; ${p}[1]: metric "no.data" has no data (gauge, sum, histogram, exponentialHistogram or summary); ` +
        `${p}[2].gauge.dataPoints[1]: the data point has no value (asInt or asDouble); ${p}[2].gauge.dataPoints[2]: timeUnixNano is missing (0); ` +
        `${p}[2].gauge.dataPoints[3]: timeUnixNano 9300000000000000000 is past year 2262 and cannot be stored (and 1 more)`,
    );
    expect((await rows(server, 'otel_metrics_gauge', service)).map((r) => [r.MetricName, r.Value])).toEqual([
      ['mixed.gauge', 1.5],
      ['mixed.gauge', 1.5],
    ]);

    const more = await post(
      server,
      jsonRequest(service, [
        {
          name: 'bad.histogram',
          histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: T1, count: 1, bucketCounts: [1, 0], explicitBounds: [1, 2] }] },
        },
        { name: 'bad.temporality', sum: { aggregationTemporality: 7, dataPoints: [good, good] } },
        { name: 'bad.quantile', summary: { dataPoints: [{ timeUnixNano: T1, quantileValues: [{ quantile: 1.5, value: 1 }] }] } },
        { name: 'two.fields', gauge: { dataPoints: [good] }, sum: { dataPoints: [good] } },
      ]),
    );
    const moreAnswer = (await more.json()) as { partialSuccess: { rejectedDataPoints: string; errorMessage: string } };
    expect(moreAnswer.partialSuccess).toEqual({
      rejectedDataPoints: '5',
      errorMessage:
        `${p}[0].histogram.dataPoints[0]: bucketCounts has 2 entries for 2 explicitBounds (must be explicitBounds + 1); ` +
        `${p}[1]: metric "bad.temporality": aggregationTemporality 7 is not an AggregationTemporality (0..2); ` +
        `${p}[2].summary.dataPoints[0]: quantile 1.5 is outside [0, 1]; ${p}[3]: metric "two.fields" carries gauge and sum; a metric has one data field`,
    });
  });

  it('gzip-compressed OTLP/JSON and protobuf bodies are decoded', async () => {
    const service = 'svc-metrics-gzip';
    const body = jsonRequest(service, [{ name: 'zipped', gauge: { dataPoints: [{ timeUnixNano: T1, asInt: '7' }] } }]);
    for (const [type, payload] of [
      ['application/json', Buffer.from(JSON.stringify(body))],
      ['application/x-protobuf', await metricsProtoRequest(body)],
    ] as const) {
      const res = await fetch(`${server.httpUrl}/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': type, 'content-encoding': 'gzip' },
        body: gzipSync(payload),
      });
      expect(res.status).toBe(200);
    }
    expect((await rows(server, 'otel_metrics_gauge', service)).map((r) => [r.MetricName, r.Value, r.TimeNs])).toEqual([
      ['zipped', 7, T1],
      ['zipped', 7, T1],
    ]);
  });

  it('invalid protobuf is refused whole: 400 with a one-line google.rpc.Status, nothing stored', async () => {
    const res = await post(server, new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/x-protobuf/);
    const status = decodeRpcStatus(new Uint8Array(await res.arrayBuffer()));
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/^malformed protobuf ExportMetricsServiceRequest: /);
    expect(status.message).not.toMatch(/\n/);
    const json = await post(server, '{"resourceMetrics": [');
    expect(json.status).toBe(400);
    expect(((await json.json()) as { message: string }).message).toMatch(/^malformed JSON ExportMetricsServiceRequest: /);
  });
});

describe("tracelight with apiKeys: ['k1'] and maxItemsPerRequest: 20", () => {
  let server: RunningServer;
  let grpcUrl: string;

  beforeAll(async () => {
    // Same data directory, reopened: chDB allows one data directory per process.
    server = await startServer({ host: '127.0.0.1', port: 0, grpcPort: 0, apiKeys: ['k1'], maxItemsPerRequest: 20, store: { dataDir } });
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

  const makers: [string, (key: string | undefined) => PushMetricExporter][] = [
    ['protobuf', (key) => new ProtoMetricExporter({ url: `${server.httpUrl}/v1/metrics`, headers: key ? { Authorization: `Bearer ${key}` } : undefined })],
    ['JSON', (key) => new JsonMetricExporter({ url: `${server.httpUrl}/v1/metrics`, headers: key ? { Authorization: `Bearer ${key}` } : undefined })],
    ['gRPC', (key) => new GrpcMetricExporter({ url: grpcUrl, metadata: key ? bearer(key) : undefined })],
  ];

  for (const [label, make] of makers) {
    it(`${label}: with the key the export is stored; without it, or with a wrong one, it fails (401 / UNAUTHENTICATED) and nothing is stored`, async () => {
      for (const key of ['k1', undefined, 'wrong']) {
        const service = `svc-metrics-auth-${label}-${key ?? 'none'}`;
        const p = meterProvider(make(key), service, hex(4));
        p.provider.getMeter('auth').createCounter('auth.count').add(1);
        await finish(p);
        const stored = await rows(server, 'otel_metrics_sum', service);
        if (key === 'k1') {
          expectAllSucceeded(p.rec.results);
          expect(stored.map((r) => r.MetricName)).toEqual(['auth.count']);
          continue;
        }
        expect(p.rec.results.length).toBeGreaterThan(0);
        for (const r of p.rec.results) {
          expect(r.code).toBe(ExportResultCode.FAILED);
          expect((r.error as (Error & { code?: number }) | undefined)?.code).toBe(label === 'gRPC' ? 16 : 401);
        }
        expect(stored).toEqual([]);
      }
    });
  }

  it('a request of more data points than the limit is refused whole (413), counted from the protobuf framing', async () => {
    const points = (n: number) => Array.from({ length: n }, (_, i) => ({ timeUnixNano: T1, asInt: String(i), attributes: [kv('i', i)] }));
    const body = jsonRequest('svc-metrics-limit', [
      { name: 'limit.a', gauge: { dataPoints: points(15) } },
      { name: 'limit.b', gauge: { dataPoints: points(6) } },
    ]);
    const auth = { authorization: 'Bearer k1' };
    for (const payload of [body, await metricsProtoRequest(body)]) {
      const res = await post(server, payload, auth);
      expect(res.status).toBe(413);
    }
    const json = await post(server, body, auth);
    expect(((await json.json()) as { message: string }).message).toBe(
      'the request carries 21 metric data points, more than the limit of 20 per request; send smaller batches (fewer metrics or attribute sets per export)',
    );
    expect(await rows(server, 'otel_metrics_gauge', 'svc-metrics-limit')).toEqual([]);
    const ok = await post(server, jsonRequest('svc-metrics-limit', [{ name: 'limit.a', gauge: { dataPoints: points(20) } }]), auth);
    expect(ok.status).toBe(200);
    expect(await rows(server, 'otel_metrics_gauge', 'svc-metrics-limit')).toHaveLength(20);
  });
});

interface PyRun {
  results: string[];
  exported: { resource_metrics: { scope_metrics: { metrics: PyMetric[] }[] }[] }[];
  trace_id: string;
  span_id: string;
}
interface PyMetric {
  name: string;
  data: { data_points: PyPoint[]; aggregation_temporality?: number; is_monotonic?: boolean };
}
/** Times are decimal strings (otlp_metrics.py writes integers past 2^53 so). */
type PyPoint = Record<string, unknown> & { start_time_unix_nano: string; time_unix_nano: string; attributes: Record<string, unknown> };

describe('the real Python OTel SDK (opentelemetry-sdk 1.45.2 with its OTLP/HTTP and OTLP/gRPC metric exporters)', () => {
  let server: RunningServer;
  let python: string;

  beforeAll(async () => {
    // The openai-v2 interop environment already holds the SDK and both exporters: no venv of its own.
    python = await pythonEnv('openai-v2', requirements('openai-v2'));
    server = await startServer({ host: '127.0.0.1', port: 0, grpcPort: 0, store: { dataDir } });
  }, 1_800_000);

  afterAll(async () => {
    await server?.close();
  });

  for (const protocol of ['http/protobuf', 'grpc'] as const) {
    it(`${protocol}: every instrument kind lands field by field, exemplars with their span's ids`, async () => {
      const service = `py-metrics-${protocol.replace('/', '-')}`;
      const endpoint = protocol === 'grpc' ? `http://127.0.0.1:${server.grpcPort}` : server.httpUrl;
      const { stdout } = await run(python, [join(REPO_ROOT, 'test', 'integration', 'python', 'otlp_metrics.py'), protocol, endpoint, service], {
        timeout: 60_000,
        env: { PATH: process.env.PATH ?? '', PYTHONDONTWRITEBYTECODE: '1' },
      });
      const py = JSON.parse(stdout.trim().split('\n').at(-1) as string) as PyRun;
      expect(py.results).toEqual(['SUCCESS']);
      const metrics = py.exported.flatMap((e) => e.resource_metrics.flatMap((rm) => rm.scope_metrics.flatMap((sm) => sm.metrics)));
      const sdk = (name: string): PyMetric => metrics.find((m) => m.name === name) as PyMetric;
      // A gauge's start time is unset (null in the SDK's JSON, 0 on the wire and in the table).
      const times = (m: PyMetric) => ({
        StartNs: String(m.data.data_points[0]?.start_time_unix_nano ?? 0),
        TimeNs: String(m.data.data_points[0]?.time_unix_nano),
      });
      const scope = { ScopeName: 'py-metrics-test', ScopeVersion: '7.8.9', ServiceName: service };

      const sums = await rows(server, 'otel_metrics_sum', service);
      expect(sums.map((r) => [r.MetricName, r.Attributes, r.Value, r.AggregationTemporality, r.IsMonotonic, r.StartNs, r.TimeNs])).toEqual([
        ['py.queue.depth', {}, -7, 2, false, times(sdk('py.queue.depth')).StartNs, times(sdk('py.queue.depth')).TimeNs],
        ['py.requests', { route: '/x' }, 5, 2, true, times(sdk('py.requests')).StartNs, times(sdk('py.requests')).TimeNs],
      ]);
      const requests = sums.find((r) => r.MetricName === 'py.requests') as Row;
      expect(requests).toMatchObject({
        ...scope,
        MetricUnit: '{request}',
        MetricDescription: 'Requests',
        ResourceAttributes: expect.objectContaining({ 'service.name': service, 'res.bool': 'true', 'telemetry.sdk.language': 'python' }),
      });
      // The counter was added to inside a sampled span: its exemplar carries the span's ids and the measurement.
      expect(requests).toMatchObject({ ExValue: [5], ExTraceId: [py.trace_id], ExSpanId: [py.span_id], ExFiltered: [{}] });

      const gauges = await rows(server, 'otel_metrics_gauge', service);
      expect(gauges.map((r) => [r.MetricName, r.Attributes, r.Value])).toEqual([
        ['py.observed', { src: 'cb' }, 2.5],
        ['py.temperature', { room: 'r1' }, 19.5],
      ]);
      expect(gauges[1]).toMatchObject({ ...scope, MetricUnit: 'Cel', ...times(sdk('py.temperature')) });

      const histograms = await rows(server, 'otel_metrics_histogram', service);
      expect(
        histograms.map((r) => [r.MetricName, r.Attributes, r.Count, r.Sum, r.BucketCounts, r.ExplicitBounds, r.Min, r.Max, r.AggregationTemporality]),
      ).toEqual([
        [
          'gen_ai.client.token.usage',
          { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.token.type': 'input' },
          '1',
          300,
          ['0', '0', '0', '0', '0', '1', '0', '0', '0', '0', '0', '0', '0', '0', '0'],
          TOKEN_BUCKETS,
          300,
          300,
          2,
        ],
        ['py.latency', { kept: 'k' }, '1', 42, ['0', '1', '0'], [10, 100], 42, 42, 2],
      ]);
      // The view kept one attribute: the other is the exemplar's filtered attribute.
      expect(histograms[1]).toMatchObject({
        ExValue: [42],
        ExTraceId: [py.trace_id],
        ExSpanId: [py.span_id],
        ExFiltered: [{ dropped: 'd' }],
        ...times(sdk('py.latency')),
      });

      const exps = await rows(server, 'otel_metrics_exponential_histogram', service);
      type PyBuckets = { offset: number; bucket_counts: number[] };
      const pyExp = sdk('py.exp').data.data_points[0] as PyPoint & { scale: number; positive: PyBuckets; negative: PyBuckets };
      expect(exps).toHaveLength(1);
      expect(exps[0]).toMatchObject({
        MetricName: 'py.exp',
        Count: '4',
        Sum: 254,
        ZeroCount: '1',
        Scale: pyExp.scale,
        PositiveOffset: pyExp.positive.offset,
        PositiveBucketCounts: pyExp.positive.bucket_counts.map(String),
        // The Python SDK sends its (empty) negative buckets as one zero count: stored as sent.
        NegativeOffset: pyExp.negative.offset,
        NegativeBucketCounts: pyExp.negative.bucket_counts.map(String),
        Min: 0,
        Max: 250,
        AggregationTemporality: 2,
        ...times(sdk('py.exp')),
      });
      expect(pyExp.positive.bucket_counts.reduce((a, b) => a + b, 0)).toBe(3);
    });
  }
});

describe('tracelight with raw: false (a Collector stores the raw telemetry)', () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({ host: '127.0.0.1', port: 0, grpcPort: 0, store: { dataDir, raw: false } });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('accepts metrics (counted as accepted) and stores none of them', async () => {
    const p = meterProvider(new ProtoMetricExporter({ url: `${server.httpUrl}/v1/metrics` }), 'svc-metrics-no-raw', hex(4));
    recordKnownMetrics(p.provider);
    await finish(p);
    expectAllSucceeded(p.rec.results);
    for (const t of Object.keys(COLUMNS)) expect(await rows(server, t, 'svc-metrics-no-raw'), t).toEqual([]);
    expect(counter(await metricsCounters(server), 'tracelight_accepted_total', 'signal="metrics",transport="http"')).toBe(11);
  });
});

/** The OTLP/JSON request as protobuf, encoded by protobufjs from schemas/otlp (hex ids → bytes as the JSON mapping says). */
async function metricsProtoRequest(json: unknown): Promise<Uint8Array> {
  const root = await protobuf.load(join(REPO_ROOT, 'schemas', 'otlp', 'metrics_service.proto'));
  const Request = root.lookupType('opentelemetry.proto.ExportMetricsServiceRequest');
  const fixIds = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(fixIds);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = (k === 'traceId' || k === 'spanId') && typeof x === 'string' ? Buffer.from(x, 'hex') : fixIds(x);
      return out;
    }
    return v;
  };
  return Request.encode(Request.fromObject(fixIds(json) as Record<string, unknown>)).finish();
}
