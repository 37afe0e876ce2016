// JSONEachRow encoding shared by every table the store writes.

/**
 * One JSONEachRow line. Two things a plain JSON.stringify gets wrong for ClickHouse:
 * - DateTime64(9) columns must be sent as bare integers: ClickHouse reads a bare integer as nanosecond
 *   ticks, but a quoted one as date text or seconds, so "0" fails the whole insert and "12" is stored as
 *   the 12th of January. `nanos` holds those columns; their bigint values are spliced in unquoted.
 * - Lone UTF-16 surrogates (OTLP/JSON may carry them as \udXXXX escapes) are written back as such
 *   escapes, which ClickHouse refuses, failing every row in the batch; they become U+FFFD.
 *   JSON.stringify escapes only lone surrogates (pairs are written as is), so every unescaped
 *   `\ud800`..`\udfff` in its output is one.
 */
let clock = 0;
/**
 * Microseconds, strictly increasing within the process: the version of a ReplacingMergeTree(version) row, so
 * the newest write of a key always wins.
 */
export function nextVersion(): number {
  clock = Math.max(clock + 1, Date.now() * 1000);
  return clock;
}

export function jsonLine(row: Record<string, unknown>, nanos: Record<string, bigint | readonly bigint[]>): string {
  const fields = Object.entries(nanos).map(([k, v]) => `${JSON.stringify(k)}:${typeof v === 'bigint' ? v.toString() : `[${v.join(',')}]`}`);
  let rest = JSON.stringify(row);
  if (rest.includes('\\ud')) rest = rest.replace(/(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/g, '$1\\ufffd');
  if (fields.length === 0) return rest;
  return `{${fields.join(',')}${rest === '{}' ? '}' : `,${rest.slice(1)}`}`;
}
