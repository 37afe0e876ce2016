// Decodes OTLP export requests (protobuf or OTLP/JSON) into flat SpanRecord / LogRecordRecord lists and
// encodes the Export*ServiceResponse. Items that break the data model (bad ids, impossible timestamps,
// over-deep values) are rejected one by one and reported through partial_success, as the OTLP spec asks;
// a payload that cannot be parsed at all raises OtlpDecodeError (HTTP 400 / gRPC INVALID_ARGUMENT).
import { isUtf8 } from 'node:buffer';
import { fileURLToPath } from 'node:url';
import Long from 'long';
import protobuf from 'protobufjs';
import type { AttrValue, Attributes, LogRecordRecord, Scope, SpanRecord } from '../../schemas/telemetry.js';
import { TracelightError } from '../../schemas/errors.js';

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
}

/** Attribute values nested deeper than this are rejected: no SDK produces them, and they cost stack and storage. */
export const MAX_VALUE_DEPTH = 32;
/** DateTime64(9) ends at 2262-04-11; later timestamps cannot be stored. */
const MAX_UNIX_NANO = 9_223_372_036_854_775_807n;
const MAX_REPORTED_ERRORS = 5;

const protoPath = fileURLToPath(new URL('../../schemas/otlp/otlp.proto', import.meta.url));
protobuf.util.Long = Long;
protobuf.configure();
const root = protobuf.loadSync(protoPath);
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
//
// A decoder written for the OTLP messages instead of protobufjs' generic one: it reads the wire format
// straight into SpanRecord / LogRecordRecord (no intermediate message objects, no Long per timestamp),
// which was most of the receiver's own CPU per span. It keeps protobufjs' semantics: missing fields take
// their defaults; a field of unknown number, or of a known number with an unexpected wire type, is skipped
// by its wire type; a repeated field appends; a singular scalar seen twice keeps the last value and a
// singular message seen twice is merged; strings must be valid UTF-8. A payload that breaks the wire format
// raises OtlpDecodeError; an item that breaks the data model is rejected alone, with the same checks in the
// same order as before, so partial_success names the same first error. One difference: an attribute value
// nested past MAX_VALUE_DEPTH is not read any further (its item is rejected), where protobufjs first parsed
// it to its own limit of 100 nested messages and failed the whole request beyond that.

class WireError extends Error {}

const WT_VARINT = 0;
const WT_I64 = 1;
const WT_LEN = 2;
const WT_SGROUP = 3;
const WT_EGROUP = 4;
const WT_I32 = 5;
/** protobufjs' Reader.recursionLimit, for nested groups. */
const MAX_GROUP_DEPTH = 100;
const TWO_32 = 4294967296;
/** Strings shorter than this are decoded in JS (cheaper than a call into the runtime), as protobufjs does. */
const SHORT_STRING = 32;

/** Wire-format reader over one buffer; `end` is the end of the message being read. */
class PbReader {
  pos: number;
  end: number;
  /** The last varint64(): low and high 32 bits, unsigned. */
  lo = 0;
  hi = 0;
  readonly view: DataView;

  constructor(readonly buf: Buffer, start: number, end: number) {
    this.pos = start;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private outOfRange(what: string): WireError {
    return new WireError(`index out of range: ${what} at offset ${this.pos} runs past the end of its message (${this.end})`);
  }

  /** A varint's low 32 bits, unsigned (protobufjs' uint32(); int32 is this `| 0`). */
  uint32(): number {
    const b = this.buf;
    let p = this.pos;
    let c = b[p++] as number;
    let v = c & 0x7f;
    if (c >= 0x80) {
      c = b[p++] as number;
      v |= (c & 0x7f) << 7;
      if (c >= 0x80) {
        c = b[p++] as number;
        v |= (c & 0x7f) << 14;
        if (c >= 0x80) {
          c = b[p++] as number;
          v |= (c & 0x7f) << 21;
          if (c >= 0x80) {
            c = b[p++] as number;
            v |= c << 28;
            if (c >= 0x80) {
              // Bits past 32 (a negative int32 is sign-extended to 10 bytes): up to 5 more bytes.
              let i = 0;
              while ((b[p++] as number) >= 0x80) if (++i === 5) throw new WireError(`invalid varint encoding at offset ${this.pos}`);
            }
          }
        }
      }
    }
    if (p > this.end) throw this.outOfRange('varint');
    this.pos = p;
    return v >>> 0;
  }

  /** A varint of at most 5 bytes whose 5th byte is at most `maxFifth` (protobufjs' tag() and size()). */
  private short(maxFifth: number, what: string): number {
    const b = this.buf;
    let p = this.pos;
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = b[p++] as number;
      if (c === undefined || p > this.end) throw this.outOfRange(what);
      v |= (c & 0x7f) << (i * 7);
      if (c < 0x80) {
        this.pos = p;
        return v;
      }
    }
    const c = b[p++] as number;
    if (c === undefined || p > this.end) throw this.outOfRange(what);
    if (c > maxFifth) throw new WireError(`invalid ${what} encoding at offset ${this.pos}`);
    this.pos = p;
    return (v | (c << 28)) >>> 0;
  }

