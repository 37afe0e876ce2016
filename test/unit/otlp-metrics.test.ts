// The metrics half of the OTLP codec and the otel_metrics_* row encoding, where they are not obvious: protobuf and
// OTLP/JSON give the same records; repeated scalars read packed or one per tag; the data oneof takes its last
// member; sint32 offsets and scales keep their sign; the framing count matches what is decoded; a refused resource
// counts every data point under it; mutated input is refused only with a decode error. And the rows: Float64 text
// for NaN and infinities, int64 values rounded as Go rounds them, absent optional fields and exemplar ids as the
// Collector exporter stores them.
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { countMetricPoints, decodeMetricsJson, decodeMetricsProto, OtlpDecodeError, partialSuccessOf } from '../../receiver/codec/index.js';
import { encodeMetricPoints, measurement, METRIC_FORMATS, tsvFloat } from '../../store/otel-metrics-rows.js';
import type { MetricPointRecord, MetricRecord } from '../../schemas/telemetry.js';
import { prng } from '../../algorithms/apo/search.js';
import { REPO_ROOT } from '../support/cli-process.js';

const root = protobuf.loadSync(join(REPO_ROOT, 'schemas', 'otlp', 'metrics_service.proto'));
const Request = root.lookupType('opentelemetry.proto.ExportMetricsServiceRequest');

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
const T0 = '1760000000123456789';
const T1 = '1760000060987654321';
const str = (key: string, v: string) => ({ key, value: { stringValue: v } });

/** An OTLP/JSON request with one metric of every type, ids in hex. */
function request(): Record<string, unknown> {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [str('service.name', 'svc'), { key: 'res.n', value: { intValue: '3' } }] },
        schemaUrl: 'https://example.com/r',
        scopeMetrics: [
          {
            scope: { name: 'scope', version: '1.0', attributes: [str('s', 'v')], droppedAttributesCount: 4 },
            schemaUrl: 'https://example.com/s',
            metrics: [
              {
                name: 'g',
                description: 'a gauge',
                unit: '1',
                gauge: {
                  dataPoints: [
                    { attributes: [str('a', 'x')], timeUnixNano: T1, asDouble: -0.5, flags: 1 },
                    {
                      timeUnixNano: T1,
                      asInt: '-9223372036854775808',
                      exemplars: [{ filteredAttributes: [str('f', 'y')], timeUnixNano: T0, asDouble: 2.5, traceId: TRACE, spanId: SPAN }],
                    },
                  ],
                },
              },
              {
                name: 's',
                sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ startTimeUnixNano: T0, timeUnixNano: T1, asInt: '9007199254740993' }] },
              },
              {
                name: 'h',
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: [
                    {
                      startTimeUnixNano: T0,
                      timeUnixNano: T1,
                      count: '18446744073709551615',
                      sum: 12.5,
                      bucketCounts: ['18446744073709551615', '0', '1'],
                      explicitBounds: [0, 10],
                      min: -1,
                      max: 99,
                    },
                    { timeUnixNano: T1, count: '0' },
                  ],
                },
              },
              {
                name: 'e',
                exponentialHistogram: {
                  aggregationTemporality: 1,
                  dataPoints: [
                    {
                      timeUnixNano: T1,
                      count: '9',
                      sum: -3,
                      scale: -4,
                      zeroCount: '2',
                      zeroThreshold: 0.001,
                      positive: { offset: -3, bucketCounts: ['1', '0', '4'] },
                      negative: { offset: 5, bucketCounts: ['2'] },
                    },
                  ],
                },
              },
              {
                name: 'q',
                summary: {
                  dataPoints: [
                    {
                      timeUnixNano: T1,
                      count: '3',
                      sum: 7,
                      quantileValues: [
                        { quantile: 0.5, value: 2 },
                        { quantile: 1, value: 4 },
                      ],
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

function toProto(json: unknown): Uint8Array {
  const ids = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(ids);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [k, (k === 'traceId' || k === 'spanId') && typeof x === 'string' ? Buffer.from(x, 'hex') : ids(x)]),
      );
    }
    return v;
  };
  return Request.encode(Request.fromObject(ids(json) as Record<string, unknown>)).finish();
}

/** Records without their shared metric object (compared on its own), so failures read point by point. */
const flat = (points: MetricPointRecord[]) => points.map(({ metric, ...rest }) => ({ metric: metric.name, ...rest }));

