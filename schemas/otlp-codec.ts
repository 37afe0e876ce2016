// Decodes OTLP export requests (protobuf or OTLP/JSON) into flat SpanRecord / LogRecordRecord lists and
// encodes the Export*ServiceResponse. Items that break the data model (bad ids, impossible timestamps,
// over-deep values) are rejected one by one and reported through partial_success, as the OTLP spec asks;
// a payload that cannot be parsed at all raises OtlpDecodeError (HTTP 400 / gRPC INVALID_ARGUMENT).
import { fileURLToPath } from 'node:url';
import Long from 'long';
import protobuf from 'protobufjs';
import type { AttrValue, Attributes, LogRecordRecord, Scope, SpanRecord } from './telemetry.js';

export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
}

export interface Decoded<T> {
  items: T[];
  rejected: number;
  /** First few reasons, for partial_success.error_message. */
  errors: string[];
}

/** Attribute values nested deeper than this are rejected: no SDK produces them, and they cost stack and storage. */
export const MAX_VALUE_DEPTH = 32;
/** DateTime64(9) ends at 2262-04-11; later timestamps cannot be stored. */
const MAX_UNIX_NANO = 9_223_372_036_854_775_807n;
const MAX_REPORTED_ERRORS = 5;

const protoPath = fileURLToPath(new URL('./otlp/otlp.proto', import.meta.url));
protobuf.util.Long = Long;
protobuf.configure();
const root = protobuf.loadSync(protoPath);
const TraceRequest = root.lookupType('opentelemetry.proto.ExportTraceServiceRequest');
const LogsRequest = root.lookupType('opentelemetry.proto.ExportLogsServiceRequest');
const TraceResponse = root.lookupType('opentelemetry.proto.ExportTraceServiceResponse');
const LogsResponse = root.lookupType('opentelemetry.proto.ExportLogsServiceResponse');

class ItemError extends Error {}

class Collector<T> implements Decoded<T> {
  items: T[] = [];
  rejected = 0;
  errors: string[] = [];
  reject(path: string, err: unknown): void {
    this.rejected++;
    if (this.errors.length >= MAX_REPORTED_ERRORS) return;
    const msg = err instanceof Error ? err.message : String(err);
    this.errors.push(msg.startsWith(path) ? msg : `${path}: ${msg}`);
  }
}

// ---------------------------------------------------------------- protobuf

/* The decoded protobufjs messages are dynamic; these interfaces name the fields we read. */
interface PbKeyValue { key: string; value?: PbAnyValue | null }
interface PbAnyValue {
  value?: string;
  stringValue?: string; boolValue?: boolean; intValue?: Long; doubleValue?: number;
  arrayValue?: { values: PbAnyValue[] }; kvlistValue?: { values: PbKeyValue[] }; bytesValue?: Uint8Array;
}
interface PbScope { name: string; version: string; attributes: PbKeyValue[] }
interface PbResource { attributes: PbKeyValue[] }
interface PbSpan {
  traceId: Uint8Array; spanId: Uint8Array; traceState: string; parentSpanId: Uint8Array; flags: number; name: string; kind: number;
  startTimeUnixNano: Long; endTimeUnixNano: Long; attributes: PbKeyValue[];
  events: { timeUnixNano: Long; name: string; attributes: PbKeyValue[] }[];
  links: { traceId: Uint8Array; spanId: Uint8Array; traceState: string; attributes: PbKeyValue[] }[];
  status?: { message: string; code: number } | null;
}
interface PbLog {
  timeUnixNano: Long; observedTimeUnixNano: Long; severityNumber: number; severityText: string; body?: PbAnyValue | null;
  attributes: PbKeyValue[]; flags: number; traceId: Uint8Array; spanId: Uint8Array; eventName: string;
}
interface PbTraceRequest {
  resourceSpans: { resource?: PbResource | null; schemaUrl: string; scopeSpans: { scope?: PbScope | null; schemaUrl: string; spans: PbSpan[] }[] }[];
}
interface PbLogsRequest {
  resourceLogs: { resource?: PbResource | null; schemaUrl: string; scopeLogs: { scope?: PbScope | null; schemaUrl: string; logRecords: PbLog[] }[] }[];
}

