// The OTLP/JSON mapping of the common messages (AnyValue, KeyValue, InstrumentationScope) and of scalar
// fields: what both JSON decoders and the JSON nesting walk (walk.ts) read fields with, in a module of its
// own so that walk.ts and json.ts can share it without importing each other. Every reader names the path of
// what it refuses, which is what partial_success reports.
import type { AttrValue, Attributes, Scope } from '../../schemas/telemetry.js';
import { ItemError, MAX_UNIX_NANO, MAX_VALUE_DEPTH } from './decoded.js';

export type Json = Record<string, unknown>;

/** Proto3 JSON mapping: parsers accept both lowerCamelCase and the original snake_case field names. */
export function field(o: Json, camel: string, snake: string): unknown {
  const v = o[camel];
  return v === undefined ? o[snake] : v;
}

export function asObject(v: unknown, path: string): Json {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ItemError(`${path} must be an object`);
  return v as Json;
}

export function asArray(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ItemError(`${path} must be an array`);
  return v;
}

export function asString(v: unknown, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new ItemError(`${path} must be a string`);
  return v;
}

export function asUint(v: unknown, path: string, max: bigint): bigint {
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

/** A double: a JSON number, or the strings proto3 JSON uses for the non-finite ones (and numeric strings). */
export function asDouble(v: unknown, path: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  throw new ItemError(`${path} must be a number, got ${JSON.stringify(v)}`);
}

/** An int64, exact (number or decimal string). */
export function asInt64(v: unknown, path: string): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d{1,19}$/.test(v)) {
    const b = BigInt(v);
    if (b <= 9223372036854775807n && b >= -9223372036854775808n) return b;
  }
  throw new ItemError(`${path} must be an int64 (number or decimal string), got ${JSON.stringify(v)}`);
}

export function asBool(v: unknown, path: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new ItemError(`${path} must be a boolean`);
  return v;
}

/** Whether a JSON field is present (proto3 JSON writes an unset field as absent or null). */
export function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

export function asEnum(v: unknown, path: string, names: readonly string[]): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < names.length) return v;
  // Enums are integers in OTLP/JSON, but some emitters send the proto enum names; accept those too.
  if (typeof v === 'string') {
    const i = names.indexOf(v);
    if (i >= 0) return i;
  }
  throw new ItemError(`${path} ${JSON.stringify(v)} is not one of ${names.length} known values`);
}

export function jsonId(v: unknown, hexChars: number, path: string, required: boolean): string {
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

export function jsonValue(v: unknown, path: string, depth: number): AttrValue {
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

export function jsonAttrs(v: unknown, path: string, depth = 0): Attributes {
  const out: Attributes = {};
  asArray(v, path).forEach((kv, i) => {
    const o = asObject(kv, `${path}[${i}]`);
    const key = asString(o.key, `${path}[${i}].key`);
    out[key] = o.value === undefined || o.value === null ? null : jsonValue(o.value, `${path}[${i}].value`, depth + 1);
  });
  return out;
}

export function jsonScope(v: unknown, path: string): Scope {
  const o = asObject(v, path);
  const scope: Scope = {
    name: asString(o.name, `${path}.name`),
    version: asString(o.version, `${path}.version`),
    attributes: jsonAttrs(o.attributes, `${path}.attributes`),
  };
  const dropped = Number(asUint(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), `${path}.droppedAttributesCount`, 0xffffffffn));
  if (dropped !== 0) scope.droppedAttributesCount = dropped;
  return scope;
}

export function asStringOr(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