describe('OTLP metrics decoding', () => {
  it('decodes protobuf and OTLP/JSON into the same records, exactly', () => {
    const json = decodeMetricsJson(JSON.stringify(request()));
    const proto = decodeMetricsProto(toProto(request()));
    expect(json.rejected).toBe(0);
    expect(proto.rejected).toBe(0);
    expect(flat(proto.items)).toEqual(flat(json.items));
    expect(proto.items.map((p) => p.metric)).toEqual(json.items.map((p) => p.metric));
    const [g0, g1, s, h0, h1, e, q] = proto.items as MetricPointRecord[];
    expect(g0).toMatchObject({ type: 'gauge', value: -0.5, flags: 1, attributes: { a: 'x' }, startTimeUnixNano: 0n, timeUnixNano: BigInt(T1) });
    expect(g1).toMatchObject({
      value: -9223372036854775808n,
      exemplars: [{ filteredAttributes: { f: 'y' }, timeUnixNano: BigInt(T0), value: 2.5, traceId: TRACE, spanId: SPAN }],
    });
    expect(s).toMatchObject({ type: 'sum', value: 9007199254740993n });
    expect(s?.metric).toMatchObject({ aggregationTemporality: 1, isMonotonic: true });
    expect(h0).toMatchObject({
      count: 18446744073709551615n,
      sum: 12.5,
      bucketCounts: [18446744073709551615n, 0n, 1n],
      explicitBounds: [0, 10],
      min: -1,
      max: 99,
    });
    expect(h1).toMatchObject({ count: 0n, sum: null, bucketCounts: [], explicitBounds: [], min: null, max: null });
    expect(e).toMatchObject({
      scale: -4,
      zeroCount: 2n,
      zeroThreshold: 0.001,
      positive: { offset: -3, bucketCounts: [1n, 0n, 4n] },
      negative: { offset: 5, bucketCounts: [2n] },
    });
    expect(q).toMatchObject({
      count: 3n,
      sum: 7,
      quantileValues: [
        { quantile: 0.5, value: 2 },
        { quantile: 1, value: 4 },
      ],
    });
    expect(g0?.metric).toMatchObject({
      description: 'a gauge',
      unit: '1',
      resource: { 'service.name': 'svc', 'res.n': 3 },
      resourceSchemaUrl: 'https://example.com/r',
      scope: { name: 'scope', version: '1.0', attributes: { s: 'v' }, droppedAttributesCount: 4 },
      scopeSchemaUrl: 'https://example.com/s',
    });
    expect(countMetricPoints(toProto(request()))).toBe(7);
  });

  it('reads repeated scalars one per tag as well as packed, and takes the data oneof’s last member', () => {
    const fixed64 = (n: number) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(n));
      return b;
    };
    const double = (n: number) => {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(n);
      return b;
    };
    const tag = (field: number, wire: number) => Buffer.from([(field << 3) | wire]);
    const len = (field: number, body: Buffer) => Buffer.concat([tag(field, 2), Buffer.from([body.length]), body]);
    // HistogramDataPoint: time (3), bucket_counts (6) and explicit_bounds (7) one element per tag.
    const point = Buffer.concat([tag(3, 1), fixed64(5), tag(6, 1), fixed64(1), tag(6, 1), fixed64(2), tag(7, 1), double(2.5)]);
    const histogram = Buffer.concat([len(1, point), tag(2, 0), Buffer.from([2])]);
    const gauge = len(1, Buffer.concat([tag(3, 1), fixed64(5), tag(4, 1), double(1)]));
    // A gauge first, then a histogram: the histogram is the metric's data.
    const metric = Buffer.concat([len(1, Buffer.from('m')), len(5, gauge), len(9, histogram)]);
    const body = len(1, len(2, len(2, metric)));
    const d = decodeMetricsProto(body);
    expect(d.rejected).toBe(0);
    expect(d.items).toHaveLength(1);
    expect(d.items[0]).toMatchObject({ type: 'histogram', bucketCounts: [1n, 2n], explicitBounds: [2.5], timeUnixNano: 5n });
    expect(d.items[0]?.metric.aggregationTemporality).toBe(2);
    expect(countMetricPoints(body)).toBe(1);
  });

  it('counts every data point of a refused resource, and names what refused it', () => {
    let deep: unknown = { stringValue: 'bottom' };
    for (let i = 0; i < 40; i++) deep = { arrayValue: { values: [deep] } };
    const req = request() as { resourceMetrics: { resource: { attributes: unknown[] } }[] };
    req.resourceMetrics[0]!.resource.attributes.push({ key: 'deep', value: deep });
    const d = decodeMetricsProto(toProto(req));
    expect(d.items).toEqual([]);
    expect(d.rejected).toBe(7);
    expect(d.errors[0]).toMatch(/^resourceMetrics\[0\]\.resource: attribute value nested deeper than 32 levels$/);
    // One reason per metric, each covering its points: nothing is left to report as "and N more".
    expect(partialSuccessOf(d)?.errorMessage).not.toMatch(/more\)$/);
  });

  it('refuses mutated protobuf and JSON requests only with a decode error', () => {
    const proto = Buffer.from(toProto(request()));
    const json = Buffer.from(JSON.stringify(request()));
    const r = prng(20261203);
    for (let i = 0; i < 1500; i++) {
      const seed = Math.floor(r() * 2 ** 31);
      const m = prng(seed);
      for (const [input, decode] of [
        [proto, decodeMetricsProto],
        [json, decodeMetricsJson],
      ] as const) {
        const b = Buffer.from(input);
        for (let k = 0; k < 1 + Math.floor(m() * 4); k++) b[Math.floor(m() * b.length)] = Math.floor(m() * 256);
        const cut = m() < 0.3 ? b.subarray(0, Math.floor(m() * b.length)) : b;
        try {
          const d = decode(cut);
          for (const p of d.items) expect(encodeMetricPoints([p])).toHaveLength(1);
        } catch (err) {
          if (!(err instanceof OtlpDecodeError)) throw new Error(`seed ${seed}: ${(err as Error).name}: ${(err as Error).message}`);
        }
        countMetricPoints(cut);
      }
    }
  });
});

