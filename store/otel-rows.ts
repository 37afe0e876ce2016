// Encodes spans and log records as JSONEachRow lines for the Collector-compatible otel_traces / otel_logs.
import {
  attrValueToString,
  attributesToStringMap,
  SPAN_KIND_NAMES,
  STATUS_CODE_NAMES,
  type LogRecordRecord,
  type SpanRecord,
} from '../schemas/telemetry.js';
import { jsonLine } from './json-line.js';

function serviceName(resource: Record<string, unknown>): string {
  const v = resource['service.name'];
  return typeof v === 'string' ? v : '';
}

export function spanRow(s: SpanRecord): string {
  const duration = s.endTimeUnixNano > s.startTimeUnixNano ? s.endTimeUnixNano - s.startTimeUnixNano : 0n;
  return jsonLine({
    TraceId: s.traceId,
    SpanId: s.spanId,
    ParentSpanId: s.parentSpanId,
    TraceState: s.traceState,
    SpanName: s.name,
    SpanKind: SPAN_KIND_NAMES[s.kind] ?? '',
    ServiceName: serviceName(s.resource),
    ResourceAttributes: attributesToStringMap(s.resource),
    ScopeName: s.scope.name,
    ScopeVersion: s.scope.version,
    SpanAttributes: attributesToStringMap(s.attributes),
    Duration: duration.toString(),
    StatusCode: STATUS_CODE_NAMES[s.statusCode] ?? '',
    StatusMessage: s.statusMessage,
    'Events.Name': s.events.map((e) => e.name),
    'Events.Attributes': s.events.map((e) => attributesToStringMap(e.attributes)),
    'Links.TraceId': s.links.map((l) => l.traceId),
    'Links.SpanId': s.links.map((l) => l.spanId),
    'Links.TraceState': s.links.map((l) => l.traceState),
    'Links.Attributes': s.links.map((l) => attributesToStringMap(l.attributes)),
  }, { Timestamp: s.startTimeUnixNano, 'Events.Timestamp': s.events.map((e) => e.timeUnixNano) });
}

export function logRow(r: LogRecordRecord): string {
  // The Collector exporter falls back to the observed time when the event time is unset.
  const ts = r.timeUnixNano !== 0n ? r.timeUnixNano : r.observedTimeUnixNano;
  return jsonLine({
    TraceId: r.traceId,
    SpanId: r.spanId,
    TraceFlags: r.flags & 0xff,
    SeverityText: r.severityText,
    SeverityNumber: r.severityNumber,
    ServiceName: serviceName(r.resource),
    Body: attrValueToString(r.body),
    ResourceSchemaUrl: r.resourceSchemaUrl,
    ResourceAttributes: attributesToStringMap(r.resource),
    ScopeSchemaUrl: r.scopeSchemaUrl,
    ScopeName: r.scope.name,
    ScopeVersion: r.scope.version,
    ScopeAttributes: attributesToStringMap(r.scope.attributes),
    LogAttributes: attributesToStringMap(r.attributes),
    EventName: r.eventName,
  }, { Timestamp: ts });
}
