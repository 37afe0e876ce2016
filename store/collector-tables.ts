// Reads spans and log records back from tables in the OpenTelemetry Collector's ClickHouse exporter schema
// (otel_traces, otel_logs: what a Collector already writes, and what tracelight writes itself), as the records
// the normalizers read. The exporter stores attribute values as text (pdata's AsString) and a structured log
// body as JSON text; the normalizers read numbers and JSON from text, so the same spans give the same calls.
import { SPAN_KIND_NAMES, STATUS_CODE_NAMES, type Attributes, type LogRecordRecord, type Scope, type SpanRecord } from '../schemas/telemetry.js';
import type { Driver } from './driver.js';
import { jsonLine, nextVersion } from './json-line.js';

export interface CollectorTables {
  /** Database of the Collector's tables (default: the store's own). */
  database?: string;
  traces: string;
  logs: string;
}

export const DEFAULT_COLLECTOR_TABLES: CollectorTables = { traces: 'otel_traces', logs: 'otel_logs' };

/**
 * A window of rows by Timestamp, [sinceNs, untilNs), read trace by trace: a page is every row of the window of up
 * to `traces` traces, taken in TraceId order after `afterTrace`. A trace's rows come together (the normalizers
 * join a call to its parent and a content event to its call), in Timestamp order and, where timestamps are
 * equal (the content events of one call), in the order they were inserted.
 */
export interface RowWindow {
  sinceNs: bigint;
  untilNs: bigint;
  traces: number;
  afterTrace?: string;
}

/** A page of records and the last trace it holds (null when the page is empty). */
export interface Page<T> {
  records: T[];
  lastTrace: string | null;
}

/** Most rows one page reads (records without a trace id are one group, however many there are). */
const MAX_PAGE_ROWS = 200_000;

function windowParams(w: RowWindow): Record<string, string | number> {
  return {
    since: w.sinceNs.toString(),
    until: w.untilNs.toString(),
    traces: w.traces,
    after: w.afterTrace ?? '',
    has_after: w.afterTrace === undefined ? 0 : 1,
    max: MAX_PAGE_ROWS,
  };
}

function windowSql(from: string): string {
  const inWindow = 'toUnixTimestamp64Nano(Timestamp) >= {since:UInt64} AND toUnixTimestamp64Nano(Timestamp) < {until:UInt64}';
  return `${inWindow} AND TraceId IN (
    SELECT DISTINCT TraceId FROM ${from} WHERE ${inWindow} AND ({has_after:UInt8} = 0 OR TraceId > {after:String}) ORDER BY TraceId LIMIT {traces:UInt32})
  ORDER BY TraceId, toUnixTimestamp64Nano(Timestamp), _part, _part_offset LIMIT {max:UInt32}`;
}

function lastTrace(rows: readonly { TraceId: string }[]): string | null {
  return rows.at(-1)?.TraceId ?? null;
}

interface TraceRow {
  ns: string;
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
  Duration: string | number;
  StatusCode: string;
  StatusMessage: string;
  ev_ns: string[];
  ev_names: string[];
  ev_attrs: Record<string, string>[];
  link_trace: string[];
  link_span: string[];
  link_state: string[];
  link_attrs: Record<string, string>[];
}

interface LogRow {
  ns: string;
  TraceId: string;
  SpanId: string;
  TraceFlags: number | string;
  SeverityText: string;
  SeverityNumber: number | string;
  Body: string;
  LogAttributes: Record<string, string>;
  EventName: string;
  ServiceName: string;
  ResourceSchemaUrl: string;
  ResourceAttributes: Record<string, string>;
  ScopeSchemaUrl: string;
  ScopeName: string;
  ScopeVersion: string;
  ScopeAttributes: Record<string, string>;
}

function table(t: CollectorTables, name: string): { sql: string; params: Record<string, string> } {
  return t.database ? { sql: '{db:Identifier}.{tbl:Identifier}', params: { db: t.database, tbl: name } } : { sql: '{tbl:Identifier}', params: { tbl: name } };
}

function withService(attrs: Record<string, string>, service: string): Attributes {
  return service && attrs['service.name'] === undefined ? { ...attrs, 'service.name': service } : { ...attrs };
}

function enumIndex(names: readonly string[], name: string): number {
  const i = names.indexOf(name);
  return i < 0 ? 0 : i;
}

