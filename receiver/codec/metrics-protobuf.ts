// The protobuf decoder of ExportMetricsServiceRequest, on the same wire reader and the same nesting walk as
// traces and logs (protobuf.ts), with protobufjs' semantics: unknown fields and fields of an unexpected wire type
// are skipped, a singular field seen twice keeps its last value (a message is merged), the data oneof takes its
// last member, and repeated scalars are read packed or unpacked. A metric is one item of the walk and yields its
// data points; each point is accepted or refused on its own (decoded.ts says which checks refuse one).
import type {
  Attributes,
  ExemplarRecord,
  ExponentialBuckets,
  MetricPointRecord,
  MetricRecord,
  MetricType,
  MetricValue,
  Scope,
} from '../../schemas/telemetry.js';
import { addMetricPoints, checkBuckets, checkPointTime, checkQuantile, checkTime, Collector, ItemError, type Decoded } from './decoded.js';
import { checkedAttrs, newAttrList, pbAttr, pbContainer, pbDecodeNested, pbTopLevel, type PbAttrList } from './protobuf.js';
import { METRICS } from './walk.js';
import { PbReader, pbId, pbRange, WireError, WT_I64, WT_LEN, WT_VARINT, type Range } from './wire.js';

/** Metric.data's field numbers. */
const DATA_FIELDS: Readonly<Record<number, MetricType>> = { 5: 'gauge', 7: 'sum', 9: 'histogram', 10: 'exponential_histogram', 11: 'summary' };

/** One Metric's own fields, and the ranges of its data message (a member seen twice is merged; another member replaces it). */
interface MetricFrame {
  name: string;
  description: string;
  unit: string;
  type: MetricType | null;
  data: [number, number][];
}

function pbMetricFrame(r: PbReader, end: number): MetricFrame {
  const f: MetricFrame = { name: '', description: '', unit: '', type: null, data: [] };
  while (r.pos < end) {
    const tag = r.tag();
    const type = (tag & 7) === WT_LEN ? DATA_FIELDS[tag >>> 3] : undefined;
    if (type !== undefined) {
      const e = r.len();
      if (type !== f.type) f.data = [];
      f.type = type;
      f.data.push([r.pos, e]);
      r.pos = e;
      continue;
    }
    switch (tag) {
      case (1 << 3) | WT_LEN:
        f.name = r.string();
        break;
      case (2 << 3) | WT_LEN:
        f.description = r.string();
        break;
      case (3 << 3) | WT_LEN:
        f.unit = r.string();
        break;
      default:
        r.skip(tag);
    }
  }
  return f;
}

/** Gauge / Sum / Histogram / ExponentialHistogram / Summary: data_points (1), aggregation_temporality (2), is_monotonic (3). */
interface DataFrame {
  points: [number, number][];
  temporality: number;
  monotonic: boolean;
}

function pbDataFrame(r: PbReader, ranges: [number, number][]): DataFrame {
  const d: DataFrame = { points: [], temporality: 0, monotonic: false };
  const outer = r.end;
  for (const [s, end] of ranges) {
    r.pos = s;
    r.end = end;
    while (r.pos < end) {
      const tag = r.tag();
      switch (tag) {
        case (1 << 3) | WT_LEN: {
          const e = r.len();
          d.points.push([r.pos, e]);
          r.pos = e;
          break;
        }
        case (2 << 3) | WT_VARINT:
          d.temporality = r.uint32() | 0;
          break;
        case (3 << 3) | WT_VARINT:
          d.monotonic = r.bool();
          break;
        default:
          r.skip(tag);
      }
    }
  }
  r.end = outer;
  return d;
}

/** An as_int (sfixed64), exact. */
function sfixed64(r: PbReader): bigint {
  return BigInt.asIntN(64, r.fixed64());
}

/**
 * Appends a repeated scalar field's element(s), packed (one length-delimited run, which must hold whole
 * elements) or one element per tag, as protobufjs reads either.
 */
function repeated<V>(r: PbReader, tag: number, unpacked: number, read: (r: PbReader) => V, out: V[]): void {
  if ((tag & 7) === unpacked) {
    out.push(read(r));
    return;
  }
  const e = r.len();
  const outer = r.end;
  r.end = e;
  while (r.pos < e) out.push(read(r));
  r.end = outer;
}

