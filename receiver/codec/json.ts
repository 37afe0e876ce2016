// The OTLP/JSON decoders of export requests. Same output and same data-model checks as the protobuf
// decoders, but OTLP/JSON has its own encodings to accept (hex ids, int64 as decimal strings, enum names,
// snake_case field names) and its errors name the JSON path of what was refused. The nesting is walked by
// walk.ts; this module only says how one span or one log record is read.
import type { Attributes, LogRecordRecord, Scope, SpanRecord } from '../../schemas/telemetry.js';
import { MAX_UNIX_NANO, OtlpDecodeError, type Decoded } from './decoded.js';
import { asArray, asEnum, asObject, asString, asUint, field, jsonAttrs, jsonId, jsonValue, type Json } from './json-values.js';
import { LOGS, TRACES, walkJson } from './walk.js';

const SPAN_KIND_ENUM = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_ENUM = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const SEVERITY_ENUM = Array.from({ length: 25 }, (_, i) => `SEVERITY_NUMBER_${i}`);

export function parseJsonBody(body: Uint8Array | string, what: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw new OtlpDecodeError(`malformed JSON ${what}: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new OtlpDecodeError(`${what} must be a JSON object`);
  return parsed as Json;
}

function jsonSpan(s: Json, p: string, resource: Attributes, resourceSchemaUrl: string, scope: Scope, scopeSchemaUrl: string): SpanRecord {
  const status = asObject(s.status, `${p}.status`);
  return {
    traceId: jsonId(field(s, 'traceId', 'trace_id'), 32, `${p}.traceId`, true),
    spanId: jsonId(field(s, 'spanId', 'span_id'), 16, `${p}.spanId`, true),
    parentSpanId: jsonId(field(s, 'parentSpanId', 'parent_span_id'), 16, `${p}.parentSpanId`, false),
    traceState: asString(field(s, 'traceState', 'trace_state'), `${p}.traceState`),
    flags: Number(asUint(s.flags, `${p}.flags`, 0xffffffffn)),
    name: asString(s.name, `${p}.name`),
    kind: asEnum(s.kind, `${p}.kind`, SPAN_KIND_ENUM),
    startTimeUnixNano: asUint(field(s, 'startTimeUnixNano', 'start_time_unix_nano'), `${p}.startTimeUnixNano`, MAX_UNIX_NANO),
    endTimeUnixNano: asUint(field(s, 'endTimeUnixNano', 'end_time_unix_nano'), `${p}.endTimeUnixNano`, MAX_UNIX_NANO),
    attributes: jsonAttrs(s.attributes, `${p}.attributes`),
    events: asArray(s.events, `${p}.events`).map((ev, e) => {
      const eo = asObject(ev, `${p}.events[${e}]`);
      return {
        timeUnixNano: asUint(field(eo, 'timeUnixNano', 'time_unix_nano'), `${p}.events[${e}].timeUnixNano`, MAX_UNIX_NANO),
        name: asString(eo.name, `${p}.events[${e}].name`),
        attributes: jsonAttrs(eo.attributes, `${p}.events[${e}].attributes`),
      };
    }),
    links: asArray(s.links, `${p}.links`).map((lv, l) => {
      const lo = asObject(lv, `${p}.links[${l}]`);
      return {
        traceId: jsonId(field(lo, 'traceId', 'trace_id'), 32, `${p}.links[${l}].traceId`, true),
        spanId: jsonId(field(lo, 'spanId', 'span_id'), 16, `${p}.links[${l}].spanId`, true),
        traceState: asString(field(lo, 'traceState', 'trace_state'), `${p}.links[${l}].traceState`),
        attributes: jsonAttrs(lo.attributes, `${p}.links[${l}].attributes`),
      };
    }),
    statusCode: asEnum(status.code, `${p}.status.code`, STATUS_ENUM),
    statusMessage: asString(status.message, `${p}.status.message`),
    resource,
    resourceSchemaUrl,
    scope,
    scopeSchemaUrl,
  };
}

function jsonLog(r: Json, p: string, resource: Attributes, resourceSchemaUrl: string, scope: Scope, scopeSchemaUrl: string): LogRecordRecord {
  const body = r.body === undefined || r.body === null ? null : jsonValue(r.body, `${p}.body`, 0);
  return {
    timeUnixNano: asUint(field(r, 'timeUnixNano', 'time_unix_nano'), `${p}.timeUnixNano`, MAX_UNIX_NANO),
    observedTimeUnixNano: asUint(field(r, 'observedTimeUnixNano', 'observed_time_unix_nano'), `${p}.observedTimeUnixNano`, MAX_UNIX_NANO),
    traceId: jsonId(field(r, 'traceId', 'trace_id'), 32, `${p}.traceId`, false),
    spanId: jsonId(field(r, 'spanId', 'span_id'), 16, `${p}.spanId`, false),
    flags: Number(asUint(r.flags, `${p}.flags`, 0xffffffffn)),
    severityNumber: asEnum(field(r, 'severityNumber', 'severity_number'), `${p}.severityNumber`, SEVERITY_ENUM),
    severityText: asString(field(r, 'severityText', 'severity_text'), `${p}.severityText`),
    body,
    attributes: jsonAttrs(r.attributes, `${p}.attributes`),
    eventName: asString(field(r, 'eventName', 'event_name'), `${p}.eventName`),
    resource,
    resourceSchemaUrl,
    scope,
    scopeSchemaUrl,
  };
}

export function decodeTracesJson(body: Uint8Array | string): Decoded<SpanRecord> {
  return walkJson(parseJsonBody(body, TRACES.request), TRACES, jsonSpan);
}

export function decodeLogsJson(body: Uint8Array | string): Decoded<LogRecordRecord> {
  return walkJson(parseJsonBody(body, LOGS.request), LOGS, jsonLog);
}
