// The protobuf wire format, read by hand: the OTLP decoders in protobuf.ts walk messages field by field with
// this reader instead of protobufjs' generic decoder, so the reader is kept free of any OTLP message layout.
// Every helper here is on the per-attribute hot path (bench/ingest.ts), which is why strings are interned and
// ids are hexed straight from the request buffer instead of through intermediate copies.
import { isUtf8 } from 'node:buffer';
import { ItemError } from './decoded.js';

/** Breaks the wire format: fails the whole request (OtlpDecodeError), unlike an ItemError. */
export class WireError extends Error {}

export const WT_VARINT = 0;
export const WT_I64 = 1;
export const WT_LEN = 2;
export const WT_SGROUP = 3;
export const WT_EGROUP = 4;
export const WT_I32 = 5;
/** protobufjs' Reader.recursionLimit, for nested groups. */
const MAX_GROUP_DEPTH = 100;
const TWO_32 = 4294967296;
/** Strings shorter than this are decoded in JS (cheaper than a call into the runtime), as protobufjs does. */
const SHORT_STRING = 32;

/** Wire-format reader over one buffer; `end` is the end of the message being read. */
export class PbReader {
  pos: number;
  end: number;
  /** The last varint64(): low and high 32 bits, unsigned. */
  lo = 0;
  hi = 0;
  readonly view: DataView;

  constructor(
    readonly buf: Buffer,
    start: number,
    end: number,
  ) {
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

  /** sint32: a zigzag-encoded varint. */
  sint32(): number {
    const n = this.uint32();
    return (n >>> 1) ^ -(n & 1);
  }

  /** uint64, exact. */
  uint64(): bigint {
    this.varint64();
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
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
export type Range = [number, number] | null;

export function pbRange(r: PbReader): Range {
  const e = r.len();
  const range: Range = [r.pos, e];
  r.pos = e;
  return range;
}

export function pbId(buf: Buffer, r: Range, bytes: number, field: string, required: boolean): string {
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
