// Small, allocation-light readers for decoded OTLP attribute values. Every function here tolerates any input
// (wrong type, malformed JSON, missing key) and answers with an empty value instead of throwing.

import { createHash } from 'node:crypto';
import type { AttrValue, Attributes } from '../schemas/telemetry.js';
import { toJsonValue } from '../schemas/telemetry.js';

export type Attrs = Readonly<Attributes>;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** A string form of scalar values ('' for anything else), so ids sent as ints still read as ids. */
export function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return '';
}

/** An integer from an int, a double, a bigint or a numeric string; null when absent or not numeric. */
export function int(value: unknown): number | null {
  const n = num(value);
  return n === null ? null : Math.trunc(n);
}

/** A finite number from a number, bigint or numeric string; null otherwise. */
export function num(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    const t = value.trim();
    if (t === '') return null;
    const n = Number(t);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

export function bool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.trim().toLowerCase() === 'true';
  if (typeof value === 'number') return value !== 0;
  return false;
}

/** JSON.parse that answers undefined instead of throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function looksLikeJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    return c === 0x5b /* [ */ || c === 0x7b; /* { */
  }
  return false;
}

/**
 * A structured (JSON-safe) view of an attribute that may arrive either as a JSON string (most SDKs: span
 * attributes are primitives) or as an OTLP AnyValue array/kvlist (SDKs that send structured values, and log
 * records). Plain strings that are not JSON come back as the string; malformed JSON comes back as undefined.
 */
export function structured(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    if (!looksLikeJson(value)) return value;
    return parseJson(value);
  }
  return toJsonValue(value as AttrValue);
}

/** Like structured(), but a string that is not JSON also answers undefined. */
export function structuredOnly(value: unknown): unknown {
  if (typeof value === 'string' && !looksLikeJson(value)) return undefined;
  return structured(value);
}

/** An array of strings from a string[] attribute, a JSON array string, or a single string. */
export function strList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map(str).filter((s) => s !== '');
  if (typeof value === 'string') {
    if (looksLikeJson(value)) {
      const parsed = parseJson(value);
      if (Array.isArray(parsed)) return parsed.map(str).filter((s) => s !== '');
      return [];
    }
    return value === '' ? [] : [value];
  }
  return [];
}

/** Numbers from an int/double array attribute or a JSON array string ("[1, 2, 3]"); null when absent/invalid. */
export function numList(value: unknown): number[] | null {
  let arr: unknown = value;
  if (typeof value === 'string') {
    if (!looksLikeJson(value)) return null;
    arr = parseJson(value);
  }
  if (!Array.isArray(arr)) return null;
  const out: number[] = new Array<number>(arr.length);
  for (let i = 0; i < arr.length; i++) {
    const n = num(arr[i]);
    if (n === null) return null;
    out[i] = n;
  }
  return out;
}

/**
 * Groups flattened indexed attributes (`prefix.{i}.rest`) into one record per index, keyed by `rest`, in
 * index order. Keys whose segment after the prefix is not an integer are ignored.
 */
export function groupIndexed(attrs: Readonly<Record<string, unknown>>, prefix: string): Array<Record<string, unknown>> {
  const byIndex = new Map<number, Record<string, unknown>>();
  for (const key in attrs) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    const dot = rest.indexOf('.');
    const head = dot < 0 ? rest : rest.slice(0, dot);
    if (head === '' || !/^\d+$/.test(head)) continue;
    const idx = Number(head);
    let rec = byIndex.get(idx);
    if (!rec) {
      rec = {};
      byIndex.set(idx, rec);
    }
    rec[dot < 0 ? '' : rest.slice(dot + 1)] = attrs[key];
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
}

/** Whether any key of attrs starts with prefix (stops at the first hit). */
export function hasPrefix(attrs: Readonly<Record<string, unknown>>, prefix: string): boolean {
  for (const key in attrs) if (key.startsWith(prefix)) return true;
  return false;
}

/** A short stable id from its parts (sha256, 32 hex chars). */
export function stableId(...parts: Array<string | number | bigint>): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(String(p));
    h.update('\u0000');
  }
  return h.digest('hex').slice(0, 32);
}