function pbDecode<T>(type: protobuf.Type, buf: Uint8Array, what: string): T {
  try {
    return type.decode(buf) as unknown as T;
  } catch (err) {
    const reason = err instanceof RangeError && /call stack/i.test(err.message) ? 'values nested too deeply' : (err as Error).message;
    throw new OtlpDecodeError(`malformed protobuf ${what}: ${reason}`);
  }
}

function longToBigInt(v: Long | number | undefined): bigint {
  if (v === undefined) return 0n;
  if (typeof v === 'number') return BigInt(v);
  return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
}

function signedLong(v: Long): number | bigint {
  if (v.high === 0 && v.low >= 0) return v.low;
  const big = BigInt.asIntN(64, longToBigInt(v));
  return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(big) : big;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i] as number];
  return s;
}

function pbId(b: Uint8Array | undefined, bytes: number, field: string, required: boolean): string {
  if (!b || b.length === 0) {
    if (required) throw new ItemError(`${field} is missing`);
    return '';
  }
  if (b.length !== bytes) throw new ItemError(`${field} must be ${bytes} bytes, got ${b.length}`);
  const hex = bytesToHex(b);
  if (required && /^0+$/.test(hex)) throw new ItemError(`${field} is all zeros (invalid)`);
  return hex;
}

function pbValue(v: PbAnyValue | null | undefined, depth: number): AttrValue {
  if (!v) return null;
  if (depth > MAX_VALUE_DEPTH) throw new ItemError(`attribute value nested deeper than ${MAX_VALUE_DEPTH} levels`);
  switch (v.value) {
    case 'stringValue': return v.stringValue as string;
    case 'boolValue': return v.boolValue as boolean;
    case 'intValue': return signedLong(v.intValue as Long);
    case 'doubleValue': return v.doubleValue as number;
    case 'bytesValue': return v.bytesValue as Uint8Array;
    case 'arrayValue': return (v.arrayValue?.values ?? []).map((x) => pbValue(x, depth + 1));
    case 'kvlistValue': return pbAttrs(v.kvlistValue?.values ?? [], depth + 1);
    default: return null;
  }
}

function pbAttrs(kvs: PbKeyValue[], depth = 0): Attributes {
  const out: Attributes = {};
  for (const kv of kvs) out[kv.key] = pbValue(kv.value, depth + 1);
  return out;
}

function pbScope(s: PbScope | null | undefined): Scope {
  return s ? { name: s.name, version: s.version, attributes: pbAttrs(s.attributes) } : { name: '', version: '', attributes: {} };
}

function checkTime(ns: bigint, field: string): bigint {
  if (ns > MAX_UNIX_NANO) throw new ItemError(`${field} ${ns} is past year 2262 and cannot be stored`);
  return ns;
}

export function decodeTracesProto(buf: Uint8Array): Decoded<SpanRecord> {
  const req = pbDecode<PbTraceRequest>(TraceRequest, buf, 'ExportTraceServiceRequest');
  const out = new Collector<SpanRecord>();
  req.resourceSpans.forEach((rs, i) => {
    let resource: Attributes;
    try { resource = pbAttrs(rs.resource?.attributes ?? []); } catch (err) {
      for (const ss of rs.scopeSpans) for (let k = 0; k < ss.spans.length; k++) out.reject(`resourceSpans[${i}].resource`, err);
      return;
    }
    rs.scopeSpans.forEach((ss, j) => {
      let scope: Scope;
      try { scope = pbScope(ss.scope); } catch (err) {
        for (let k = 0; k < ss.spans.length; k++) out.reject(`resourceSpans[${i}].scopeSpans[${j}].scope`, err);
        return;
      }
      ss.spans.forEach((s, k) => {
        try {
          out.items.push({
            traceId: pbId(s.traceId, 16, 'traceId', true),
            spanId: pbId(s.spanId, 8, 'spanId', true),
            parentSpanId: pbId(s.parentSpanId, 8, 'parentSpanId', false),
            traceState: s.traceState,
            flags: s.flags,
            name: s.name,
            kind: checkKind(s.kind),
            startTimeUnixNano: checkTime(longToBigInt(s.startTimeUnixNano), 'startTimeUnixNano'),
            endTimeUnixNano: checkTime(longToBigInt(s.endTimeUnixNano), 'endTimeUnixNano'),
            attributes: pbAttrs(s.attributes),
            events: s.events.map((e) => ({ timeUnixNano: checkTime(longToBigInt(e.timeUnixNano), 'event timeUnixNano'), name: e.name, attributes: pbAttrs(e.attributes) })),
            links: s.links.map((l) => ({ traceId: pbId(l.traceId, 16, 'link traceId', true), spanId: pbId(l.spanId, 8, 'link spanId', true), traceState: l.traceState, attributes: pbAttrs(l.attributes) })),
            statusCode: checkStatus(s.status?.code ?? 0),
            statusMessage: s.status?.message ?? '',
            resource,
            resourceSchemaUrl: rs.schemaUrl,
            scope,
            scopeSchemaUrl: ss.schemaUrl,
          });
        } catch (err) {
          if (!(err instanceof ItemError)) throw err;
          out.reject(`resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`, err);
        }
      });
    });
  });
  return out;
}

