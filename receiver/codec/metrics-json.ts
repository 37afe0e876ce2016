// The OTLP/JSON decoder of ExportMetricsServiceRequest: the same records and the same data-model checks as the
// protobuf decoder (metrics-protobuf.ts), on the JSON walk of walk.ts, accepting what proto3 JSON allows (int64 and
// uint64 as numbers or decimal strings, "NaN" / "Infinity" doubles, enum names, snake_case field names, hex ids).
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
import {
  addMetricPoints,
  checkBuckets,
  checkPointTime,
  checkQuantile,
  Collector,
  ItemError,
  MAX_UNIX_NANO,
  METRIC_DATA_FIELDS,
  type Decoded,
} from './decoded.js';
import { parseJsonBody } from './json.js';
import { asArray, asBool, asDouble, asInt64, asObject, asString, asUint, field, jsonAttrs, jsonId, present, type Json } from './json-values.js';
import { METRICS, walkJson } from './walk.js';

const TEMPORALITY_ENUM = ['AGGREGATION_TEMPORALITY_UNSPECIFIED', 'AGGREGATION_TEMPORALITY_DELTA', 'AGGREGATION_TEMPORALITY_CUMULATIVE'];
const UINT64_MAX = 0xffffffffffffffffn;
const UINT32_MAX = 0xffffffffn;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Each type's JSON field, in lowerCamelCase and snake_case. */
const DATA_FIELDS: readonly [MetricType, string, string][] = [
  ['gauge', 'gauge', 'gauge'],
  ['sum', 'sum', 'sum'],
  ['histogram', 'histogram', 'histogram'],
  ['exponential_histogram', 'exponentialHistogram', 'exponential_histogram'],
  ['summary', 'summary', 'summary'],
];

function asInt32(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' && /^-?\d{1,10}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < INT32_MIN || n > INT32_MAX)
    throw new ItemError(`${path} must be an int32, got ${JSON.stringify(v)}`);
  return n;
}

/** The oneof `value` of a data point or exemplar (null: none); proto3 JSON refuses two members of a oneof, and so does this. */
function jsonMeasurement(o: Json, p: string): MetricValue | null {
  const asInt = field(o, 'asInt', 'as_int');
  const asDbl = field(o, 'asDouble', 'as_double');
  if (present(asInt) && present(asDbl)) throw new ItemError(`${p} carries both asInt and asDouble`);
  if (present(asInt)) return asInt64(asInt, `${p}.asInt`);
  if (present(asDbl)) return asDouble(asDbl, `${p}.asDouble`);
  return null;
}

function optionalDouble(v: unknown, path: string): number | null {
  return present(v) ? asDouble(v, path) : null;
}

function jsonExemplars(v: unknown, p: string): ExemplarRecord[] {
  return asArray(v, p).map((xv, i) => {
    const xp = `${p}[${i}]`;
    const x = asObject(xv, xp);
    return {
      filteredAttributes: jsonAttrs(field(x, 'filteredAttributes', 'filtered_attributes'), `${xp}.filteredAttributes`),
      timeUnixNano: asUint(field(x, 'timeUnixNano', 'time_unix_nano'), `${xp}.timeUnixNano`, MAX_UNIX_NANO),
      value: jsonMeasurement(x, xp),
      traceId: jsonId(field(x, 'traceId', 'trace_id'), 32, `${xp}.traceId`, false),
      spanId: jsonId(field(x, 'spanId', 'span_id'), 16, `${xp}.spanId`, false),
    };
  });
}

function jsonBase(o: Json, p: string, metric: MetricRecord): Pick<MetricPointRecord, 'metric' | 'attributes' | 'startTimeUnixNano' | 'timeUnixNano' | 'flags'> {
  return {
    metric,
    attributes: jsonAttrs(o.attributes, `${p}.attributes`),
    startTimeUnixNano: asUint(field(o, 'startTimeUnixNano', 'start_time_unix_nano'), `${p}.startTimeUnixNano`, MAX_UNIX_NANO),
    timeUnixNano: checkPointTime(asUint(field(o, 'timeUnixNano', 'time_unix_nano'), `${p}.timeUnixNano`, MAX_UNIX_NANO)),
    flags: Number(asUint(o.flags, `${p}.flags`, UINT32_MAX)),
  };
}

function jsonUints(v: unknown, p: string): bigint[] {
  return asArray(v, p).map((x, i) => asUint(x, `${p}[${i}]`, UINT64_MAX));
}

function jsonBuckets(v: unknown, p: string): ExponentialBuckets {
  const o = asObject(v, p);
  return { offset: asInt32(o.offset, `${p}.offset`), bucketCounts: jsonUints(field(o, 'bucketCounts', 'bucket_counts'), `${p}.bucketCounts`) };
}