const fixed64 = (r: PbReader): bigint => r.fixed64();
const double = (r: PbReader): number => r.double();
const uint64 = (r: PbReader): bigint => r.uint64();

interface RawExemplar {
  attrs: PbAttrList;
  time: bigint;
  value: MetricValue | null;
  traceId: Range;
  spanId: Range;
}

function pbExemplar(r: PbReader, end: number): RawExemplar {
  const outer = r.end;
  r.end = end;
  const x: RawExemplar = { attrs: newAttrList(), time: 0n, value: null, traceId: null, spanId: null };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case (7 << 3) | WT_LEN:
        pbAttr(r, x.attrs);
        break;
      case (2 << 3) | WT_I64:
        x.time = r.fixed64();
        break;
      case (3 << 3) | WT_I64:
        x.value = r.double();
        break;
      case (6 << 3) | WT_I64:
        x.value = sfixed64(r);
        break;
      case (4 << 3) | WT_LEN:
        x.spanId = pbRange(r);
        break;
      case (5 << 3) | WT_LEN:
        x.traceId = pbRange(r);
        break;
      default:
        r.skip(tag);
    }
  }
  r.end = outer;
  return x;
}

function exemplarsOf(buf: Buffer, raw: RawExemplar[]): ExemplarRecord[] {
  return raw.map((x) => ({
    filteredAttributes: checkedAttrs(x.attrs),
    timeUnixNano: checkTime(x.time, 'exemplar timeUnixNano'),
    value: x.value,
    traceId: pbId(buf, x.traceId, 16, 'exemplar traceId', false),
    spanId: pbId(buf, x.spanId, 8, 'exemplar spanId', false),
  }));
}

/** The fields every data point type has, at numbers of its own. */
interface Common {
  attrs: PbAttrList;
  start: bigint;
  time: bigint;
  flags: number;
  exemplars: RawExemplar[];
}

function common(): Common {
  return { attrs: newAttrList(), start: 0n, time: 0n, flags: 0, exemplars: [] };
}

function pbExemplarField(r: PbReader, c: Common): void {
  const e = r.len();
  c.exemplars.push(pbExemplar(r, e));
  r.pos = e;
}

function base(c: Common, metric: MetricRecord): Pick<MetricPointRecord, 'metric' | 'attributes' | 'startTimeUnixNano' | 'timeUnixNano' | 'flags'> {
  return {
    metric,
    attributes: checkedAttrs(c.attrs),
    startTimeUnixNano: checkTime(c.start, 'startTimeUnixNano'),
    timeUnixNano: checkPointTime(c.time),
    flags: c.flags,
  };
}

function pbNumberPoint(r: PbReader, metric: MetricRecord, type: 'gauge' | 'sum'): MetricPointRecord {
  const c = common();
  let value: MetricValue | null = null;
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case (7 << 3) | WT_LEN:
        pbAttr(r, c.attrs);
        break;
      case (2 << 3) | WT_I64:
        c.start = r.fixed64();
        break;
      case (3 << 3) | WT_I64:
        c.time = r.fixed64();
        break;
      case (4 << 3) | WT_I64:
        value = r.double();
        break;
      case (6 << 3) | WT_I64:
        value = sfixed64(r);
        break;
      case (5 << 3) | WT_LEN:
        pbExemplarField(r, c);
        break;
      case (8 << 3) | WT_VARINT:
        c.flags = r.uint32();
        break;
      default:
        r.skip(tag);
    }
  }
  const b = base(c, metric);
  if (value === null) throw new ItemError('the data point has no value (asInt or asDouble)');
  return { ...b, type, value, exemplars: exemplarsOf(r.buf, c.exemplars) };
}