export function decodeLogsProto(buf: Uint8Array): Decoded<LogRecordRecord> {
  const req = pbDecode<PbLogsRequest>(LogsRequest, buf, 'ExportLogsServiceRequest');
  const out = new Collector<LogRecordRecord>();
  req.resourceLogs.forEach((rl, i) => {
    let resource: Attributes;
    try { resource = pbAttrs(rl.resource?.attributes ?? []); } catch (err) {
      for (const sl of rl.scopeLogs) for (let k = 0; k < sl.logRecords.length; k++) out.reject(`resourceLogs[${i}].resource`, err);
      return;
    }
    rl.scopeLogs.forEach((sl, j) => {
      let scope: Scope;
      try { scope = pbScope(sl.scope); } catch (err) {
        for (let k = 0; k < sl.logRecords.length; k++) out.reject(`resourceLogs[${i}].scopeLogs[${j}].scope`, err);
        return;
      }
      sl.logRecords.forEach((r, k) => {
        try {
          out.items.push({
            timeUnixNano: checkTime(longToBigInt(r.timeUnixNano), 'timeUnixNano'),
            observedTimeUnixNano: checkTime(longToBigInt(r.observedTimeUnixNano), 'observedTimeUnixNano'),
            traceId: pbId(r.traceId, 16, 'traceId', false),
            spanId: pbId(r.spanId, 8, 'spanId', false),
            flags: r.flags,
            severityNumber: checkSeverity(r.severityNumber),
            severityText: r.severityText,
            body: pbValue(r.body, 0),
            attributes: pbAttrs(r.attributes),
            eventName: r.eventName,
            resource,
            resourceSchemaUrl: rl.schemaUrl,
            scope,
            scopeSchemaUrl: sl.schemaUrl,
          });
        } catch (err) {
          if (!(err instanceof ItemError)) throw err;
          out.reject(`resourceLogs[${i}].scopeLogs[${j}].logRecords[${k}]`, err);
        }
      });
    });
  });
  return out;
}

function checkKind(kind: number): number {
  if (!Number.isInteger(kind) || kind < 0 || kind > 5) throw new ItemError(`kind ${kind} is not a SpanKind (0..5)`);
  return kind;
}
function checkStatus(code: number): number {
  if (!Number.isInteger(code) || code < 0 || code > 2) throw new ItemError(`status.code ${code} is not a StatusCode (0..2)`);
  return code;
}
function checkSeverity(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 24) throw new ItemError(`severityNumber ${n} is outside 0..24`);
  return n;
}

// ---------------------------------------------------------------- OTLP/JSON

type Json = Record<string, unknown>;

/** Proto3 JSON mapping: parsers accept both lowerCamelCase and the original snake_case field names. */
function field(o: Json, camel: string, snake: string): unknown {
  const v = o[camel];
  return v === undefined ? o[snake] : v;
}