function jsonPoint(type: MetricType, o: Json, p: string, metric: MetricRecord): MetricPointRecord {
  const b = jsonBase(o, p, metric);
  const count = (): bigint => asUint(o.count, `${p}.count`, UINT64_MAX);
  const exemplars = (): ExemplarRecord[] => jsonExemplars(o.exemplars, `${p}.exemplars`);
  switch (type) {
    case 'gauge':
    case 'sum': {
      const value = jsonMeasurement(o, p);
      const ex = exemplars();
      if (value === null) throw new ItemError('the data point has no value (asInt or asDouble)');
      return { ...b, type, value, exemplars: ex };
    }
    case 'histogram': {
      const bucketCounts = jsonUints(field(o, 'bucketCounts', 'bucket_counts'), `${p}.bucketCounts`);
      const explicitBounds = asArray(field(o, 'explicitBounds', 'explicit_bounds'), `${p}.explicitBounds`).map((x, i) =>
        asDouble(x, `${p}.explicitBounds[${i}]`),
      );
      const point: MetricPointRecord = {
        ...b,
        type,
        count: count(),
        sum: optionalDouble(o.sum, `${p}.sum`),
        bucketCounts,
        explicitBounds,
        exemplars: exemplars(),
        min: optionalDouble(o.min, `${p}.min`),
        max: optionalDouble(o.max, `${p}.max`),
      };
      checkBuckets(bucketCounts.length, explicitBounds.length);
      return point;
    }
    case 'exponential_histogram':
      return {
        ...b,
        type,
        count: count(),
        sum: optionalDouble(o.sum, `${p}.sum`),
        scale: asInt32(o.scale, `${p}.scale`),
        zeroCount: asUint(field(o, 'zeroCount', 'zero_count'), `${p}.zeroCount`, UINT64_MAX),
        zeroThreshold: asDouble(field(o, 'zeroThreshold', 'zero_threshold'), `${p}.zeroThreshold`),
        positive: jsonBuckets(o.positive, `${p}.positive`),
        negative: jsonBuckets(o.negative, `${p}.negative`),
        exemplars: exemplars(),
        min: optionalDouble(o.min, `${p}.min`),
        max: optionalDouble(o.max, `${p}.max`),
      };
    case 'summary': {
      const quantileValues = asArray(field(o, 'quantileValues', 'quantile_values'), `${p}.quantileValues`).map((qv, i) => {
        const q = asObject(qv, `${p}.quantileValues[${i}]`);
        return { quantile: asDouble(q.quantile, `${p}.quantileValues[${i}].quantile`), value: asDouble(q.value, `${p}.quantileValues[${i}].value`) };
      });
      const point: MetricPointRecord = { ...b, type, count: count(), sum: asDouble(o.sum, `${p}.sum`), quantileValues };
      for (const q of quantileValues) checkQuantile(q.quantile);
      return point;
    }
  }
}

/** An AggregationTemporality by number or by name; its range is checked with the metric (addMetricPoints). */
function jsonTemporality(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  const i = typeof v === 'string' ? TEMPORALITY_ENUM.indexOf(v) : -1;
  if (i < 0) throw new ItemError(`${path} ${JSON.stringify(v)} is not an AggregationTemporality`);
  return i;
}

function jsonMetric(
  m: Json,
  p: string,
  resource: Attributes,
  resourceSchemaUrl: string,
  scope: Scope,
  scopeSchemaUrl: string,
  out: Collector<MetricPointRecord>,
): undefined {
  const name = typeof m.name === 'string' ? m.name : '';
  const members = DATA_FIELDS.filter(([, camel, snake]) => present(field(m, camel, snake)));
  const found = members[0];
  if (found === undefined) return addMetricPoints(out, p, asString(m.name, `${p}.name`), null, 0, []);
  const [type, camel, snake] = found;
  const dp = `${p}.${camel}`;
  const data = asObject(field(m, camel, snake), dp);
  const points = asArray(field(data, 'dataPoints', 'data_points'), `${dp}.dataPoints`);
  let metric: MetricRecord;
  // What is wrong with the metric itself refuses every one of its points.
  try {
    if (members.length > 1)
      throw new ItemError(`metric "${name}" carries ${members.map(([t]) => METRIC_DATA_FIELDS[t]).join(' and ')}; a metric has one data field`);
    metric = {
      name: asString(m.name, `${p}.name`),
      description: asString(m.description, `${p}.description`),
      unit: asString(m.unit, `${p}.unit`),
      type,
      aggregationTemporality:
        type === 'gauge' || type === 'summary'
          ? 0
          : jsonTemporality(field(data, 'aggregationTemporality', 'aggregation_temporality'), `${dp}.aggregationTemporality`),
      isMonotonic: type === 'sum' && asBool(field(data, 'isMonotonic', 'is_monotonic'), `${dp}.isMonotonic`),
      resource,
      resourceSchemaUrl,
      scope,
      scopeSchemaUrl,
    };
  } catch (err) {
    if (err instanceof ItemError) throw new ItemError(err.message, Math.max(1, points.length));
    throw err;
  }
  const read = points.map((v, i): MetricPointRecord | ItemError => {
    const pp = `${dp}.dataPoints[${i}]`;
    try {
      return jsonPoint(type, asObject(v, pp), pp, metric);
    } catch (err) {
      if (err instanceof ItemError) return err;
      throw err;
    }
  });
  return addMetricPoints(out, p, metric.name, type, metric.aggregationTemporality, read);
}

export function decodeMetricsJson(body: Uint8Array | string): Decoded<MetricPointRecord> {
  return walkJson(parseJsonBody(body, METRICS.request), METRICS, jsonMetric);
}