/** One page of spans from the traces table (see RowWindow). */
export async function readCollectorSpans(db: Driver, tables: CollectorTables, w: RowWindow): Promise<Page<SpanRecord>> {
  const t = table(tables, tables.traces);
  const rows = await db.query<TraceRow>(
    `SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS ns, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName,
            ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, StatusMessage,
            arrayMap(x -> toString(toUnixTimestamp64Nano(x)), Events.Timestamp) AS ev_ns, Events.Name AS ev_names, Events.Attributes AS ev_attrs,
            Links.TraceId AS link_trace, Links.SpanId AS link_span, Links.TraceState AS link_state, Links.Attributes AS link_attrs
     FROM ${t.sql} WHERE ${windowSql(t.sql)}`,
    { ...t.params, ...windowParams(w) },
  );
  // Records of one resource and scope share the objects, as a decoded OTLP request's do.
  const resources = new Map<string, Attributes>();
  const scopes = new Map<string, Scope>();
  const records = rows.map((r): SpanRecord => {
    const resourceKey = `${r.ServiceName}\u0000${JSON.stringify(r.ResourceAttributes)}`;
    let resource = resources.get(resourceKey);
    if (!resource) resources.set(resourceKey, (resource = withService(r.ResourceAttributes, r.ServiceName)));
    const scopeKey = `${r.ScopeName}\u0000${r.ScopeVersion}`;
    let scope = scopes.get(scopeKey);
    if (!scope) scopes.set(scopeKey, (scope = { name: r.ScopeName, version: r.ScopeVersion, attributes: {} }));
    const start = BigInt(r.ns);
    return {
      traceId: r.TraceId,
      spanId: r.SpanId,
      parentSpanId: r.ParentSpanId,
      traceState: r.TraceState,
      flags: 0,
      name: r.SpanName,
      kind: enumIndex(SPAN_KIND_NAMES, r.SpanKind),
      startTimeUnixNano: start,
      endTimeUnixNano: start + BigInt(r.Duration),
      attributes: { ...r.SpanAttributes },
      events: r.ev_names.map((name, i) => ({ timeUnixNano: BigInt(r.ev_ns[i] ?? '0'), name, attributes: { ...(r.ev_attrs[i] ?? {}) } })),
      links: r.link_trace.map((traceId, i) => ({
        traceId,
        spanId: r.link_span[i] ?? '',
        traceState: r.link_state[i] ?? '',
        attributes: { ...(r.link_attrs[i] ?? {}) },
      })),
      statusCode: enumIndex(STATUS_CODE_NAMES, r.StatusCode),
      statusMessage: r.StatusMessage,
      resource,
      resourceSchemaUrl: '',
      scope,
      scopeSchemaUrl: '',
    };
  });
  return { records, lastTrace: lastTrace(rows) };
}

/** A body the exporter wrote as JSON text (a map or an array) is structured again; other text stays text. */
function body(text: string): LogRecordRecord['body'] {
  const t = text.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.parse(text) as LogRecordRecord['body'];
    } catch {
      return text;
    }
  }
  return text;
}

/** One page of log records from the logs table (see RowWindow). */
export async function readCollectorLogs(db: Driver, tables: CollectorTables, w: RowWindow): Promise<Page<LogRecordRecord>> {
  const t = table(tables, tables.logs);
  const rows = await db.query<LogRow>(
    `SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS ns, TraceId, SpanId, TraceFlags, SeverityText, SeverityNumber, Body, LogAttributes,
            EventName, ServiceName, ResourceSchemaUrl, ResourceAttributes, ScopeSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes
     FROM ${t.sql} WHERE ${windowSql(t.sql)}`,
    { ...t.params, ...windowParams(w) },
  );
  const records = rows.map((r): LogRecordRecord => ({
    timeUnixNano: BigInt(r.ns),
    observedTimeUnixNano: BigInt(r.ns),
    traceId: r.TraceId,
    spanId: r.SpanId,
    flags: Number(r.TraceFlags),
    severityNumber: Number(r.SeverityNumber),
    severityText: r.SeverityText,
    body: body(r.Body),
    attributes: { ...r.LogAttributes },
    eventName: r.EventName,
    resource: withService(r.ResourceAttributes, r.ServiceName),
    resourceSchemaUrl: r.ResourceSchemaUrl,
    scope: { name: r.ScopeName, version: r.ScopeVersion, attributes: { ...r.ScopeAttributes } },
    scopeSchemaUrl: r.ScopeSchemaUrl,
  }));
  return { records, lastTrace: lastTrace(rows) };
}

/** The end of the last window imported from `source` (0 before the first). */
export async function readWatermark(db: Driver, source: string): Promise<bigint> {
  const rows = await db.query<{ w: string }>(
    'SELECT toString(watermark_ns) AS w FROM source_watermarks WHERE source = {s:String} ORDER BY version DESC LIMIT 1',
    {
      s: source,
    },
  );
  return BigInt(rows[0]?.w ?? '0');
}

export async function writeWatermark(db: Driver, source: string, ns: bigint): Promise<void> {
  await db.insertJsonEachRow('source_watermarks', Buffer.from(`${jsonLine({ source, version: nextVersion() }, { watermark_ns: ns })}\n`));
}