function asObject(v: unknown, path: string): Json {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ItemError(`${path} must be an object`);
  return v as Json;
}

function asArray(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ItemError(`${path} must be an array`);
  return v;
}

function asString(v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new ItemError(`${path} must be a string`);
  return v;
}

function asUint(v: unknown, path: string, max: bigint): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) {
    if (BigInt(v) > max) throw new ItemError(`${path} ${v} is out of range`);
    return BigInt(v);
  }
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) {
    const b = BigInt(v);
    if (b > max) throw new ItemError(`${path} ${v} is out of range${max === MAX_UNIX_NANO ? ' (past year 2262)' : ''}`);
    return b;
  }
  throw new ItemError(`${path} must be an unsigned integer (number or decimal string), got ${JSON.stringify(v)}`);
}

function asEnum(v: unknown, path: string, names: readonly string[]): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < names.length) return v;
  // Enums are integers in OTLP/JSON, but some emitters send the proto enum names; accept those too.
  if (typeof v === 'string') {
    const i = names.indexOf(v);
    if (i >= 0) return i;
  }
  throw new ItemError(`${path} ${JSON.stringify(v)} is not one of ${names.length} known values`);
}

const SPAN_KIND_ENUM = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_ENUM = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const SEVERITY_ENUM = Array.from({ length: 25 }, (_, i) => `SEVERITY_NUMBER_${i}`);

function jsonId(v: unknown, hexChars: number, path: string, required: boolean): string {
  const s = asString(v, path);
  if (s === '') {
    if (required) throw new ItemError(`${path} is missing`);
    return '';
  }
  if (s.length !== hexChars || !/^[0-9a-fA-F]+$/.test(s)) {
    throw new ItemError(`${path} must be ${hexChars} hex characters (OTLP/JSON encodes ids as hex, not base64), got ${JSON.stringify(s.slice(0, 40))}`);
  }
  const hex = s.toLowerCase();
  if (required && /^0+$/.test(hex)) throw new ItemError(`${path} is all zeros (invalid)`);
  return hex;
}

function jsonValue(v: unknown, path: string, depth: number): AttrValue {
  if (depth > MAX_VALUE_DEPTH) throw new ItemError(`${path}: attribute value nested deeper than ${MAX_VALUE_DEPTH} levels`);
  const o = asObject(v, path);
  if ('stringValue' in o || 'string_value' in o) return asString(field(o, 'stringValue', 'string_value'), `${path}.stringValue`);
  if ('boolValue' in o || 'bool_value' in o) {
    const b = field(o, 'boolValue', 'bool_value');
    if (typeof b !== 'boolean') throw new ItemError(`${path}.boolValue must be a boolean`);
    return b;
  }
  if ('intValue' in o || 'int_value' in o) {
    const n = field(o, 'intValue', 'int_value');
    if (typeof n === 'number' && Number.isInteger(n)) return n;
    if (typeof n === 'string' && /^-?\d{1,19}$/.test(n)) {
      const b = BigInt(n);
      if (b > 9223372036854775807n || b < -9223372036854775808n) throw new ItemError(`${path}.intValue is out of int64 range`);
      return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(b) : b;
    }
    throw new ItemError(`${path}.intValue must be an integer (number or decimal string)`);
  }
  if ('doubleValue' in o || 'double_value' in o) {
    const d = field(o, 'doubleValue', 'double_value');
    if (typeof d === 'number') return d;
    if (d === 'NaN') return NaN;
    if (d === 'Infinity') return Infinity;
    if (d === '-Infinity') return -Infinity;
    if (typeof d === 'string' && d.trim() !== '' && !Number.isNaN(Number(d))) return Number(d);
    throw new ItemError(`${path}.doubleValue must be a number`);
  }
  if ('bytesValue' in o || 'bytes_value' in o) {
    const s = asString(field(o, 'bytesValue', 'bytes_value'), `${path}.bytesValue`);
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) throw new ItemError(`${path}.bytesValue must be base64`);
    return new Uint8Array(Buffer.from(s, 'base64'));
  }
  if ('arrayValue' in o || 'array_value' in o) {
    const a = asObject(field(o, 'arrayValue', 'array_value'), `${path}.arrayValue`);
    return asArray(a.values, `${path}.arrayValue.values`).map((x, i) => jsonValue(x, `${path}.arrayValue.values[${i}]`, depth + 1));
  }
  if ('kvlistValue' in o || 'kvlist_value' in o) {
    const kv = asObject(field(o, 'kvlistValue', 'kvlist_value'), `${path}.kvlistValue`);
    return jsonAttrs(kv.values, `${path}.kvlistValue.values`, depth + 1);
  }
  return null;
}

