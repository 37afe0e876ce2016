// Encodes metric data points as TabSeparated rows of the Collector ClickHouse exporter's five metrics tables
// (otel_metrics_gauge, _sum, _histogram, _exponential_histogram, _summary; rules in tsv.ts), with the values the
// exporter stores: every measurement as Float64 (an int64 rounded as Go's float64(int64) rounds it), absent
// optional sum / min / max as 0, an exemplar without a value as 0 and without ids as all-zero hex (pdata's empty
// TraceID / SpanID), ServiceName as service.name's AsString. The columns a metric's points share (resource, scope,
// descriptor) are encoded once per metric.
import type { TableRows } from './batch-writer.js';
import type { RowFormat } from './driver.js';
import {
  attrValueToString,
  type AttrValue,
  type ExemplarRecord,
  type ExponentialBuckets,
  type MetricPointRecord,
  type MetricRecord,
  type MetricType,
  type MetricValue,
} from '../schemas/telemetry.js';
import { attributesMap, quoted, tsvNanos, tsvString } from './tsv.js';

export const METRIC_TABLES: Readonly<Record<MetricType, string>> = {
  gauge: 'otel_metrics_gauge',
  sum: 'otel_metrics_sum',
  histogram: 'otel_metrics_histogram',
  exponential_histogram: 'otel_metrics_exponential_histogram',
  summary: 'otel_metrics_summary',
};

const SHARED_COLUMNS = [
  'ResourceAttributes',
  'ResourceSchemaUrl',
  'ScopeName',
  'ScopeVersion',
  'ScopeAttributes',
  'ScopeDroppedAttrCount',
  'ScopeSchemaUrl',
  'ServiceName',
  'MetricName',
  'MetricDescription',
  'MetricUnit',
  'Attributes',
  'StartTimeUnix',
  'TimeUnix',
] as const;

const EXEMPLAR_COLUMNS = ['Exemplars.FilteredAttributes', 'Exemplars.TimeUnix', 'Exemplars.Value', 'Exemplars.SpanId', 'Exemplars.TraceId'] as const;

const format = (columns: readonly string[]): RowFormat => Object.freeze({ name: 'TabSeparated', columns: Object.freeze([...SHARED_COLUMNS, ...columns]) });

export const METRIC_FORMATS: Readonly<Record<MetricType, RowFormat>> = {
  gauge: format(['Value', 'Flags', ...EXEMPLAR_COLUMNS]),
  sum: format(['Value', 'Flags', ...EXEMPLAR_COLUMNS, 'AggregationTemporality', 'IsMonotonic']),
  histogram: format(['Count', 'Sum', 'BucketCounts', 'ExplicitBounds', ...EXEMPLAR_COLUMNS, 'Flags', 'Min', 'Max', 'AggregationTemporality']),
  exponential_histogram: format([
    'Count',
    'Sum',
    'Scale',
    'ZeroCount',
    'PositiveOffset',
    'PositiveBucketCounts',
    'NegativeOffset',
    'NegativeBucketCounts',
    ...EXEMPLAR_COLUMNS,
    'Flags',
    'Min',
    'Max',
    'AggregationTemporality',
  ]),
  summary: format(['Count', 'Sum', 'ValueAtQuantiles.Quantile', 'ValueAtQuantiles.Value', 'Flags']),
};

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** A Float64 field or array element as ClickHouse reads it: shortest round-trip digits, `nan` / `inf` / `-inf`. */
export function tsvFloat(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  return String(n);
}

/** A measurement as the exporter's Float64 Value: an int64 becomes the nearest double (ties to even), as in Go. */
export function measurement(v: MetricValue | null): string {
  if (v === null) return '0';
  return tsvFloat(typeof v === 'bigint' ? Number(v) : v);
}

function floats(xs: readonly number[]): string {
  return xs.length === 0 ? '[]' : `[${xs.map(tsvFloat).join(',')}]`;
}

function uints(xs: readonly bigint[]): string {
  return xs.length === 0 ? '[]' : `[${xs.join(',')}]`;
}

