// TabSeparated encoding for the tables written per span (otel_traces, otel_logs, llm_calls). ClickHouse parses
// TabSeparated with less work than JSONEachRow (no field names, no JSON string unescaping), and encoding it
// is cheaper too: nested JSON text (message content, attribute arrays and maps) is written as is instead of
// being escaped a second time.
//
// The rules, as ClickHouse reads them:
// - A String field escapes `\`, tab, newline (and carriage return, which some versions refuse at a line end)
//   with a backslash. Any other byte, NUL included, is data. `\N` would mean NULL, so a literal backslash
//   is always doubled.
// - Array and Map fields are literals, `['a','b']` and `{'k':'v'}`, read directly (not TSV-unescaped
//   first): their strings are single-quoted with `\` and `'` escaped. Tab, newline and carriage return are
//   escaped there too, so that a raw newline only ever ends a row.
// - DateTime64(9) is written as `ssssssssss.nnnnnnnnn`: Unix seconds zero-padded to 10 digits (up to 2262)
//   and 9 fraction digits. Without the padding, a short integer part such as `0.000000012` is read as a
//   day-of-month date; padded, the basic parser reads every value as a Unix time (see insertSettings).
// - Nullable columns take `\N`.
// JS strings become UTF-8 when the body is encoded (Buffer.from), which writes a lone UTF-16 surrogate as
// U+FFFD: ClickHouse stores exactly that, as it did from the JSONEachRow lines (see json-line.ts).
import { attrValueToString, type Attributes, type AttrValue } from '../schemas/telemetry.js';

const TSV_SPECIAL_G = /[\\\t\n\r]/g;
const QUOTED_SPECIAL_G = /[\\'\t\n\r]/g;

function escapeChar(c: string): string {
  switch (c) {
    case '\\':
      return '\\\\';
    case '\t':
      return '\\t';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    default:
      return "\\'";
  }
}

// The checks are String.includes, not a regular expression test: V8 searches for one character with a
// vectorised scan, about ten times faster over the kilobytes of message content most spans carry.

/** A String field. */
export function tsvString(s: string): string {
  return s.includes('\\') || s.includes('\t') || s.includes('\n') || s.includes('\r') ? s.replace(TSV_SPECIAL_G, escapeChar) : s;
}

/** A single-quoted string inside an Array or Map literal. */
export function quoted(s: string): string {
  return s.includes('\\') || s.includes("'") || s.includes('\t') || s.includes('\n') || s.includes('\r')
    ? `'${s.replace(QUOTED_SPECIAL_G, escapeChar)}'`
    : `'${s}'`;
}

const ZEROS = '0000000000000000000';

/** A DateTime64(9) field (or Array element, unquoted) from Unix nanoseconds, 0 ≤ ns < 2^63. */
export function tsvNanos(ns: bigint): string {
  let d = ns.toString();
  if (d.length < 19) d = ZEROS.slice(d.length) + d;
  return `${d.slice(0, d.length - 9)}.${d.slice(d.length - 9)}`;
}

/** Attributes as a Map(String, String) literal, values rendered as the Collector exporter renders them. */
export function attributesMap(attrs: Attributes): string {
  let out = '{';
  let first = true;
  for (const key in attrs) {
    const v = attrs[key] as AttrValue;
    out += `${first ? '' : ','}${quoted(key)}:${quoted(typeof v === 'string' ? v : attrValueToString(v))}`;
    first = false;
  }
  return `${out}}`;
}

/** A Map(String, String) literal from plain strings. */
export function stringMap(m: Readonly<Record<string, string>>): string {
  let out = '{';
  let first = true;
  for (const key in m) {
    out += `${first ? '' : ','}${quoted(key)}:${quoted(m[key] as string)}`;
    first = false;
  }
  return `${out}}`;
}

/** An Array(String) literal. */
export function stringArray(xs: readonly string[]): string {
  if (xs.length === 0) return '[]';
  let out = '[';
  for (let i = 0; i < xs.length; i++) out += `${i === 0 ? '' : ','}${quoted(xs[i] as string)}`;
  return `${out}]`;
}

/** An Array of numbers literal (integers or floats, as JSON writes them). */
export function numberArray(xs: readonly number[]): string {
  return xs.length === 0 ? '[]' : `[${xs.join(',')}]`;
}

/** A Nullable number field. */
export function nullableNumber(n: number | null): string {
  return n === null ? '\\N' : String(n);
}