function jsonAttrs(v: unknown, path: string, depth = 0): Attributes {
  const out: Attributes = {};
  asArray(v, path).forEach((kv, i) => {
    const o = asObject(kv, `${path}[${i}]`);
    const key = asString(o.key, `${path}[${i}].key`);
    out[key] = o.value === undefined || o.value === null ? null : jsonValue(o.value, `${path}[${i}].value`, depth + 1);
  });
  return out;
}

function jsonScope(v: unknown, path: string): Scope {
  const o = asObject(v, path);
  return { name: asString(o.name, `${path}.name`), version: asString(o.version, `${path}.version`), attributes: jsonAttrs(o.attributes, `${path}.attributes`) };
}

function parseJsonBody(body: Uint8Array | string, what: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw new OtlpDecodeError(`malformed JSON ${what}: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new OtlpDecodeError(`${what} must be a JSON object`);
  return parsed as Json;
}

function topLevelArray(req: Json, camel: string, snake: string, what: string): unknown[] {
  const v = field(req, camel, snake);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${what}.${camel} must be an array`);
  return v;
}

export function decodeTracesJson(body: Uint8Array | string): Decoded<SpanRecord> {
  const req = parseJsonBody(body, 'ExportTraceServiceRequest');
  const out = new Collector<SpanRecord>();
  topLevelArray(req, 'resourceSpans', 'resource_spans', 'ExportTraceServiceRequest').forEach((rsv, i) => {
    const rp = `resourceSpans[${i}]`;
    let rs: Json, resource: Attributes, scopeSpans: unknown[];
    try {
      rs = asObject(rsv, rp);
      resource = jsonAttrs(asObject(rs.resource, `${rp}.resource`).attributes, `${rp}.resource.attributes`);
      scopeSpans = asArray(field(rs, 'scopeSpans', 'scope_spans'), `${rp}.scopeSpans`);
    } catch (err) {
      if (!(err instanceof ItemError)) throw err;
      out.reject(rp, err);
      return;
    }
    const resourceSchemaUrl = typeof field(rs, 'schemaUrl', 'schema_url') === 'string' ? (field(rs, 'schemaUrl', 'schema_url') as string) : '';
    scopeSpans.forEach((ssv, j) => {
      const sp = `${rp}.scopeSpans[${j}]`;
      let ss: Json, scope: Scope, spans: unknown[];
      try {
        ss = asObject(ssv, sp);
        scope = jsonScope(ss.scope, `${sp}.scope`);
        spans = asArray(ss.spans, `${sp}.spans`);
      } catch (err) {
        if (!(err instanceof ItemError)) throw err;
        out.reject(sp, err);
        return;
      }
      const scopeSchemaUrl = asStringOr(field(ss, 'schemaUrl', 'schema_url'));
      spans.forEach((sv, k) => {
        const p = `${sp}.spans[${k}]`;
        try {
          const s = asObject(sv, p);
          const status = asObject(s.status, `${p}.status`);
          out.items.push({
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
          });
        } catch (err) {
          if (!(err instanceof ItemError)) throw err;
          out.reject(p, err);
        }
      });
    });
  });
  return out;
}