/** The five Exemplars.* columns, tab-separated. */
function exemplarColumns(xs: readonly ExemplarRecord[]): string {
  if (xs.length === 0) return '[]\t[]\t[]\t[]\t[]';
  let attrs = '[';
  let times = '[';
  let values = '[';
  let spans = '[';
  let traces = '[';
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i] as ExemplarRecord;
    const sep = i === 0 ? '' : ',';
    attrs += sep + attributesMap(x.filteredAttributes);
    times += `${sep}'${tsvNanos(x.timeUnixNano)}'`;
    values += sep + measurement(x.value);
    spans += sep + quoted(x.spanId === '' ? ZERO_SPAN_ID : x.spanId);
    traces += sep + quoted(x.traceId === '' ? ZERO_TRACE_ID : x.traceId);
  }
  return `${attrs}]\t${times}]\t${values}]\t${spans}]\t${traces}]`;
}

/** ResourceAttributes … MetricUnit, tab-separated. */
function metricColumns(m: MetricRecord): string {
  const service = m.resource['service.name'];
  return (
    `${attributesMap(m.resource)}\t${tsvString(m.resourceSchemaUrl)}\t${tsvString(m.scope.name)}\t${tsvString(m.scope.version)}\t` +
    `${attributesMap(m.scope.attributes)}\t${m.scope.droppedAttributesCount ?? 0}\t${tsvString(m.scopeSchemaUrl)}\t` +
    `${tsvString(service === undefined ? '' : attrValueToString(service as AttrValue))}\t${tsvString(m.name)}\t${tsvString(m.description)}\t${tsvString(m.unit)}`
  );
}

const optional = (n: number | null): string => tsvFloat(n ?? 0);
const buckets = (b: ExponentialBuckets): string => `${b.offset}\t${uints(b.bucketCounts)}`;

/** One row after the shared columns. */
function pointColumns(p: MetricPointRecord): string {
  switch (p.type) {
    case 'gauge':
      return `${measurement(p.value)}\t${p.flags}\t${exemplarColumns(p.exemplars)}`;
    case 'sum':
      return `${measurement(p.value)}\t${p.flags}\t${exemplarColumns(p.exemplars)}\t${p.metric.aggregationTemporality}\t${p.metric.isMonotonic}`;
    case 'histogram':
      return (
        `${p.count}\t${optional(p.sum)}\t${uints(p.bucketCounts)}\t${floats(p.explicitBounds)}\t${exemplarColumns(p.exemplars)}\t` +
        `${p.flags}\t${optional(p.min)}\t${optional(p.max)}\t${p.metric.aggregationTemporality}`
      );
    case 'exponential_histogram':
      return (
        `${p.count}\t${optional(p.sum)}\t${p.scale}\t${p.zeroCount}\t${buckets(p.positive)}\t${buckets(p.negative)}\t${exemplarColumns(p.exemplars)}\t` +
        `${p.flags}\t${optional(p.min)}\t${optional(p.max)}\t${p.metric.aggregationTemporality}`
      );
    case 'summary':
      return (
        `${p.count}\t${tsvFloat(p.sum)}\t${floats(p.quantileValues.map((q) => q.quantile))}\t${floats(p.quantileValues.map((q) => q.value))}\t` + `${p.flags}`
      );
  }
}

/** The rows of each metrics table the points go to (tables without points are left out). */
export function encodeMetricPoints(points: readonly MetricPointRecord[]): TableRows[] {
  const text: Partial<Record<MetricType, string>> = {};
  const rows: Partial<Record<MetricType, number>> = {};
  let metric: MetricRecord | null = null;
  let shared = '';
  for (const p of points) {
    if (p.metric !== metric) {
      metric = p.metric;
      shared = metricColumns(metric);
    }
    text[p.type] =
      (text[p.type] ?? '') + `${shared}\t${attributesMap(p.attributes)}\t${tsvNanos(p.startTimeUnixNano)}\t${tsvNanos(p.timeUnixNano)}\t${pointColumns(p)}\n`;
    rows[p.type] = (rows[p.type] ?? 0) + 1;
  }
  return (Object.keys(text) as MetricType[]).map((t) => ({
    table: METRIC_TABLES[t],
    format: METRIC_FORMATS[t],
    data: Buffer.from(text[t] as string),
    rows: rows[t] as number,
  }));
}
