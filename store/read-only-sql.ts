// User-supplied SQL, sandboxed by the engine itself. ClickHouse parses the text (`formatQuery` refuses a
// second statement, `EXPLAIN AST` gives the tree), and the checks below read that tree, never the raw text:
// a hand-written lexer that disagrees with the engine about quotes or comments is how several statements
// got past an earlier check. The engine's `readonly = 1` then backs every rule at run time.
import { randomUUID } from 'node:crypto';
import { Session } from 'chdb';
import { StoreError, type Driver, type QueryParams } from './driver.js';
import { errorClass } from '../schemas/errors.js';

/** Which rule a refused query broke, so a caller speaking another protocol can name it in that protocol's terms. */
export type SandboxRule = 'syntax' | 'statement' | 'clause' | 'function' | 'table' | 'setting';

const SandboxError = errorClass('ReadOnlySqlError', 'invalid');

export class ReadOnlySqlError extends SandboxError {
  constructor(
    message: string,
    readonly rule: SandboxRule = 'statement',
    opts: { cause?: unknown } = {},
  ) {
    super(message, opts);
  }
}

export interface SqlLimits {
  /** Seconds a query may run before the engine stops it. */
  maxExecutionSeconds: number;
  /** Memory one query may use, in bytes. */
  maxMemoryBytes: number;
  /** Rows a result may hold; a larger result is refused, not truncated. */
  maxResultRows: number;
  /** Bytes a result may hold (uncompressed, as the engine counts them). */
  maxResultBytes: number;
}

export const DEFAULT_SQL_LIMITS: SqlLimits = Object.freeze({
  maxExecutionSeconds: 30,
  maxMemoryBytes: 2 * 1024 ** 3,
  maxResultRows: 100_000,
  maxResultBytes: 64 * 1024 ** 2,
});

/** Statement kinds a user may run, with the number of children the engine gives each when it has no
 * INTO OUTFILE or FORMAT clause (those appear as extra children of the root). */
const ROOT_CHILDREN: Readonly<Record<string, number>> = {
  SelectWithUnionQuery: 1,
  DescribeQuery: 1,
  ExistsTableQuery: 1,
};

/** Table functions that read nothing outside the engine. Everything else (file, url, s3, remote, mysql,
 * executable, merge, …) is refused here, and readonly = 1 refuses most of them again at run time. */