function pbHistogramPoint(r: PbReader, metric: MetricRecord): MetricPointRecord {
  const c = common();
  let count = 0n;
  let sum: number | null = null;
  let min: number | null = null;
  let max: number | null = null;
  const bucketCounts: bigint[] = [];
  const explicitBounds: number[] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case (9 << 3) | WT_LEN:
        pbAttr(r, c.attrs);
        break;
      case (2 << 3) | WT_I64:
        c.start = r.fixed64();
        break;
      case (3 << 3) | WT_I64:
        c.time = r.fixed64();
        break;
      case (4 << 3) | WT_I64:
        count = r.fixed64();
        break;
      case (5 << 3) | WT_I64:
        sum = r.double();
        break;
      case (6 << 3) | WT_I64:
      case (6 << 3) | WT_LEN:
        repeated(r, tag, WT_I64, fixed64, bucketCounts);
        break;
      case (7 << 3) | WT_I64:
      case (7 << 3) | WT_LEN:
        repeated(r, tag, WT_I64, double, explicitBounds);
        break;
      case (8 << 3) | WT_LEN:
        pbExemplarField(r, c);
        break;
      case (10 << 3) | WT_VARINT:
        c.flags = r.uint32();
        break;
      case (11 << 3) | WT_I64:
        min = r.double();
        break;
      case (12 << 3) | WT_I64:
        max = r.double();
        break;
      default:
        r.skip(tag);
    }
  }
  const b = base(c, metric);
  checkBuckets(bucketCounts.length, explicitBounds.length);
  return { ...b, type: 'histogram', count, sum, bucketCounts, explicitBounds, exemplars: exemplarsOf(r.buf, c.exemplars), min, max };
}

function pbBuckets(r: PbReader, end: number, into: ExponentialBuckets): void {
  const outer = r.end;
  r.end = end;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | WT_VARINT:
        into.offset = r.sint32();
        break;
      case (2 << 3) | WT_VARINT:
      case (2 << 3) | WT_LEN:
        repeated(r, tag, WT_VARINT, uint64, into.bucketCounts);
        break;
      default:
        r.skip(tag);
    }
  }
  r.end = outer;
}

function pbExponentialPoint(r: PbReader, metric: MetricRecord): MetricPointRecord {
  const c = common();
  let count = 0n;
  let sum: number | null = null;
  let min: number | null = null;
  let max: number | null = null;
  let scale = 0;
  let zeroCount = 0n;
  let zeroThreshold = 0;
  const positive: ExponentialBuckets = { offset: 0, bucketCounts: [] };
  const negative: ExponentialBuckets = { offset: 0, bucketCounts: [] };
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | WT_LEN:
        pbAttr(r, c.attrs);
        break;
      case (2 << 3) | WT_I64:
        c.start = r.fixed64();
        break;
      case (3 << 3) | WT_I64:
        c.time = r.fixed64();
        break;
      case (4 << 3) | WT_I64:
        count = r.fixed64();
        break;
      case (5 << 3) | WT_I64:
        sum = r.double();
        break;
      case (6 << 3) | WT_VARINT:
        scale = r.sint32();
        break;
      case (7 << 3) | WT_I64:
        zeroCount = r.fixed64();
        break;
      case (8 << 3) | WT_LEN:
      case (9 << 3) | WT_LEN: {
        const e = r.len();
        pbBuckets(r, e, tag >>> 3 === 8 ? positive : negative);
        r.pos = e;
        break;
      }
      case (10 << 3) | WT_VARINT:
        c.flags = r.uint32();
        break;
      case (11 << 3) | WT_LEN:
        pbExemplarField(r, c);
        break;
      case (12 << 3) | WT_I64:
        min = r.double();
        break;
      case (13 << 3) | WT_I64:
        max = r.double();
        break;
      case (14 << 3) | WT_I64:
        zeroThreshold = r.double();
        break;
      default:
        r.skip(tag);
    }
  }
  const b = base(c, metric);
  return {
    ...b,
    type: 'exponential_histogram',
    count,
    sum,
    scale,
    zeroCount,
    zeroThreshold,
    positive,
    negative,
    exemplars: exemplarsOf(r.buf, c.exemplars),
    min,
    max,
  };
}

