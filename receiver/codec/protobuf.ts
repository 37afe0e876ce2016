// The protobuf decoders of export requests, written for the OTLP messages instead of protobufjs' generic
// one: they read the wire format (wire.ts) straight into SpanRecord / LogRecordRecord (no intermediate
// message objects, no Long per timestamp), which was most of the receiver's own CPU per span. They keep
// protobufjs' semantics: missing fields take their defaults; a field of unknown number, or of a known number
// with an unexpected wire type, is skipped by its wire type; a repeated field appends; a singular scalar seen
// twice keeps the last value and a singular message seen twice is merged; strings must be valid UTF-8. A
// payload that breaks the wire format raises OtlpDecodeError; an item that breaks the data model is rejected
// alone, with the same checks in the same order as before, so partial_success names the same first error.
// One difference: an attribute value nested past MAX_VALUE_DEPTH is not read any further (its item is
// rejected), where protobufjs first parsed it to its own limit of 100 nested messages and failed the whole
// request beyond that.
import type { AttrValue, Attributes, LogRecordRecord, Scope, SpanRecord } from '../../schemas/telemetry.js';
import { checkKind, checkSeverity, checkStatus, checkTime, Collector, ItemError, MAX_VALUE_DEPTH, OtlpDecodeError, type Decoded } from './decoded.js';
import { LOGS, TRACES, type ItemReader, type Nesting } from './walk.js';
import { PbReader, pbId, pbRange, WireError, WT_I32, WT_I64, WT_LEN, WT_VARINT, type Range } from './wire.js';

const K_NONE = 0;
const K_STRING = 1;
const K_BOOL = 2;
const K_INT = 3;
const K_DOUBLE = 4;
const K_ARRAY = 5;
const K_KVLIST = 6;
const K_BYTES = 7;

/**
 * AnyValue up to `end`. `depth` counts value levels as the data model does (a top-level attribute value is
 * 1). The oneof takes its last member; an array or kvlist seen twice is merged, as protobufjs merges them.
 */
function pbValue(r: PbReader, end: number, depth: number): AttrValue {
  if (depth > MAX_VALUE_DEPTH) throw new ItemError(`attribute value nested deeper than ${MAX_VALUE_DEPTH} levels`);
  const outer = r.end;
  r.end = end;
  let kind = K_NONE;
  let scalar: AttrValue = null;
  let items: AttrValue[] | null = null;
  let kv: Attributes | null = null;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | WT_LEN:
        kind = K_STRING;
        scalar = r.string();
        break;
      case (2 << 3) | WT_VARINT:
        kind = K_BOOL;
        scalar = r.bool();
        break;
      case (3 << 3) | WT_VARINT:
        kind = K_INT;
        scalar = r.int64();
        break;
      case (4 << 3) | WT_I64:
        kind = K_DOUBLE;
        scalar = r.double();
        break;
      case (5 << 3) | WT_LEN: {
        kind = K_ARRAY;
        items ??= [];
        const ae = r.len();
        r.end = ae;
        while (r.pos < ae) {
          const t = r.tag();
          if (t === ((1 << 3) | WT_LEN)) {
            const ve = r.len();
            items.push(pbValue(r, ve, depth + 1));
            r.pos = ve;
          } else r.skip(t);
        }
        r.end = end;
        break;
      }
      case (6 << 3) | WT_LEN: {
        kind = K_KVLIST;
        kv ??= {};
        const ke = r.len();
        r.end = ke;
        while (r.pos < ke) {
          const t = r.tag();
          if (t === ((1 << 3) | WT_LEN)) pbKeyValue(r, r.len(), kv, depth + 1);
          else r.skip(t);
        }
        r.end = end;
        break;
      }
      case (7 << 3) | WT_LEN: {
        kind = K_BYTES;
        const be = r.len();
        scalar = r.buf.subarray(r.pos, be);
        r.pos = be;
        break;
      }
      default:
        r.skip(tag);
    }
  }
  r.end = outer;
  return kind === K_ARRAY ? (items as AttrValue[]) : kind === K_KVLIST ? (kv as Attributes) : scalar;
}