  /** A field tag (field number << 3 | wire type); field number 0 is illegal. */
  tag(): number {
    const t = this.short(0x0f, 'tag');
    if (t < 8) throw new WireError(`illegal tag: field number 0 at offset ${this.pos}`);
    return t;
  }

  /** A 64-bit varint into lo / hi. */
  varint64(): void {
    const b = this.buf;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    let c = 0;
    let i = 0;
    for (; i < 4; i++) {
      c = b[p++] as number;
      lo |= (c & 0x7f) << (i * 7);
      if (c < 0x80) break;
    }
    if (i === 4) {
      c = b[p++] as number;
      lo |= (c & 0x7f) << 28;
      hi = (c & 0x7f) >> 4;
      if (c >= 0x80) {
        for (i = 0; i < 5; i++) {
          c = b[p++] as number;
          hi |= (c & 0x7f) << (i * 7 + 3);
          if (c < 0x80) break;
        }
        if (i === 5) throw new WireError(`invalid varint encoding at offset ${this.pos}`);
      }
    }
    if (p > this.end) throw this.outOfRange('varint');
    this.pos = p;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** int64: a number when it is a safe integer, else a bigint (as the protobufjs path produced). */
  int64(): number | bigint {
    this.varint64();
    const lo = this.lo;
    const hi = this.hi;
    if (hi < 0x200000) return hi * TWO_32 + lo;
    if (hi >= 0xffe00000) {
      const v = (hi - TWO_32) * TWO_32 + lo;
      if (v >= Number.MIN_SAFE_INTEGER) return v;
    }
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
  }

  /** As protobufjs reads a bool: the varint's low 32 bits, non-zero. */
  bool(): boolean {
    return this.uint32() !== 0;
  }

  fixed32(): number {
    if (this.pos + 4 > this.end) throw this.outOfRange('fixed32');
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  fixed64(): bigint {
    if (this.pos + 8 > this.end) throw this.outOfRange('fixed64');
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw this.outOfRange('double');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A length prefix: leaves pos at the payload and returns the payload's end. */
  len(): number {
    const n = this.short(7, 'length');
    const e = this.pos + n;
    if (e > this.end) throw new WireError(`index out of range: ${this.pos} + ${n} > ${this.end}`);
    return e;
  }

  string(): string {
    const e = this.len();
    const s = this.pos;
    this.pos = e;
    return utf8(this.buf, s, e);
  }

  /** Skips a field's value by its wire type (protobufjs' skipType, groups included). */
  skip(tag: number, depth = 0): void {
    switch (tag & 7) {
      case WT_VARINT:
        this.varint64();
        return;
      case WT_I64:
        if (this.pos + 8 > this.end) throw this.outOfRange('fixed64');
        this.pos += 8;
        return;
      case WT_LEN:
        this.pos = this.len();
        return;
      case WT_SGROUP:
        if (depth >= MAX_GROUP_DEPTH) throw new WireError('max depth exceeded');
        for (;;) {
          const t = this.tag();
          if ((t & 7) === WT_EGROUP) {
            if (t >>> 3 !== tag >>> 3) throw new WireError('invalid end group tag');
            return;
          }
          this.skip(t, depth + 1);
        }
      case WT_I32:
        if (this.pos + 4 > this.end) throw this.outOfRange('fixed32');
        this.pos += 4;
        return;
      default:
        throw new WireError(`invalid wire type ${tag & 7} at offset ${this.pos}`);
    }
  }
}

/**
 * Recently decoded short ASCII strings, by a hash of their bytes (direct-mapped, so bounded): attribute keys,
 * model and provider names and the like repeat from span to span, and handing out the same string again
 * saves building it and V8 re-hashing it as a property key.
 */
const INTERN_SLOTS = 4096;

/** Buffer's own slice-to-string methods (what toString calls), skipping its argument handling; toString where absent. */
interface StringSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}
const proto = Buffer.prototype as unknown as Partial<StringSlices>;
const latin1Slice: (b: Buffer, s: number, e: number) => string =
  typeof proto.latin1Slice === 'function' ? (b, s, e) => (b as unknown as StringSlices).latin1Slice(s, e) : (b, s, e) => b.toString('latin1', s, e);
const utf8Slice: (b: Buffer, s: number, e: number) => string =
  typeof proto.utf8Slice === 'function' ? (b, s, e) => (b as unknown as StringSlices).utf8Slice(s, e) : (b, s, e) => b.toString('utf8', s, e);
const interned: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS);

/** UTF-8 bytes as a string; invalid UTF-8 is a wire error, as in protobufjs' verifying reader. */
function utf8(b: Buffer, s: number, e: number): string {
  const n = e - s;
  if (n === 0) return '';
  if (n >= SHORT_STRING) return checkedUtf8(b, s, e);
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) {
    const c = b[i] as number;
    if (c >= 0x80) return checkedUtf8(b, s, e);
    h = Math.imul(h ^ c, 0x01000193);
  }
  const slot = (h ^ n) & (INTERN_SLOTS - 1);
  const hit = interned[slot];
  if (hit !== undefined && hit.length === n) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (hit.charCodeAt(i) !== b[s + i]) {
        same = false;
        break;
      }
    }
    if (same) return hit;
  }
  const str = latin1Slice(b, s, e);
  interned[slot] = str;
  return str;
}