function pbSummaryPoint(r: PbReader, metric: MetricRecord): MetricPointRecord {
  const c = common();
  let count = 0n;
  let sum = 0;
  const quantileValues: { quantile: number; value: number }[] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag) {
      case (7 << 3) | WT_LEN:
        pbAttr(r, c.attrs);
        break;
      case (2 << 3) | WT_I64:
        c.start = r.fixed64();
        break;
      case (3 << 3) | WT_I64:
        c.time = r.fixed64();
        break;
      case (4 << 3) | WT_I64:
        count = r.fixed64();
        break;
      case (5 << 3) | WT_I64:
        sum = r.double();
        break;
      case (6 << 3) | WT_LEN: {
        const e = r.len();
        const outer = r.end;
        r.end = e;
        const q = { quantile: 0, value: 0 };
        while (r.pos < e) {
          const t = r.tag();
          if (t === ((1 << 3) | WT_I64)) q.quantile = r.double();
          else if (t === ((2 << 3) | WT_I64)) q.value = r.double();
          else r.skip(t);
        }
        r.end = outer;
        quantileValues.push(q);
        break;
      }
      case (8 << 3) | WT_VARINT:
        c.flags = r.uint32();
        break;
      default:
        r.skip(tag);
    }
  }
  const b = base(c, metric);
  for (const q of quantileValues) checkQuantile(q.quantile);
  return { ...b, type: 'summary', count, sum, quantileValues };
}

const POINT_READERS: Readonly<Record<MetricType, (r: PbReader, metric: MetricRecord) => MetricPointRecord>> = {
  gauge: (r, m) => pbNumberPoint(r, m, 'gauge'),
  sum: (r, m) => pbNumberPoint(r, m, 'sum'),
  histogram: pbHistogramPoint,
  exponential_histogram: pbExponentialPoint,
  summary: pbSummaryPoint,
};

/** One Metric up to `end`: its data points into `out` (each read, or refused on its own), or the whole metric refused. */
function pbMetric(
  r: PbReader,
  end: number,
  resource: Attributes,
  resourceSchemaUrl: string,
  scope: Scope,
  scopeSchemaUrl: string,
  out: Collector<MetricPointRecord>,
): undefined {
  const outer = r.end;
  r.end = end;
  const f = pbMetricFrame(r, end);
  r.end = outer;
  if (f.type === null) return addMetricPoints(out, out.itemPath(), f.name, null, 0, []);
  const type = f.type;
  const d = pbDataFrame(r, f.data);
  const metric: MetricRecord = {
    name: f.name,
    description: f.description,
    unit: f.unit,
    type,
    aggregationTemporality: type === 'gauge' || type === 'summary' ? 0 : d.temporality,
    isMonotonic: type === 'sum' && d.monotonic,
    resource,
    resourceSchemaUrl,
    scope,
    scopeSchemaUrl,
  };
  const read = POINT_READERS[type];
  const points = d.points.map(([s, e]): MetricPointRecord | ItemError => {
    r.pos = s;
    r.end = e;
    try {
      return read(r, metric);
    } catch (err) {
      if (err instanceof ItemError) return err;
      throw err;
    } finally {
      r.end = outer;
    }
  });
  return addMetricPoints(out, out.itemPath(), f.name, type, metric.aggregationTemporality, points);
}

export function decodeMetricsProto(buf: Uint8Array): Decoded<MetricPointRecord> {
  return pbDecodeNested(buf, METRICS, pbMetric);
}

/**
 * The number of data points an ExportMetricsServiceRequest carries, read from its framing only, or -1 when the
 * framing is broken: what the item limit and back-pressure count for metrics (countProtoItems counts metrics).
 */
export function countMetricPoints(input: Uint8Array): number {
  try {
    const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const r = new PbReader(buf, 0, buf.length);
    let n = 0;
    for (const [rs, re] of pbTopLevel(r)) {
      r.pos = rs;
      for (const [ss, se] of pbContainer(r, re).children) {
        r.pos = ss;
        for (const [ms, me] of pbContainer(r, se).children) {
          r.pos = ms;
          r.end = me;
          const f = pbMetricFrame(r, me);
          n += f.type === null ? 1 : pbDataFrame(r, f.data).points.length;
          r.end = buf.length;
        }
      }
    }
    return n;
  } catch (err) {
    if (err instanceof WireError || err instanceof RangeError) return -1;
    throw err;
  }
}