/** One KeyValue up to `end`, into `out`; its value is at depth + 1. */
function pbKeyValue(r: PbReader, end: number, out: Attributes, depth: number): void {
  const outer = r.end;
  r.end = end;
  let key = '';
  let value: AttrValue = null;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WT_LEN)) key = r.string();
    else if (tag === ((2 << 3) | WT_LEN)) {
      const ve = r.len();
      value = pbValue(r, ve, depth + 1);
      r.pos = ve;
    } else r.skip(tag);
  }
  r.end = outer;
  out[key] = value;
}

/** A repeated attributes field: the map so far, or the error that fails it (raised where the data model checks it). */
export interface PbAttrList {
  attrs: Attributes;
  err: ItemError | null;
}

export function newAttrList(): PbAttrList {
  return { attrs: {}, err: null };
}

/**
 * One KeyValue element of a repeated attributes field (wire type already checked), into `list`. A value
 * nested too deeply fails the list (the first such error is kept); reading goes on, so that a wire error
 * later in the message still fails the request.
 */
export function pbAttr(r: PbReader, list: PbAttrList): void {
  const e = r.len();
  const outer = r.end;
  try {
    pbKeyValue(r, e, list.attrs, 0);
  } catch (x) {
    if (!(x instanceof ItemError)) throw x;
    list.err ??= x;
    r.end = outer;
  }
  r.pos = e;
}

export function checkedAttrs(a: PbAttrList): Attributes {
  if (a.err) throw a.err;
  return a.attrs;
}

/** Merges one InstrumentationScope message into `s`. */
function pbScopeMessage(r: PbReader, end: number, s: { name: string; version: string; attrs: PbAttrList; dropped: number }): void {
  const outer = r.end;
  r.end = end;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | WT_LEN:
        s.name = r.string();
        break;
      case (2 << 3) | WT_LEN:
        s.version = r.string();
        break;
      case (3 << 3) | WT_LEN:
        pbAttr(r, s.attrs);
        break;
      case (4 << 3) | WT_VARINT:
        s.dropped = r.uint32();
        break;
      default:
        r.skip(tag);
    }
  }
  r.end = outer;
}

/** Merges one Resource message's attributes into `list`. */
function pbResourceMessage(r: PbReader, end: number, list: PbAttrList): void {
  const outer = r.end;
  r.end = end;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WT_LEN)) pbAttr(r, list);
    else r.skip(tag);
  }
  r.end = outer;
}

/** ResourceSpans / ScopeSpans / ResourceLogs / ScopeLogs: field 1 (resource or scope, merged), field 2 (children), field 3 (schema URL). */
export interface Container {
  heads: [number, number][];
  children: [number, number][];
  schemaUrl: string;
}

export function pbContainer(r: PbReader, end: number): Container {
  const outer = r.end;
  r.end = end;
  const c: Container = { heads: [], children: [], schemaUrl: '' };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | WT_LEN: {
        const e = r.len();
        c.heads.push([r.pos, e]);
        r.pos = e;
        break;
      }
      case (2 << 3) | WT_LEN: {
        const e = r.len();
        c.children.push([r.pos, e]);
        r.pos = e;
        break;
      }
      case (3 << 3) | WT_LEN:
        c.schemaUrl = r.string();
        break;
      default:
        r.skip(tag);
    }
  }
  r.end = outer;
  return c;
}

/** The export request's repeated field 1. */
export function pbTopLevel(r: PbReader): [number, number][] {
  const out: [number, number][] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WT_LEN)) {
      const e = r.len();
      out.push([r.pos, e]);
      r.pos = e;
    } else r.skip(tag);
  }
  return out;
}

function pbResourceOf(r: PbReader, heads: [number, number][]): Attributes {
  const list = newAttrList();
  for (const [s, e] of heads) {
    r.pos = s;
    pbResourceMessage(r, e, list);
  }
  return checkedAttrs(list);
}

