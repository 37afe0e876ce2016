// What both encodings' decoders share about the data model, kept apart from either encoding so that the
// protobuf and OTLP/JSON paths reject the same items for the same reasons and report them the same way:
// the result shape, the per-item error that rejects one item (not the request), the limits, and the checks
// that do not depend on how a field was encoded.
import { TracelightError } from '../../schemas/errors.js';
import type { MetricType } from '../../schemas/telemetry.js';

export class OtlpDecodeError extends TracelightError {
  override name = 'OtlpDecodeError';
  constructor(message: string) {
    super('invalid', message);
  }
}

export interface Decoded<T> {
  items: T[];
  rejected: number;
  /** First few reasons, for partial_success.error_message. */
  errors: string[];
  /** How many of the rejected items those reasons cover (one reason may refuse a metric's many points); default errors.length. */
  described?: number;
}

/** Attribute values nested deeper than this are rejected: no SDK produces them, and they cost stack and storage. */
export const MAX_VALUE_DEPTH = 32;
/** DateTime64(9) ends at 2262-04-11; later timestamps cannot be stored. */
export const MAX_UNIX_NANO = 9_223_372_036_854_775_807n;
const MAX_REPORTED_ERRORS = 5;

/**
 * Rejects one item (reported through partial_success); any other error fails the whole request. `items`: how many
 * items it rejects, for a metric refused whole with all of its data points.
 */
export class ItemError extends Error {
  constructor(
    message: string,
    readonly items = 1,
  ) {
    super(message);
  }
}

/** Where a walk is: the levels' names and the indexes of the item being read (protobuf items have no path of their own). */
export interface WalkPosition {
  resource: string;
  scope: string;
  item: string;
  i: number;
  j: number;
  k: number;
}

export class Collector<T> implements Decoded<T> {
  items: T[] = [];
  rejected = 0;
  errors: string[] = [];
  described = 0;
  where: WalkPosition | null = null;
  /** The path of the item being read, for a reader that rejects parts of it. */
  itemPath(): string {
    const w = this.where;
    return w ? `${w.resource}[${w.i}].${w.scope}[${w.j}].${w.item}[${w.k}]` : '';
  }
  reject(path: string, err: unknown): void {
    const n = err instanceof ItemError ? err.items : 1;
    this.rejected += n;
    if (this.errors.length >= MAX_REPORTED_ERRORS) return;
    this.described += n;
    const msg = err instanceof Error ? err.message : String(err);
    this.errors.push(msg.startsWith(path) ? msg : `${path}: ${msg}`);
  }
}

export function checkTime(ns: bigint, field: string): bigint {
  if (ns > MAX_UNIX_NANO) throw new ItemError(`${field} ${ns} is past year 2262 and cannot be stored`);
  return ns;
}

export function checkKind(kind: number): number {
  if (!Number.isInteger(kind) || kind < 0 || kind > 5) throw new ItemError(`kind ${kind} is not a SpanKind (0..5)`);
  return kind;
}
export function checkStatus(code: number): number {
  if (!Number.isInteger(code) || code < 0 || code > 2) throw new ItemError(`status.code ${code} is not a StatusCode (0..2)`);
  return code;
}
export function checkSeverity(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 24) throw new ItemError(`severityNumber ${n} is outside 0..24`);
  return n;
}

export function checkTemporality(t: number): number {
  if (!Number.isInteger(t) || t < 0 || t > 2) throw new ItemError(`aggregationTemporality ${t} is not an AggregationTemporality (0..2)`);
  return t;
}

/** A data point's time is required: the data model says a consumer SHOULD refuse a point without one. */
export function checkPointTime(ns: bigint): bigint {
  if (ns === 0n) throw new ItemError('timeUnixNano is missing (0)');
  return checkTime(ns, 'timeUnixNano');
}

/** Explicit buckets: one count more than bounds (the last bucket is open), or neither. */
export function checkBuckets(counts: number, bounds: number): void {
  if (counts === 0 && bounds === 0) return;
  if (counts !== bounds + 1) throw new ItemError(`bucketCounts has ${counts} entries for ${bounds} explicitBounds (must be explicitBounds + 1)`);
}

export function checkQuantile(q: number): number {
  if (!(q >= 0 && q <= 1)) throw new ItemError(`quantile ${q} is outside [0, 1]`);
  return q;
}

/** How paths name each metric type's data field (its OTLP/JSON name), in both encodings. */
export const METRIC_DATA_FIELDS: Readonly<Record<MetricType, string>> = {
  gauge: 'gauge',
  sum: 'sum',
  histogram: 'histogram',
  exponential_histogram: 'exponentialHistogram',
  summary: 'summary',
};

/**
 * Adds one metric's data points to `out`, each read or refused on its own (`points` holds the ItemError that
 * refused one), or refuses the whole metric with all of its points when the metric itself is invalid. Points are
 * read before this is called, so that a wire error in any of them fails the request whatever the metric's fate.
 */
export function addMetricPoints<T>(
  out: Collector<T>,
  path: string,
  name: string,
  type: MetricType | null,
  temporality: number,
  points: (T | ItemError)[],
): undefined {
  const all = Math.max(1, points.length);
  if (name === '') throw new ItemError('metric name is missing', all);
  if (type === null) throw new ItemError(`metric "${name}" has no data (gauge, sum, histogram, exponentialHistogram or summary)`, all);
  try {
    checkTemporality(temporality);
  } catch (err) {
    throw new ItemError(`metric "${name}": ${(err as Error).message}`, all);
  }
  const field = METRIC_DATA_FIELDS[type];
  for (let i = 0; i < points.length; i++) {
    const p = points[i] as T | ItemError;
    if (p instanceof ItemError) out.reject(`${path}.${field}.dataPoints[${i}]`, p);
    else out.items.push(p);
  }
  return undefined;
}
