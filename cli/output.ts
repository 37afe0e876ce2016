// Rendering rows for people (aligned table) and for machines (JSON lines, JSON array). Every command that
// prints data takes the same `--format table|json|jsonl`: `table` is the human form (an aligned table, a
// transcript, progress lines; `text` is accepted for it), `json` one JSON document, `jsonl` one JSON object per
// line (events carry an `event` key).
import { Option } from 'commander';
import { errorClass } from '../schemas/errors.js';
export type OutputFormat = 'jsonl' | 'json' | 'table';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['jsonl', 'json', 'table'];

export function defaultFormat(): OutputFormat {
  return process.stdout.isTTY ? 'table' : 'jsonl';
}

export function parseFormat(v: string): OutputFormat {
  if (v === 'text') return 'table';
  if ((OUTPUT_FORMATS as readonly string[]).includes(v)) return v as OutputFormat;
  throw new CliError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}, got "${v}"`);
}

/**
 * The `--format` option of a command that prints data. `def`: the format when none is given (undefined: table on
 * a terminal, else jsonl, for commands that list rows).
 */
export function formatOption(def?: OutputFormat, what = ''): Option {
  const fallback = def ? `default: ${def}` : 'default: table on a terminal, else jsonl';
  // Parsed in the action (chosenFormat), so a bad value reads like every other tracelight error.
  const opt = new Option('--format <format>', `table | json | jsonl (${fallback})${what ? `; ${what}` : ''}`);
  return def ? opt.default(def) : opt;
}

/** The chosen format: the option's value, else the listing default. */
export function chosenFormat(v: string | undefined): OutputFormat {
  return v ? parseFormat(v) : defaultFormat();
}

/** One object (a resource version, a rollout, a run's summary) in the chosen format; `table` is the caller's text. */
export function renderObject(value: unknown, format: OutputFormat, table: () => string): string {
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  if (format === 'jsonl') return `${JSON.stringify(value)}\n`;
  return table();
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