function pbScopeOf(r: PbReader, heads: [number, number][]): Scope {
  const s = { name: '', version: '', attrs: newAttrList(), dropped: 0 };
  for (const [start, e] of heads) {
    r.pos = start;
    pbScopeMessage(r, e, s);
  }
  const scope: Scope = { name: s.name, version: s.version, attributes: checkedAttrs(s.attrs) };
  if (s.dropped !== 0) scope.droppedAttributesCount = s.dropped;
  return scope;
}

interface RawEvent {
  time: bigint;
  name: string;
  attrs: PbAttrList;
}
interface RawLink {
  traceId: Range;
  spanId: Range;
  traceState: string;
  attrs: PbAttrList;
}

function pbEvent(r: PbReader, end: number): RawEvent {
  const outer = r.end;
  r.end = end;
  const ev: RawEvent = { time: 0n, name: '', attrs: newAttrList() };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | WT_I64:
        ev.time = r.fixed64();
        break;
      case (2 << 3) | WT_LEN:
        ev.name = r.string();
        break;
      case (3 << 3) | WT_LEN:
        pbAttr(r, ev.attrs);
        break;
      default:
        r.skip(tag);
    }
  }
  r.end = outer;
  return ev;
}

function pbLink(r: PbReader, end: number): RawLink {
  const outer = r.end;
  r.end = end;
  const l: RawLink = { traceId: null, spanId: null, traceState: '', attrs: newAttrList() };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | WT_LEN:
        l.traceId = pbRange(r);
        break;
      case (2 << 3) | WT_LEN:
        l.spanId = pbRange(r);
        break;
      case (3 << 3) | WT_LEN:
        l.traceState = r.string();
        break;
      case (4 << 3) | WT_LEN:
        pbAttr(r, l.attrs);
        break;
      default:
        r.skip(tag);
    }
  }
  r.end = outer;
  return l;
}

/** One Span up to `end`: wire errors throw WireError; data-model errors ItemError, checked in the order the old decoder checked them. */
function pbSpan(r: PbReader, end: number, resource: Attributes, resourceSchemaUrl: string, scope: Scope, scopeSchemaUrl: string): SpanRecord {
  const outer = r.end;
  r.end = end;
  let traceId: Range = null;
  let spanId: Range = null;
  let parentSpanId: Range = null;
  let traceState = '';
  let flags = 0;
  let name = '';
  let kind = 0;
  let start = 0n;
  let endTime = 0n;
  const attrs = newAttrList();
  const events: RawEvent[] = [];
  const links: RawLink[] = [];
  let statusCode = 0;
  let statusMessage = '';
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | WT_LEN:
        traceId = pbRange(r);
        break;
      case (2 << 3) | WT_LEN:
        spanId = pbRange(r);
        break;
      case (3 << 3) | WT_LEN:
        traceState = r.string();
        break;
      case (4 << 3) | WT_LEN:
        parentSpanId = pbRange(r);
        break;
      case (5 << 3) | WT_LEN:
        name = r.string();
        break;
      case (6 << 3) | WT_VARINT:
        kind = r.uint32() | 0;
        break;
      case (7 << 3) | WT_I64:
        start = r.fixed64();
        break;
      case (8 << 3) | WT_I64:
        endTime = r.fixed64();
        break;
      case (9 << 3) | WT_LEN:
        pbAttr(r, attrs);
        break;
      case (11 << 3) | WT_LEN: {
        const e = r.len();
        events.push(pbEvent(r, e));
        r.pos = e;
        break;
      }
      case (13 << 3) | WT_LEN: {
        const e = r.len();
        links.push(pbLink(r, e));
        r.pos = e;
        break;
      }
      case (15 << 3) | WT_LEN: {
        // Status seen twice is merged: each of its fields keeps its last value.
        const e = r.len();
        r.end = e;
        while (r.pos < e) {
          const t = r.tag();
          if (t === ((2 << 3) | WT_LEN)) statusMessage = r.string();
          else if (t === ((3 << 3) | WT_VARINT)) statusCode = r.uint32() | 0;
          else r.skip(t);
        }
        r.end = end;
        break;
      }
      case (16 << 3) | WT_I32:
        flags = r.fixed32();
        break;
      default:
        r.skip(tag);
    }
  }
  r.end = outer;
  const buf = r.buf;
  return {
    traceId: pbId(buf, traceId, 16, 'traceId', true),
    spanId: pbId(buf, spanId, 8, 'spanId', true),
    parentSpanId: pbId(buf, parentSpanId, 8, 'parentSpanId', false),
    traceState,
    flags,
    name,
    kind: checkKind(kind),
    startTimeUnixNano: checkTime(start, 'startTimeUnixNano'),
    endTimeUnixNano: checkTime(endTime, 'endTimeUnixNano'),
    attributes: checkedAttrs(attrs),
    events: events.map((e) => ({ timeUnixNano: checkTime(e.time, 'event timeUnixNano'), name: e.name, attributes: checkedAttrs(e.attrs) })),
    links: links.map((l) => ({
      traceId: pbId(buf, l.traceId, 16, 'link traceId', true),
      spanId: pbId(buf, l.spanId, 8, 'link spanId', true),
      traceState: l.traceState,
      attributes: checkedAttrs(l.attrs),
    })),
    statusCode: checkStatus(statusCode),
    statusMessage,
    resource,
    resourceSchemaUrl,
    scope,
    scopeSchemaUrl,
  };
}

