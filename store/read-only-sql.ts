// Checks user-supplied SQL before it reaches the engine with the `readonly` setting. The engine is the
// real guard; this check exists because chDB accepts several `;`-separated statements in one call and
// because our own appended SETTINGS clause must not end up inside an unterminated comment or string.

export class ReadOnlySqlError extends Error {
  override name = 'ReadOnlySqlError';
}

const ALLOWED_FIRST_WORDS = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'EXISTS']);

/** Returns the statement without a trailing `;`, or throws naming what is not allowed. */
export function checkReadOnlySql(sql: string): string {
  const tokens = scan(sql);
  const words = tokens.filter((t) => t.kind === 'word');
  const first = words[0]?.text.toUpperCase();
  if (!first) throw new ReadOnlySqlError('the query is empty');
  if (!ALLOWED_FIRST_WORDS.has(first)) {
    throw new ReadOnlySqlError(`only read-only statements are allowed (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, EXISTS), got ${first}`);
  }
  let end = sql.length;
  const semis = tokens.filter((t) => t.kind === 'semicolon');
  for (const s of semis) {
    const rest = tokens.filter((t) => t.start > s.start && t.kind !== 'semicolon');
    if (rest.length > 0) throw new ReadOnlySqlError('only one statement per query is allowed');
    end = Math.min(end, s.start);
  }
  const format = words.find((w, i) => w.text.toUpperCase() === 'FORMAT' && i > 0);
  if (format) throw new ReadOnlySqlError('a FORMAT clause is not allowed here; choose the output with --format / the "format" field');
  return sql.slice(0, end).trimEnd();
}

interface Token {
  kind: 'word' | 'semicolon' | 'other';
  text: string;
  start: number;
}

function scan(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i] as string;
    if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === '#' && (sql[i + 1] === '!' || sql[i + 1] === ' ')) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) throw new ReadOnlySqlError('unterminated /* comment');
      i = close + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      for (;;) {
        if (j >= n) throw new ReadOnlySqlError(`unterminated ${c === "'" ? 'string literal' : 'quoted identifier'}`);
        const d = sql[j];
        if (d === '\\') j += 2;
        else if (d === c && sql[j + 1] === c) j += 2;
        else if (d === c) break;
        else j++;
      }
      out.push({ kind: 'other', text: sql.slice(i, j + 1), start: i });
      i = j + 1;
    } else if (c === ';') {
      out.push({ kind: 'semicolon', text: c, start: i });
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(sql[j] as string)) j++;
      out.push({ kind: 'word', text: sql.slice(i, j), start: i });
      i = j;
    } else if (/\s/.test(c)) {
      i++;
    } else {
      out.push({ kind: 'other', text: c, start: i });
      i++;
    }
  }
  return out;
}