describe('otel_metrics_* rows', () => {
  const metric = (over: Partial<MetricRecord> = {}): MetricRecord => ({
    name: 'm',
    description: 'd',
    unit: 'u',
    type: 'gauge',
    aggregationTemporality: 0,
    isMonotonic: false,
    resource: { 'service.name': 42, k: 'v' },
    resourceSchemaUrl: '',
    scope: { name: 'sc', version: '', attributes: {} },
    scopeSchemaUrl: '',
    ...over,
  });

  it('writes Float64 values as ClickHouse reads them, and int64 values as the nearest double', () => {
    expect([NaN, Infinity, -Infinity, -0, 1e21, 5e-324, 0.1].map(tsvFloat)).toEqual(['nan', 'inf', '-inf', '0', '1e+21', '5e-324', '0.1']);
    expect(measurement(9007199254740993n)).toBe('9007199254740992');
    expect(measurement(9007199254740995n)).toBe('9007199254740996');
    expect(measurement(-9223372036854775808n)).toBe('-9223372036854776000');
    expect(measurement(null)).toBe('0');
  });

  it('stores absent optional fields as 0, exemplars without ids as zero ids, and ServiceName as service.name rendered', () => {
    const m = metric({ type: 'histogram', aggregationTemporality: 1 });
    const [rows] = encodeMetricPoints([
      {
        metric: m,
        type: 'histogram',
        attributes: {},
        startTimeUnixNano: 0n,
        timeUnixNano: 1n,
        flags: 0,
        count: 2n,
        sum: null,
        bucketCounts: [2n],
        explicitBounds: [],
        exemplars: [{ filteredAttributes: {}, timeUnixNano: 1n, value: null, traceId: '', spanId: '' }],
        min: null,
        max: NaN,
      },
    ]);
    expect(rows).toMatchObject({ table: 'otel_metrics_histogram', rows: 1, format: METRIC_FORMATS.histogram });
    const fields = (rows as { data: Buffer }).data.toString().replace(/\n$/, '').split('\t');
    const col = (name: string) => fields[(METRIC_FORMATS.histogram.columns as string[]).indexOf(name)];
    expect(col('ServiceName')).toBe('42');
    expect(col('ResourceAttributes')).toBe("{'service.name':'42','k':'v'}");
    expect(col('StartTimeUnix')).toBe('0000000000.000000000');
    expect(col('TimeUnix')).toBe('0000000000.000000001');
    expect([col('Count'), col('Sum'), col('Min'), col('Max')]).toEqual(['2', '0', '0', 'nan']);
    expect([col('BucketCounts'), col('ExplicitBounds')]).toEqual(['[2]', '[]']);
    expect([col('Exemplars.Value'), col('Exemplars.SpanId'), col('Exemplars.TraceId')]).toEqual([
      '[0]',
      "['0000000000000000']",
      "['00000000000000000000000000000000']",
    ]);
    expect(col('AggregationTemporality')).toBe('1');
    expect(fields).toHaveLength(METRIC_FORMATS.histogram.columns!.length);
  });

  it('sends each type to its table, one batch per table', () => {
    const g = metric();
    const s = metric({ type: 'sum', name: 's', aggregationTemporality: 2, isMonotonic: true });
    const point = (m: MetricRecord, value: number): MetricPointRecord => ({
      metric: m,
      type: m.type as 'gauge' | 'sum',
      attributes: {},
      startTimeUnixNano: 0n,
      timeUnixNano: 1n,
      flags: 0,
      value,
      exemplars: [],
    });
    const batches = encodeMetricPoints([point(g, 1), point(s, 2), point(g, 3)]);
    expect(batches.map((b) => [b.table, 'rows' in b ? b.rows : 0])).toEqual([
      ['otel_metrics_gauge', 2],
      ['otel_metrics_sum', 1],
    ]);
    const sumLine = (batches[1] as { data: Buffer }).data.toString();
    expect(sumLine.trimEnd().split('\t').slice(-2)).toEqual(['2', 'true']);
  });
});
