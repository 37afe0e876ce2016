// Rendering rows for people (aligned table) and for machines (JSON lines, JSON array).
import { errorClass } from '../schemas/errors.js';
export type OutputFormat = 'jsonl' | 'json' | 'table';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['jsonl', 'json', 'table'];

export function defaultFormat(): OutputFormat {
  return process.stdout.isTTY ? 'table' : 'jsonl';
}

export function parseFormat(v: string): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(v)) return v as OutputFormat;
  throw new CliError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}, got "${v}"`);
}

export const CliError = errorClass('CliError', 'invalid');

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

const MAX_CELL = 80;

export function renderRows(rows: Record<string, unknown>[], format: OutputFormat): string {
  if (format === 'jsonl') return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
  if (format === 'json') return JSON.stringify(rows, null, 2) + '\n';
  if (rows.length === 0) return '(0 rows)\n';
  const cols = Object.keys(rows[0] as Record<string, unknown>);
  const cells = rows.map((r) =>
    cols.map((c) => {
      const s = cell(r[c]).replace(/\s+/g, ' ');
      return s.length > MAX_CELL ? `${s.slice(0, MAX_CELL - 1)}…` : s;
    }),
  );
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] as string).length)));
  const line = (vals: string[]): string =>
    vals
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  const out = [line(cols), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)];
  return `${out.join('\n')}\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
}
