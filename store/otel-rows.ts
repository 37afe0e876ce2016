// Encodes spans and log records as TabSeparated rows for the Collector-compatible otel_traces / otel_logs
// (rules in tsv.ts). One request's records come grouped by resource and scope, and every record of a group
// shares the same resource and scope objects, so their columns (service name, resource attribute map, scope
// name and version) are encoded once per group, not once per record.
import type { RowFormat } from './driver.js';
import {
  attrValueToString,
  SPAN_KIND_NAMES,
  STATUS_CODE_NAMES,
  type Attributes,
  type LogRecordRecord,
  type Scope,
  type SpanRecord,
} from '../schemas/telemetry.js';
import { attributesMap, quoted, tsvNanos, tsvString } from './tsv.js';

export const TRACES_FORMAT: RowFormat = Object.freeze({
  name: 'TabSeparated',
  columns: Object.freeze([
    'Timestamp',
    'TraceId',
    'SpanId',
    'ParentSpanId',
    'TraceState',
    'SpanName',
    'SpanKind',
    'ServiceName',
    'ResourceAttributes',
    'ScopeName',
    'ScopeVersion',
    'SpanAttributes',
    'Duration',
    'StatusCode',
    'StatusMessage',
    'Events.Timestamp',
    'Events.Name',
    'Events.Attributes',
    'Links.TraceId',
    'Links.SpanId',
    'Links.TraceState',
    'Links.Attributes',
  ]),
} as const);

export const LOGS_FORMAT: RowFormat = Object.freeze({
  name: 'TabSeparated',
  columns: Object.freeze([
    'Timestamp',
    'TraceId',
    'SpanId',
    'TraceFlags',
    'SeverityText',
    'SeverityNumber',
    'Body',
    'LogAttributes',
    'EventName',
    'ServiceName',
    'ResourceSchemaUrl',
    'ResourceAttributes',
    'ScopeSchemaUrl',
    'ScopeName',
    'ScopeVersion',
    'ScopeAttributes',
  ]),
} as const);

const SPAN_KINDS = SPAN_KIND_NAMES.map((n) => `\t${n}\t`);
const STATUS_CODES = STATUS_CODE_NAMES.map((n) => `\t${n}\t`);

function serviceName(resource: Attributes): string {
  const v = resource['service.name'];
  return typeof v === 'string' ? v : '';
}

/** ServiceName … ScopeVersion of otel_traces, tab-separated. */
function traceResourceColumns(resource: Attributes, scope: Scope): string {
  return `${tsvString(serviceName(resource))}\t${attributesMap(resource)}\t${tsvString(scope.name)}\t${tsvString(scope.version)}`;
}

/** otel_traces rows, one line each. */
export function encodeSpans(spans: readonly SpanRecord[]): string {
  let out = '';
  let resource: Attributes | null = null;
  let scope: Scope | null = null;
  let shared = '';
  for (const s of spans) {
    if (s.resource !== resource || s.scope !== scope) {
      resource = s.resource;
      scope = s.scope;
      shared = traceResourceColumns(resource, scope);
    }
    const duration = s.endTimeUnixNano > s.startTimeUnixNano ? s.endTimeUnixNano - s.startTimeUnixNano : 0n;
    let events = '[]\t[]\t[]';
    if (s.events.length > 0) {
      let ts = '[';
      let names = '[';
      let attrs = '[';
      for (let i = 0; i < s.events.length; i++) {
        const e = s.events[i] as SpanRecord['events'][number];
        const sep = i === 0 ? '' : ',';
        ts += `${sep}'${tsvNanos(e.timeUnixNano)}'`;
        names += sep + quoted(e.name);
        attrs += sep + attributesMap(e.attributes);
      }
      events = `${ts}]\t${names}]\t${attrs}]`;
    }
    let links = '[]\t[]\t[]\t[]';
    if (s.links.length > 0) {
      let traceIds = '[';
      let spanIds = '[';
      let states = '[';
      let attrs = '[';
      for (let i = 0; i < s.links.length; i++) {
        const l = s.links[i] as SpanRecord['links'][number];
        const sep = i === 0 ? '' : ',';
        traceIds += sep + quoted(l.traceId);
        spanIds += sep + quoted(l.spanId);
        states += sep + quoted(l.traceState);
        attrs += sep + attributesMap(l.attributes);
      }
      links = `${traceIds}]\t${spanIds}]\t${states}]\t${attrs}]`;
    }
    out +=
      `${tsvNanos(s.startTimeUnixNano)}\t${tsvString(s.traceId)}\t${tsvString(s.spanId)}\t${tsvString(s.parentSpanId)}\t${tsvString(s.traceState)}\t${tsvString(s.name)}` +
      `${SPAN_KINDS[s.kind] ?? '\t\t'}${shared}\t${attributesMap(s.attributes)}\t${duration}${STATUS_CODES[s.statusCode] ?? '\t\t'}${tsvString(s.statusMessage)}\t${events}\t${links}\n`;
  }
  return out;
}

/** otel_logs rows, one line each. */
export function encodeLogs(logs: readonly LogRecordRecord[]): string {
  let out = '';
  let resource: Attributes | null = null;
  let scope: Scope | null = null;
  let resourceSchemaUrl = '';
  let scopeSchemaUrl = '';
  let shared = '';
  for (const r of logs) {
    if (r.resource !== resource || r.scope !== scope || r.resourceSchemaUrl !== resourceSchemaUrl || r.scopeSchemaUrl !== scopeSchemaUrl) {
      resource = r.resource;
      scope = r.scope;
      resourceSchemaUrl = r.resourceSchemaUrl;
      scopeSchemaUrl = r.scopeSchemaUrl;
      shared =
        `${tsvString(serviceName(resource))}\t${tsvString(resourceSchemaUrl)}\t${attributesMap(resource)}\t` +
        `${tsvString(scopeSchemaUrl)}\t${tsvString(scope.name)}\t${tsvString(scope.version)}\t${attributesMap(scope.attributes)}`;
    }
    // The Collector exporter falls back to the observed time when the event time is unset.
    const ts = r.timeUnixNano !== 0n ? r.timeUnixNano : r.observedTimeUnixNano;
    out +=
      `${tsvNanos(ts)}\t${tsvString(r.traceId)}\t${tsvString(r.spanId)}\t${r.flags & 0xff}\t${tsvString(r.severityText)}\t${r.severityNumber}\t` +
      `${tsvString(attrValueToString(r.body))}\t${attributesMap(r.attributes)}\t${tsvString(r.eventName)}\t${shared}\n`;
  }
  return out;
}
