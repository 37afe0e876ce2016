// The receiver's in-memory view of OTLP data: one flat record per span, log record or metric data point, with its
// resource and scope attached, so every later stage (storage rows, normalizers) reads one shape
// whether the request came as protobuf or JSON, over HTTP or gRPC.

/** An OTLP AnyValue as a plain JS value. Integers beyond 2^53 stay exact as bigint; bytes are Uint8Array. */
export type AttrValue = string | boolean | number | bigint | Uint8Array | null | AttrValue[] | { [key: string]: AttrValue };

export type Attributes = Record<string, AttrValue>;

export interface Scope {
  name: string;
  version: string;
  attributes: Attributes;
  /** InstrumentationScope.dropped_attributes_count; set only when not 0 (otel_metrics_* store it). */
  droppedAttributesCount?: number;
}

export interface SpanEventRecord {
  timeUnixNano: bigint;
  name: string;
  attributes: Attributes;
}

export interface SpanLinkRecord {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Attributes;
}

export interface SpanRecord {
  /** Lower-case hex, 32 chars. */
  traceId: string;
  /** Lower-case hex, 16 chars. */
  spanId: string;
  /** Lower-case hex or '' for a root span. */
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  /** OTLP SpanKind enum value (0..5). */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  events: SpanEventRecord[];
  links: SpanLinkRecord[];
  /** OTLP StatusCode enum value: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string;
  resource: Attributes;
  resourceSchemaUrl: string;
  scope: Scope;
  scopeSchemaUrl: string;
}

export interface LogRecordRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  /** Lower-case hex or ''. */
  traceId: string;
  spanId: string;
  flags: number;
  severityNumber: number;
  severityText: string;
  body: AttrValue;
  attributes: Attributes;
  eventName: string;
  resource: Attributes;
  resourceSchemaUrl: string;
  scope: Scope;
  scopeSchemaUrl: string;
}

/** The OTLP metric types, each stored in its own table. */
export type MetricType = 'gauge' | 'sum' | 'histogram' | 'exponential_histogram' | 'summary';

/** What a metric's data points share: its descriptor, its data's aggregation, and where it came from. */
export interface MetricRecord {
  name: string;
  description: string;
  unit: string;
  type: MetricType;
  /** OTLP AggregationTemporality (0 unspecified, 1 delta, 2 cumulative); 0 for gauges and summaries. */
  aggregationTemporality: number;
  /** Sum.is_monotonic; false for every other type. */
  isMonotonic: boolean;
  resource: Attributes;
  resourceSchemaUrl: string;
  scope: Scope;
  scopeSchemaUrl: string;
}

/**
 * A measurement's value as it was sent: a bigint for `as_int` (int64, exact), a number for `as_double`. The two stay
 * apart until the row encoder, so an integer is never read as a double on the way.
 */
export type MetricValue = number | bigint;

export interface ExemplarRecord {
  filteredAttributes: Attributes;
  timeUnixNano: bigint;
  /** Null when the exemplar carries no value. */
  value: MetricValue | null;
  /** Lower-case hex or ''. */
  traceId: string;
  spanId: string;
}

interface MetricPointBase {
  metric: MetricRecord;
  attributes: Attributes;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  /** OTLP DataPointFlags (bit 0: no recorded value). */
  flags: number;
}

export interface NumberPointRecord extends MetricPointBase {
  type: 'gauge' | 'sum';
  value: MetricValue;
  exemplars: ExemplarRecord[];
}

export interface HistogramPointRecord extends MetricPointBase {
  type: 'histogram';
  count: bigint;
  /** The optional fields are null when absent. */
  sum: number | null;
  bucketCounts: bigint[];
  explicitBounds: number[];
  exemplars: ExemplarRecord[];
  min: number | null;
  max: number | null;
}

export interface ExponentialBuckets {
  offset: number;
  bucketCounts: bigint[];
}

export interface ExponentialHistogramPointRecord extends MetricPointBase {
  type: 'exponential_histogram';
  count: bigint;
  sum: number | null;
  scale: number;
  zeroCount: bigint;
  zeroThreshold: number;
  positive: ExponentialBuckets;
  negative: ExponentialBuckets;
  exemplars: ExemplarRecord[];
  min: number | null;
  max: number | null;
}

export interface SummaryPointRecord extends MetricPointBase {
  type: 'summary';
  count: bigint;
  sum: number;
  quantileValues: { quantile: number; value: number }[];
}

/** One OTLP data point with the metric it belongs to: the unit metrics are received, counted and stored in. */
export type MetricPointRecord = NumberPointRecord | HistogramPointRecord | ExponentialHistogramPointRecord | SummaryPointRecord;

export const SPAN_KIND_NAMES = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'] as const;
export const STATUS_CODE_NAMES = ['Unset', 'Ok', 'Error'] as const;

/**
 * Renders an attribute value the way the OpenTelemetry Collector's pdata `Value.AsString()` does, which is
 * what the Collector's ClickHouse exporter stores in its `Map(String, String)` columns: strings as-is,
 * numbers and booleans in their shortest text form, bytes as base64, arrays and maps as JSON.
 */
export function attrValueToString(value: AttrValue): string {
  if (typeof value === 'string') return value;
  if (value === null) return '';
  if (typeof value === 'number') return formatDouble(value);
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return jsonText(value);
}

/**
 * JSON text of an array or map as pdata writes it (Go's encoding/json over `AsRaw()`): map keys sorted by
 * their UTF-8 bytes whatever order the sender used, integers exact (also beyond 2^53), bytes as base64.
 * Written by hand because a JS object cannot hold keys in that order (integer-like keys always come first).
 */
function jsonText(value: AttrValue): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (typeof value === 'object' && !(value instanceof Uint8Array)) {
    const keys = Object.keys(value).sort(compareUtf8);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${jsonText(value[k] as AttrValue)}`).join(',')}}`;
  }
  return JSON.stringify(toJsonValue(value));
}

/** Orders strings by their UTF-8 bytes (Go's string order), not by UTF-16 code units. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function formatDouble(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

/** A JSON-safe copy of an attribute value (bigint as number when exact, bytes as base64). */
export function toJsonValue(value: AttrValue): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : formatDouble(value);
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toJsonValue);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toJsonValue(v);
  return out;
}

export function attributesToStringMap(attrs: Attributes): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in attrs) out[key] = attrValueToString(attrs[key] as AttrValue);
  return out;
}