/** One LogRecord up to `end`. */
function pbLog(r: PbReader, end: number, resource: Attributes, resourceSchemaUrl: string, scope: Scope, scopeSchemaUrl: string): LogRecordRecord {
  const outer = r.end;
  r.end = end;
  let time = 0n;
  let observed = 0n;
  let severityNumber = 0;
  let severityText = '';
  let body: AttrValue = null;
  let bodyErr: ItemError | null = null;
  const attrs = newAttrList();
  let flags = 0;
  let traceId: Range = null;
  let spanId: Range = null;
  let eventName = '';
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | WT_I64:
        time = r.fixed64();
        break;
      case (2 << 3) | WT_VARINT:
        severityNumber = r.uint32() | 0;
        break;
      case (3 << 3) | WT_LEN:
        severityText = r.string();
        break;
      case (5 << 3) | WT_LEN: {
        const e = r.len();
        bodyErr = null;
        try {
          body = pbValue(r, e, 0);
        } catch (x) {
          if (!(x instanceof ItemError)) throw x;
          bodyErr = x;
          r.end = end;
        }
        r.pos = e;
        break;
      }
      case (6 << 3) | WT_LEN:
        pbAttr(r, attrs);
        break;
      case (8 << 3) | WT_I32:
        flags = r.fixed32();
        break;
      case (9 << 3) | WT_LEN:
        traceId = pbRange(r);
        break;
      case (10 << 3) | WT_LEN:
        spanId = pbRange(r);
        break;
      case (11 << 3) | WT_I64:
        observed = r.fixed64();
        break;
      case (12 << 3) | WT_LEN:
        eventName = r.string();
        break;
      default:
        r.skip(tag);
    }
  }
  r.end = outer;
  const buf = r.buf;
  const timeUnixNano = checkTime(time, 'timeUnixNano');
  const observedTimeUnixNano = checkTime(observed, 'observedTimeUnixNano');
  const tid = pbId(buf, traceId, 16, 'traceId', false);
  const sid = pbId(buf, spanId, 8, 'spanId', false);
  const severity = checkSeverity(severityNumber);
  if (bodyErr) throw bodyErr;
  return {
    timeUnixNano,
    observedTimeUnixNano,
    traceId: tid,
    spanId: sid,
    flags,
    severityNumber: severity,
    severityText,
    body,
    attributes: checkedAttrs(attrs),
    eventName,
    resource,
    resourceSchemaUrl,
    scope,
    scopeSchemaUrl,
  };
}

/**
 * Decodes an export request's resource / scope / item nesting, calling `item` for each item: the protobuf
 * form of the walk in walk.ts (same names, same item-reader shape). Unlike JSON, the framing always says how
 * many items a refused resource or scope holds, so each of them is read (a wire error in it still fails the
 * request) and counted as rejected under the resource's or scope's path.
 */