function asStringOr(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function decodeLogsJson(body: Uint8Array | string): Decoded<LogRecordRecord> {
  const req = parseJsonBody(body, 'ExportLogsServiceRequest');
  const out = new Collector<LogRecordRecord>();
  topLevelArray(req, 'resourceLogs', 'resource_logs', 'ExportLogsServiceRequest').forEach((rlv, i) => {
    const rp = `resourceLogs[${i}]`;
    let rl: Json, resource: Attributes, scopeLogs: unknown[];
    try {
      rl = asObject(rlv, rp);
      resource = jsonAttrs(asObject(rl.resource, `${rp}.resource`).attributes, `${rp}.resource.attributes`);
      scopeLogs = asArray(field(rl, 'scopeLogs', 'scope_logs'), `${rp}.scopeLogs`);
    } catch (err) {
      if (!(err instanceof ItemError)) throw err;
      out.reject(rp, err);
      return;
    }
    const resourceSchemaUrl = asStringOr(field(rl, 'schemaUrl', 'schema_url'));
    scopeLogs.forEach((slv, j) => {
      const sp = `${rp}.scopeLogs[${j}]`;
      let sl: Json, scope: Scope, records: unknown[];
      try {
        sl = asObject(slv, sp);
        scope = jsonScope(sl.scope, `${sp}.scope`);
        records = asArray(field(sl, 'logRecords', 'log_records'), `${sp}.logRecords`);
      } catch (err) {
        if (!(err instanceof ItemError)) throw err;
        out.reject(sp, err);
        return;
      }
      const scopeSchemaUrl = asStringOr(field(sl, 'schemaUrl', 'schema_url'));
      records.forEach((rv, k) => {
        const p = `${sp}.logRecords[${k}]`;
        try {
          const r = asObject(rv, p);
          const body = r.body === undefined || r.body === null ? null : jsonValue(r.body, `${p}.body`, 0);
          out.items.push({
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
          });
        } catch (err) {
          if (!(err instanceof ItemError)) throw err;
          out.reject(p, err);
        }
      });
    });
  });
  return out;
}

// ---------------------------------------------------------------- responses

export interface PartialSuccess {
  rejected: number;
  errorMessage: string;
}

export function partialSuccessOf(d: Decoded<unknown>): PartialSuccess | undefined {
  if (d.rejected === 0) return undefined;
  const more = d.rejected > d.errors.length ? ` (and ${d.rejected - d.errors.length} more)` : '';
  return { rejected: d.rejected, errorMessage: d.errors.join('; ') + more };
}

export function encodeTraceResponse(p?: PartialSuccess): Uint8Array {
  const msg = p ? { partialSuccess: { rejectedSpans: p.rejected, errorMessage: p.errorMessage } } : {};
  return TraceResponse.encode(TraceResponse.fromObject(msg)).finish();
}

export function encodeLogsResponse(p?: PartialSuccess): Uint8Array {
  const msg = p ? { partialSuccess: { rejectedLogRecords: p.rejected, errorMessage: p.errorMessage } } : {};
  return LogsResponse.encode(LogsResponse.fromObject(msg)).finish();
}

/** OTLP/JSON response bodies: int64 as a decimal string, as the JSON mapping requires. */
export function traceResponseJson(p?: PartialSuccess): Json {
  return p ? { partialSuccess: { rejectedSpans: String(p.rejected), errorMessage: p.errorMessage } } : {};
}

export function logsResponseJson(p?: PartialSuccess): Json {
  return p ? { partialSuccess: { rejectedLogRecords: String(p.rejected), errorMessage: p.errorMessage } } : {};
}

const RpcStatus = root.lookupType('opentelemetry.proto.RpcStatus');

/** google.rpc.Status for error responses; code is a gRPC status code (3 INVALID_ARGUMENT, 14 UNAVAILABLE, ...). */
export function encodeRpcStatus(code: number, message: string): Uint8Array {
  return RpcStatus.encode(RpcStatus.fromObject({ code, message })).finish();
}

export function decodeRpcStatus(buf: Uint8Array): { code: number; message: string } {
  return RpcStatus.decode(buf) as unknown as { code: number; message: string };
}

/** Decodes a response, for tests and tools. */
export function decodeTraceResponse(buf: Uint8Array): { partialSuccess?: { rejectedSpans?: Long | number; errorMessage?: string } } {
  return TraceResponse.decode(buf) as unknown as { partialSuccess?: { rejectedSpans?: Long | number; errorMessage?: string } };
}