const TABLE_FUNCTIONS = new Set(['numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'generate_series', 'generateseries', 'values', 'null', 'view']);

/** Ordinary functions that reach outside the engine: read files or server configuration. */
const DENIED_FUNCTIONS = new Set(['file', 'getserversetting', 'getmacro', 'filesystemavailable', 'filesystemcapacity', 'filesystemunreserved']);

/** System tables that describe the schema and the engine's state without exposing other users' queries,
 * credentials or server internals (system.processes, query_log, users, named_collections are not here). */
const SYSTEM_TABLES = new Set([
  'tables',
  'columns',
  'databases',
  'parts',
  'parts_columns',
  'detached_parts',
  'functions',
  'table_functions',
  'data_type_families',
  'formats',
  'one',
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'settings',
  'merges',
  'mutations',
  'metrics',
  'events',
  'asynchronous_metrics',
  'time_zones',
  'build_options',
]);

const INFORMATION_SCHEMA = new Set(['information_schema', 'INFORMATION_SCHEMA']);

/** The limits a caller may lower for its own query (never raise, never turn off with 0). */
const LIMIT_SETTINGS: Readonly<Record<string, (l: SqlLimits) => number>> = {
  max_execution_time: (l) => l.maxExecutionSeconds,
  max_memory_usage: (l) => l.maxMemoryBytes,
  max_result_rows: (l) => l.maxResultRows,
  max_result_bytes: (l) => l.maxResultBytes,
};

/** Further limits of the engine's own; 0 (their default) means none, so any value only narrows the query. */
const NARROWING_SETTINGS = new Set([
  'limit',
  'offset',
  'max_rows_to_read',
  'max_bytes_to_read',
  'max_rows_to_group_by',
  'max_rows_to_sort',
  'max_bytes_to_sort',
  'max_rows_in_join',
  'max_bytes_in_join',
  'max_result_rows_per_block',
]);

const OVERFLOW_MODES = new Set(['result_overflow_mode', 'timeout_overflow_mode', 'read_overflow_mode']);

/** Settings that shape the output or how the query is planned, and reach nothing outside the engine. */
const SHAPING_SETTINGS = new Set([
  'session_timezone',
  'date_time_output_format',
  'date_time_input_format',
  'cast_string_to_dynamic_use_inference',
  'join_use_nulls',
  'enable_analyzer',
  'allow_experimental_analyzer',
  'extremes',
  'low_cardinality_allow_in_native_format',
  'aggregate_functions_null_for_empty',
  'cast_keep_nullable',
  'prefer_column_name_to_alias',
  'format_csv_delimiter',
  'format_csv_null_representation',
  'format_tsv_null_representation',
  'output_format_json_quote_64bit_integers',
]);

/** `output_format_*` settings shape the output, except the one that writes a schema file. */
const DENIED_OUTPUT_SETTINGS = new Set(['output_format_schema']);

/** Shaping values are names, numbers and time zones: nothing that could end the quoted literal they go in. */
const SHAPING_VALUE = /^[A-Za-z0-9_.:+\-/ ]{0,64}$/;

/**
 * The SETTINGS entries (name → SQL literal) for the settings a caller asked for, or a refusal naming the first
 * setting that would lift a limit, turn off readonly, or is not one the sandbox knows to be harmless.
 */
function requestedSettings(requested: Iterable<[string, string]>, limits: SqlLimits): Map<string, string> {
  const out = new Map<string, string>();
  for (const [rawName, value] of requested) {
    const name = rawName.trim();
    const refuse = (why: string): never => {
      throw new ReadOnlySqlError(`the setting ${name}=${value.length > 40 ? `${value.slice(0, 40)}…` : value} is not allowed: ${why}`, 'setting');
    };
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ReadOnlySqlError(`${JSON.stringify(name.slice(0, 40))} is not a setting name`, 'setting');
    const limit = LIMIT_SETTINGS[name];
    if (name === 'readonly') {
      if (value.trim() !== '1') refuse('queries here always run with readonly = 1');
    } else if (limit) {
      const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
      const max = Math.max(1, Math.floor(limit(limits)));
      if (!(n > 0)) refuse(`0 or a non-number would lift the server's limit of ${max}`);
      if (n > max) refuse(`it would lift the server's limit of ${max}`);
      out.set(name, String(n));
    } else if (NARROWING_SETTINGS.has(name)) {
      if (!/^\d{1,18}$/.test(value.trim())) refuse('the value must be a whole number');
      out.set(name, value.trim());
    } else if (OVERFLOW_MODES.has(name)) {
      if (value !== 'throw' && value !== 'break') refuse("the value must be 'throw' or 'break'");
      out.set(name, `'${value}'`);
    } else if (SHAPING_SETTINGS.has(name) || (name.startsWith('output_format_') && !DENIED_OUTPUT_SETTINGS.has(name))) {
      if (!SHAPING_VALUE.test(value)) refuse('the value may hold only letters, digits, spaces and _ . : + - /');
      out.set(name, /^\d+$/.test(value) ? value : `'${value}'`);
    } else {
      refuse("only output-format settings and limits at or below the server's may be set");
    }
  }
  return out;
}

/** How a caller other than the REST API may shape the sandboxed statement. */
export interface SandboxOptions {
  /**
   * Take a trailing FORMAT clause out of the statement and return its format (ClickHouse clients append one);
   * otherwise a FORMAT clause is refused.
   */
  allowFormat?: boolean;
  /** Settings the caller asked for (a ClickHouse HTTP request's URL parameters), checked by `requestedSettings`. */
  settings?: Iterable<[string, string]>;
}

export interface PreparedSql {
  /** The engine's own rendering of the statement, with the sandbox's SETTINGS appended. */
  text: string;
  /** The format a FORMAT clause asked for, taken out of `text` (only with `allowFormat`). */
  format?: string;
  /** A tag in the query's `log_comment`, so the query can be found in system.processes and cancelled. */
  tag: string;
  /** The statement's kind as the engine names it (SelectWithUnionQuery, ShowTables, …). */
  kind: string;
}

interface AstNode {
  depth: number;
  kind: string;
  /** The rest of the line: a name, an alias, `(children N)`. */
  rest: string;
  children: number;
}

/**
 * Parses `sql` with the engine, checks it against the sandbox's rules and returns the text to run. Throws
 * ReadOnlySqlError naming the first rule broken.
 */
export async function prepareReadOnlySql(
  driver: Driver,
  sql: string,
  params: QueryParams = {},
  limits: SqlLimits = DEFAULT_SQL_LIMITS,
  options: SandboxOptions = {},
): Promise<PreparedSql> {
  if (sql.trim() === '') throw new ReadOnlySqlError('the query is empty', 'syntax');
  const requested = requestedSettings(options.settings ?? [], limits);
  let formatted = await engineFormat(driver, sql);
  if (formatted.trim() === '') throw new ReadOnlySqlError('the query is empty', 'syntax');
  // The engine renders a FORMAT clause as the statement's last line (a SETTINGS clause would follow it, and is
  // refused below); its literals and identifiers never hold a raw newline, so the line cannot be data.
  const formatClause = /\nFORMAT ([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(formatted);
  let format: string | undefined;
  if (formatClause) {
    if (!options.allowFormat) throw new ReadOnlySqlError(CLAUSE_MESSAGE, 'clause');
    format = formatClause[1];
    // Re-parsed without it, so the checks below see the statement exactly as it will run.
    formatted = await engineFormat(driver, formatted.slice(0, formatClause.index));
  }
  const ast = await engineAst(driver, formatted, params);
  const currentDb = await currentDatabase(driver);
  checkAst(ast, currentDb, options.allowFormat === true);
  const tag = `tracelight-sql-${randomUUID()}`;
  const settings = new Map<string, string>([
    ['readonly', '1'],
    ['max_execution_time', String(Math.max(1, Math.floor(limits.maxExecutionSeconds)))],
    ['max_memory_usage', String(Math.max(1, Math.floor(limits.maxMemoryBytes)))],
    ['max_result_rows', String(Math.max(1, Math.floor(limits.maxResultRows)))],
    ['max_result_bytes', String(Math.max(1, Math.floor(limits.maxResultBytes)))],
    ['result_overflow_mode', "'throw'"],
  ]);
  // A requested limit is already at or below the server's; every other requested setting is a harmless one.
  for (const [name, literal] of requested) settings.set(name, literal);
  settings.set('log_comment', `'${tag}'`);
  return {
    text: `${formatted}\nSETTINGS ${[...settings].map(([name, literal]) => `${name} = ${literal}`).join(', ')}`,
    ...(format !== undefined ? { format } : {}),
    tag,
    kind: ast[0]?.kind ?? '',
  };
}

const SETTINGS_MESSAGE = 'a SETTINGS clause is not allowed in a query; the server sets the limits';
const CLAUSE_MESSAGE = 'INTO OUTFILE and FORMAT clauses are not allowed; choose the output with --format / the "format" field';

async function engineFormat(driver: Driver, sql: string): Promise<string> {
  try {
    const rows = await driver.query<{ f: string }>('SELECT formatQuery({q:String}) AS f', { q: sql });
    return rows[0]?.f ?? '';
  } catch (err) {
    throw new ReadOnlySqlError(syntaxMessage((err as Error).message), 'syntax');
  }
}

async function engineAst(driver: Driver, formatted: string, params: QueryParams): Promise<AstNode[]> {
  let text: string;
  try {
    // `formatted` is the engine's rendering of exactly one statement, so prefixing it is safe. Only names
    // and the tree's shape are read from the output, which no text escaping changes.
    text = await driver.queryText(`EXPLAIN AST ${formatted}`, params);
  } catch (err) {
    throw new ReadOnlySqlError(`the query cannot be analysed: ${(err as Error).message}`, 'syntax');
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((explain) => {
      const depth = explain.length - explain.trimStart().length;
      const line = explain.trimStart();
      const space = line.indexOf(' ');
      const kind = space < 0 ? line : line.slice(0, space);
      const rest = space < 0 ? '' : line.slice(space + 1);
      const n = /\(children (\d+)\)\s*$/.exec(rest);
      return { depth, kind, rest, children: n ? Number(n[1]) : 0 };
    });
}

/** A driver's database never changes while it is open, so it is asked once. */
const databases = new WeakMap<Driver, Promise<string>>();

function currentDatabase(driver: Driver): Promise<string> {
  let db = databases.get(driver);
  if (!db) {
    db = driver.query<{ db: string }>('SELECT currentDatabase() AS db').then((rows) => rows[0]?.db ?? 'default');
    db.catch(() => databases.delete(driver));
    databases.set(driver, db);
  }
  return db;
}

function checkAst(ast: readonly AstNode[], currentDb: string, formatTaken: boolean): void {
  // With the FORMAT clause already taken out, a clause child left over can only be INTO OUTFILE.
  const clauseMessage = formatTaken ? 'INTO OUTFILE is not allowed: the result goes back in the response' : CLAUSE_MESSAGE;
  const root = ast[0];
  if (!root) throw new ReadOnlySqlError('the query is empty', 'syntax');
  // First, so a SETTINGS clause (a child of the root, like INTO OUTFILE) is refused for what it is.
  if (ast.some((n) => n.kind === 'Set')) throw new ReadOnlySqlError(SETTINGS_MESSAGE, 'setting');
  const kind = root.kind === 'Explain' ? 'Explain' : root.kind;
  if (kind === 'Explain') {
    // EXPLAIN (plan, pipeline, syntax) of a SELECT: its one child must itself be a plain SELECT.
    const child = ast[1];
    if (root.children !== 1 || child?.kind !== 'SelectWithUnionQuery')
      throw new ReadOnlySqlError('EXPLAIN is allowed for one SELECT only, without INTO OUTFILE or FORMAT', 'statement');
  } else if (kind === 'ShowTables') {
    // SHOW TABLES [FROM db] [LIKE …]: at most the database name as a child; INTO OUTFILE adds a Literal.
    if (root.children > 1 || (root.children === 1 && ast[1]?.kind !== 'Identifier')) throw new ReadOnlySqlError(clauseMessage, 'clause');
  } else {
    const expected = ROOT_CHILDREN[kind];
    if (expected === undefined)
      throw new ReadOnlySqlError(
        `only read-only statements are allowed (SELECT, WITH, SHOW TABLES, DESCRIBE, EXISTS, EXPLAIN), got ${describeKind(kind)}`,
        'statement',
      );
    if (root.children !== expected) throw new ReadOnlySqlError(clauseMessage, 'clause');
  }
  for (let i = 0; i < ast.length; i++) {
    const node = ast[i] as AstNode;
    if (node.kind === 'Function') {
      const name = (node.rest.split(' ')[0] ?? '').toLowerCase();
      const parent = parentOf(ast, i);
      if (parent?.kind === 'TableExpression') {
        if (!TABLE_FUNCTIONS.has(name))
          throw new ReadOnlySqlError(`the table function ${name}() is not allowed (allowed: ${[...TABLE_FUNCTIONS].join(', ')})`, 'function');
      } else if (DENIED_FUNCTIONS.has(name)) {
        throw new ReadOnlySqlError(`the function ${name}() is not allowed: it reads outside the store`, 'function');
      }
    }
    if (node.kind === 'TableIdentifier' || node.kind === 'Identifier') checkTableName(node, currentDb);
  }
}

function parentOf(ast: readonly AstNode[], i: number): AstNode | undefined {
  const depth = (ast[i] as AstNode).depth;
  for (let j = i - 1; j >= 0; j--) if ((ast[j] as AstNode).depth < depth) return ast[j];
  return undefined;
}

function checkTableName(node: AstNode, currentDb: string): void {
  const name = node.rest.split(' ')[0] ?? '';
  const dot = name.indexOf('.');
  if (dot < 0) return;
  const db = name.slice(0, dot);
  const table = name.slice(dot + 1);
  if (db.toLowerCase() === 'system') {
    if (!SYSTEM_TABLES.has(table.toLowerCase())) throw new ReadOnlySqlError(`the table system.${table} is not readable through the query API`, 'table');
    return;
  }
  // A plain Identifier with a dot is usually alias.column; only TableIdentifier names a database for sure.
  if (node.kind !== 'TableIdentifier') return;
  if (db !== currentDb && !INFORMATION_SCHEMA.has(db))
    throw new ReadOnlySqlError(`the database ${db} is not readable through the query API (only ${currentDb})`, 'table');
}

function describeKind(kind: string): string {
  const m = /^(\w+?)(Query|WithUnionQuery)?$/.exec(kind);
  return (m?.[1] ?? kind).replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}

/** The engine's syntax error, first line, without its stack of positions and version. */
function syntaxMessage(message: string): string {
  if (/Multi-statements are not allowed/i.test(message)) return 'only one statement per query is allowed';
  const m = /Syntax error[^:]*: (failed at position \d+[^.]*)/.exec(message);
  if (m) return `syntax error: ${m[1]}`;
  return message.replace(/ In scope SELECT formatQuery\(.*$/s, '');
}

/**
 * Formats whose streamed chunks concatenate into one valid result. The others are whole documents (a header or
 * a footer around the rows: JSON, *WithNames, Parquet, Pretty, …), which chDB repeats per chunk, so they run in
 * one piece: such a query waits behind inserts (chDB serializes single-shot queries), bounded by its time limit.
 */
const STREAMABLE_FORMATS = new Set([
  'Native',
  'RowBinary',
  'TabSeparated',
  'TSV',
  'TabSeparatedRaw',
  'TSVRaw',
  'CSV',
  'JSONEachRow',
  'JSONLines',
  'NDJSON',
  'JSONCompactEachRow',
  'JSONStringsEachRow',
  'JSONCompactStringsEachRow',
  'LineAsString',
  'RawBLOB',
  'MsgPack',
  'Null',
]);

export interface FormattedResult {
  /** The result in the format asked for, as the engine wrote it. */
  data: Buffer;
  /** Rows in the result where the engine counts them (streamed queries), else rows read. */
  rows: number;
}

/**
 * Runs a prepared statement on the embedded store and returns its result in `format`, rendered by the engine.
 * The result is refused past `maxBytes`; an aborted signal stops the query in the engine.
 */
export async function runReadOnlyFormatted(
  driver: Driver,
  prepared: PreparedSql,
  params: QueryParams,
  format: string,
  opts: { maxBytes: number; signal?: AbortSignal },
): Promise<FormattedResult> {
  if (driver.kind !== 'embedded') throw new StoreError(`formatted results are served from the embedded store only, not from ${driver.location}`);
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(format)) throw new ReadOnlySqlError(`unknown format ${JSON.stringify(format)}`, 'syntax');
  const kill = (): void => {
    driver.exec("KILL QUERY WHERE Settings['log_comment'] = {tag:String} ASYNC", { tag: prepared.tag }).catch(() => undefined);
  };
  if (opts.signal?.aborted) throw new StoreError('the query was cancelled');
  opts.signal?.addEventListener('abort', kill, { once: true });
  // A connection of its own, as the driver does for users' queries, so a long one does not hold up ingest.
  const session = new Session(driver.location);
  try {
    // What a ClickHouse server does by default, so JSON clients get 64-bit integers without losing precision.
    await session.queryBindAsync('SET output_format_json_quote_64bit_integers = 1', {}, {});
    if (prepared.kind === 'SelectWithUnionQuery' && STREAMABLE_FORMATS.has(format)) {
      const parts: Buffer[] = [];
      let size = 0;
      let rows = 0;
      for await (const chunk of session.queryStreamBind(prepared.text, params, { format, ...(opts.signal ? { signal: opts.signal } : {}) })) {
        const raw = chunk.raw();
        size += raw.byteLength;
        if (size > opts.maxBytes) throw tooLarge(opts.maxBytes);
        parts.push(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
        rows += chunk.numRows;
      }
      return { data: Buffer.concat(parts), rows };
    }
    const result = await session.queryBindAsync(prepared.text, params, { format, ...(opts.signal ? { signal: opts.signal } : {}) });
    const bytes = result.bytes();
    if (bytes.byteLength > opts.maxBytes) throw tooLarge(opts.maxBytes);
    return { data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), rows: result.rowsRead };
  } catch (err) {
    if (err instanceof StoreError || err instanceof ReadOnlySqlError) throw err;
    const e = err as { message?: string; clickhouseCode?: number };
    const message = engineMessage(e?.message ?? String(err), prepared.text.slice(prepared.text.lastIndexOf('\nSETTINGS ') + 1));
    // Without a code the failure reads as the store being unreachable, so the engine's code is read from the text.
    throw new StoreError(message, e?.clickhouseCode ?? (Number(/^Code: (\d+)\./.exec(message)?.[1]) || undefined), { cause: err });
  } finally {
    opts.signal?.removeEventListener('abort', kill);
    session.close();
  }
}

/**
 * The engine's message in one line, as the user would have written it: without the sandbox's SETTINGS (the
 * engine quotes the statement it ran), a code repeated by nested rethrows, or the version.
 */
function engineMessage(raw: string, sandboxSettings: string): string {
  let line = raw.split('\n')[0] ?? raw;
  const innermost = line.lastIndexOf('Code: ');
  if (innermost > 0 && /^Code: \d+\. /.test(line)) line = line.slice(innermost);
  line = line.replace(/\s*\(version [^)]*\)[\s\S]*$/, '');
  return line.split(` ${sandboxSettings}`).join('');
}

function tooLarge(maxBytes: number): StoreError {
  return new StoreError(
    `Code: 396. DB::Exception: The result is larger than ${maxBytes} bytes; narrow the query or add a LIMIT. (TOO_MANY_ROWS_OR_BYTES)`,
    396,
  );
}