function checkedUtf8(b: Buffer, s: number, e: number): string {
  const str = utf8Slice(b, s, e);
  // Decoding turns invalid sequences into U+FFFD, so only a string holding one needs its bytes checked.
  if (str.includes('\ufffd') && !isUtf8(b.subarray(s, e))) throw new WireError('The encoded data was not valid for encoding utf-8');
  return str;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A bytes field's payload, [start, end) in the request buffer; null when absent. */
type Range = [number, number] | null;

function pbRange(r: PbReader): Range {
  const e = r.len();
  const range: Range = [r.pos, e];
  r.pos = e;
  return range;
}

function pbId(buf: Buffer, r: Range, bytes: number, field: string, required: boolean): string {
  const n = r === null ? 0 : r[1] - r[0];
  if (r === null || n === 0) {
    if (required) throw new ItemError(`${field} is missing`);
    return '';
  }
  if (n !== bytes) throw new ItemError(`${field} must be ${bytes} bytes, got ${n}`);
  let hex = '';
  let zero = true;
  for (let i = r[0]; i < r[1]; i++) {
    const c = buf[i] as number;
    if (c !== 0) zero = false;
    hex += HEX[c] as string;
  }
  if (required && zero) throw new ItemError(`${field} is all zeros (invalid)`);
  return hex;
}

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
      case (1 << 3) | WT_LEN: kind = K_STRING; scalar = r.string(); break;
      case (2 << 3) | WT_VARINT: kind = K_BOOL; scalar = r.bool(); break;
      case (3 << 3) | WT_VARINT: kind = K_INT; scalar = r.int64(); break;
      case (4 << 3) | WT_I64: kind = K_DOUBLE; scalar = r.double(); break;
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
      default: r.skip(tag);
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
interface PbAttrList {
  attrs: Attributes;
  err: ItemError | null;
}

function newAttrList(): PbAttrList {
  return { attrs: {}, err: null };
}

/**
 * One KeyValue element of a repeated attributes field (wire type already checked), into `list`. A value
 * nested too deeply fails the list (the first such error is kept); reading goes on, so that a wire error
 * later in the message still fails the request.
 */
function pbAttr(r: PbReader, list: PbAttrList): void {
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

function checkedAttrs(a: PbAttrList): Attributes {
  if (a.err) throw a.err;
  return a.attrs;
}

/** Merges one InstrumentationScope message into `s`. */
function pbScopeMessage(r: PbReader, end: number, s: { name: string; version: string; attrs: PbAttrList }): void {
  const outer = r.end;
  r.end = end;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | WT_LEN: s.name = r.string(); break;
      case (2 << 3) | WT_LEN: s.version = r.string(); break;
      case (3 << 3) | WT_LEN: pbAttr(r, s.attrs); break;
      default: r.skip(tag);
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
interface Container {
  heads: [number, number][];
  children: [number, number][];
  schemaUrl: string;
}

function pbContainer(r: PbReader, end: number): Container {
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
      case (3 << 3) | WT_LEN: c.schemaUrl = r.string(); break;
      default: r.skip(tag);
    }
  }
  r.end = outer;
  return c;
}

/** The export request's repeated field 1. */
function pbTopLevel(r: PbReader): [number, number][] {
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
  const s = { name: '', version: '', attrs: newAttrList() };
  for (const [start, e] of heads) {
    r.pos = start;
    pbScopeMessage(r, e, s);
  }
  return { name: s.name, version: s.version, attributes: checkedAttrs(s.attrs) };
}

function checkTime(ns: bigint, field: string): bigint {
  if (ns > MAX_UNIX_NANO) throw new ItemError(`${field} ${ns} is past year 2262 and cannot be stored`);
  return ns;
}

interface RawEvent { time: bigint; name: string; attrs: PbAttrList }
interface RawLink { traceId: Range; spanId: Range; traceState: string; attrs: PbAttrList }

function pbEvent(r: PbReader, end: number): RawEvent {
  const outer = r.end;
  r.end = end;
  const ev: RawEvent = { time: 0n, name: '', attrs: newAttrList() };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | WT_I64: ev.time = r.fixed64(); break;
      case (2 << 3) | WT_LEN: ev.name = r.string(); break;
      case (3 << 3) | WT_LEN: pbAttr(r, ev.attrs); break;
      default: r.skip(tag);
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
      case (1 << 3) | WT_LEN: l.traceId = pbRange(r); break;
      case (2 << 3) | WT_LEN: l.spanId = pbRange(r); break;
      case (3 << 3) | WT_LEN: l.traceState = r.string(); break;
      case (4 << 3) | WT_LEN: pbAttr(r, l.attrs); break;
      default: r.skip(tag);
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
      case (1 << 3) | WT_LEN: traceId = pbRange(r); break;
      case (2 << 3) | WT_LEN: spanId = pbRange(r); break;
      case (3 << 3) | WT_LEN: traceState = r.string(); break;
      case (4 << 3) | WT_LEN: parentSpanId = pbRange(r); break;
      case (5 << 3) | WT_LEN: name = r.string(); break;
      case (6 << 3) | WT_VARINT: kind = r.uint32() | 0; break;
      case (7 << 3) | WT_I64: start = r.fixed64(); break;
      case (8 << 3) | WT_I64: endTime = r.fixed64(); break;
      case (9 << 3) | WT_LEN: pbAttr(r, attrs); break;
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
      case (16 << 3) | WT_I32: flags = r.fixed32(); break;
      default: r.skip(tag);
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
    links: links.map((l) => ({ traceId: pbId(buf, l.traceId, 16, 'link traceId', true), spanId: pbId(buf, l.spanId, 8, 'link spanId', true), traceState: l.traceState, attributes: checkedAttrs(l.attrs) })),
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
      case (1 << 3) | WT_I64: time = r.fixed64(); break;
      case (2 << 3) | WT_VARINT: severityNumber = r.uint32() | 0; break;
      case (3 << 3) | WT_LEN: severityText = r.string(); break;
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
      case (6 << 3) | WT_LEN: pbAttr(r, attrs); break;
      case (8 << 3) | WT_I32: flags = r.fixed32(); break;
      case (9 << 3) | WT_LEN: traceId = pbRange(r); break;
      case (10 << 3) | WT_LEN: spanId = pbRange(r); break;
      case (11 << 3) | WT_I64: observed = r.fixed64(); break;
      case (12 << 3) | WT_LEN: eventName = r.string(); break;
      default: r.skip(tag);
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

/** Decodes an export request's resource / scope / item nesting, calling `item` for each item. */
function pbDecodeNested<T>(
  input: Uint8Array,
  what: string,
  names: { resource: string; scope: string; item: string },
  item: (r: PbReader, end: number, resource: Attributes, resourceSchemaUrl: string, scope: Scope, scopeSchemaUrl: string) => T,
): Decoded<T> {
  const out = new Collector<T>();
  try {
    const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const r = new PbReader(buf, 0, buf.length);
    const tops = pbTopLevel(r);
    for (let i = 0; i < tops.length; i++) {
      const [rs, re] = tops[i] as [number, number];
      r.pos = rs;
      const rc = pbContainer(r, re);
      const scopes = rc.children.map(([ss, se]) => {
        r.pos = ss;
        return pbContainer(r, se);
      });
      // Items whose resource or scope is refused are still read, so that a wire error in them fails the request.
      const readRefused = (sc: Container, path: string, err: ItemError): void => {
        for (const [is, ie] of sc.children) {
          r.pos = is;
          try {
            item(r, ie, {}, '', { name: '', version: '', attributes: {} }, '');
          } catch (x) {
            if (!(x instanceof ItemError)) throw x;
          }
          out.reject(path, err);
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
          const [is, ie] = sc.children[k] as [number, number];
          r.pos = is;
          try {
            out.items.push(item(r, ie, resource, rc.schemaUrl, scope, sc.schemaUrl));
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
      throw new OtlpDecodeError(`malformed protobuf ${what}: ${reason}`);
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
  return pbDecodeNested(buf, 'ExportTraceServiceRequest', { resource: 'resourceSpans', scope: 'scopeSpans', item: 'spans' }, pbSpan);
}

export function decodeLogsProto(buf: Uint8Array): Decoded<LogRecordRecord> {
  return pbDecodeNested(buf, 'ExportLogsServiceRequest', { resource: 'resourceLogs', scope: 'scopeLogs', item: 'logRecords' }, pbLog);
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