export function pbDecodeNested<T>(input: Uint8Array, names: Nesting, item: ItemReader<PbReader, number, T>): Decoded<T> {
  const out = new Collector<T>();
  try {
    const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const r = new PbReader(buf, 0, buf.length);
    const tops = pbTopLevel(r);
    const where = { resource: names.resource, scope: names.scope, item: names.item, i: 0, j: 0, k: 0 };
    out.where = where;
    for (let i = 0; i < tops.length; i++) {
      where.i = i;
      const [rs, re] = tops[i] as [number, number];
      r.pos = rs;
      const rc = pbContainer(r, re);
      const scopes = rc.children.map(([ss, se]) => {
        r.pos = ss;
        return pbContainer(r, se);
      });
      // Items whose resource or scope is refused are still read, so that a wire error in them fails the request,
      // and so that each is counted as the number of items it holds (a metric's data points).
      const readRefused = (sc: Container, path: string, err: ItemError): void => {
        for (const [is, ie] of sc.children) {
          r.pos = is;
          const scratch = new Collector<T>();
          let n = 1;
          try {
            if (item(r, ie, {}, '', { name: '', version: '', attributes: {} }, '', scratch) === undefined) n = scratch.items.length + scratch.rejected;
          } catch (x) {
            if (!(x instanceof ItemError)) throw x;
            n = x.items;
          }
          if (n > 0) out.reject(path, new ItemError(err.message, n));
        }
      };
      let resource: Attributes;
      try {
        resource = pbResourceOf(r, rc.heads);
      } catch (err) {
        if (!(err instanceof ItemError)) throw err;
        for (const sc of scopes) readRefused(sc, `${names.resource}[${i}].resource`, err);
        continue;
      }
      for (let j = 0; j < scopes.length; j++) {
        where.j = j;
        const sc = scopes[j] as Container;
        let scope: Scope;
        try {
          scope = pbScopeOf(r, sc.heads);
        } catch (err) {
          if (!(err instanceof ItemError)) throw err;
          readRefused(sc, `${names.resource}[${i}].${names.scope}[${j}].scope`, err);
          continue;
        }
        for (let k = 0; k < sc.children.length; k++) {
          where.k = k;
          const [is, ie] = sc.children[k] as [number, number];
          r.pos = is;
          try {
            const read = item(r, ie, resource, rc.schemaUrl, scope, sc.schemaUrl, out);
            if (read !== undefined) out.items.push(read);
          } catch (err) {
            if (!(err instanceof ItemError)) throw err;
            out.reject(`${names.resource}[${i}].${names.scope}[${j}].${names.item}[${k}]`, err);
          }
        }
      }
    }
  } catch (err) {
    if (err instanceof WireError || err instanceof RangeError) {
      const reason = err instanceof RangeError && /call stack/i.test(err.message) ? 'values nested too deeply' : err.message;
      throw new OtlpDecodeError(`malformed protobuf ${names.request}: ${reason}`);
    }
    throw err;
  }
  return out;
}

/**
 * The number of items (spans or log records) an export request carries, read from its framing only
 * (nothing is decoded), or -1 when the framing is broken. Lets the receiver refuse a request under
 * back-pressure, and count what it refused, for almost nothing.
 */
export function countProtoItems(input: Uint8Array): number {
  try {
    const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const r = new PbReader(buf, 0, buf.length);
    let n = 0;
    for (const [rs, re] of pbTopLevel(r)) {
      r.pos = rs;
      for (const [ss, se] of pbContainer(r, re).children) {
        r.pos = ss;
        n += pbContainer(r, se).children.length;
      }
    }
    return n;
  } catch (err) {
    if (err instanceof WireError || err instanceof RangeError) return -1;
    throw err;
  }
}

export function decodeTracesProto(buf: Uint8Array): Decoded<SpanRecord> {
  return pbDecodeNested(buf, TRACES, pbSpan);
}

export function decodeLogsProto(buf: Uint8Array): Decoded<LogRecordRecord> {
  return pbDecodeNested(buf, LOGS, pbLog);
}
