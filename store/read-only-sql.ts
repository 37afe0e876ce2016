// User-supplied SQL, sandboxed by the engine itself. ClickHouse parses the text (`formatQuery` refuses a
// second statement, `EXPLAIN AST` gives the tree), and the checks below read that tree, never the raw text:
// a hand-written lexer that disagrees with the engine about quotes or comments is how several statements
// got past an earlier check. The engine's `readonly = 1` then backs every rule at run time.
import { randomUUID } from 'node:crypto';
import type { Driver, QueryParams } from './driver.js';
import { errorClass } from '../schemas/errors.js';

export const ReadOnlySqlError = errorClass('ReadOnlySqlError', 'invalid');

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

export interface PreparedSql {
  /** The engine's own rendering of the statement, with the sandbox's SETTINGS appended. */
  text: string;
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
export async function prepareReadOnlySql(driver: Driver, sql: string, params: QueryParams = {}, limits: SqlLimits = DEFAULT_SQL_LIMITS): Promise<PreparedSql> {
  if (sql.trim() === '') throw new ReadOnlySqlError('the query is empty');
  const formatted = await engineFormat(driver, sql);
  if (formatted.trim() === '') throw new ReadOnlySqlError('the query is empty');
  const ast = await engineAst(driver, formatted, params);
  const currentDb = await currentDatabase(driver);
  checkAst(ast, currentDb);
  const tag = `tracelight-sql-${randomUUID()}`;
  const settings = [
    'readonly = 1',
    `max_execution_time = ${Math.max(1, Math.floor(limits.maxExecutionSeconds))}`,
    `max_memory_usage = ${Math.max(1, Math.floor(limits.maxMemoryBytes))}`,
    `max_result_rows = ${Math.max(1, Math.floor(limits.maxResultRows))}`,
    `max_result_bytes = ${Math.max(1, Math.floor(limits.maxResultBytes))}`,
    "result_overflow_mode = 'throw'",
    `log_comment = '${tag}'`,
  ];
  return { text: `${formatted}\nSETTINGS ${settings.join(', ')}`, tag, kind: ast[0]?.kind ?? '' };
}

async function engineFormat(driver: Driver, sql: string): Promise<string> {
  try {
    const rows = await driver.query<{ f: string }>('SELECT formatQuery({q:String}) AS f', { q: sql });
    return rows[0]?.f ?? '';
  } catch (err) {
    throw new ReadOnlySqlError(syntaxMessage((err as Error).message));
  }
}

async function engineAst(driver: Driver, formatted: string, params: QueryParams): Promise<AstNode[]> {
  let text: string;
  try {
    // `formatted` is the engine's rendering of exactly one statement, so prefixing it is safe. Only names
    // and the tree's shape are read from the output, which no text escaping changes.
    text = await driver.queryText(`EXPLAIN AST ${formatted}`, params);
  } catch (err) {
    throw new ReadOnlySqlError(`the query cannot be analysed: ${(err as Error).message}`);
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

function checkAst(ast: readonly AstNode[], currentDb: string): void {
  const root = ast[0];
  if (!root) throw new ReadOnlySqlError('the query is empty');
  const kind = root.kind === 'Explain' ? 'Explain' : root.kind;
  if (kind === 'Explain') {
    // EXPLAIN (plan, pipeline, syntax) of a SELECT: its one child must itself be a plain SELECT.
    const child = ast[1];
    if (root.children !== 1 || child?.kind !== 'SelectWithUnionQuery')
      throw new ReadOnlySqlError('EXPLAIN is allowed for one SELECT only, without INTO OUTFILE or FORMAT');
  } else if (kind === 'ShowTables') {
    // SHOW TABLES [FROM db] [LIKE …]: at most the database name as a child; INTO OUTFILE adds a Literal.
    if (root.children > 1 || (root.children === 1 && ast[1]?.kind !== 'Identifier'))
      throw new ReadOnlySqlError('INTO OUTFILE and FORMAT clauses are not allowed; choose the output with --format / the "format" field');
  } else {
    const expected = ROOT_CHILDREN[kind];
    if (expected === undefined)
      throw new ReadOnlySqlError(`only read-only statements are allowed (SELECT, WITH, SHOW TABLES, DESCRIBE, EXISTS, EXPLAIN), got ${describeKind(kind)}`);
    if (root.children !== expected)
      throw new ReadOnlySqlError('INTO OUTFILE and FORMAT clauses are not allowed; choose the output with --format / the "format" field');
  }
  for (let i = 0; i < ast.length; i++) {
    const node = ast[i] as AstNode;
    if (node.kind === 'Set') throw new ReadOnlySqlError('a SETTINGS clause is not allowed in a query; the server sets the limits');
    if (node.kind === 'Function') {
      const name = (node.rest.split(' ')[0] ?? '').toLowerCase();
      const parent = parentOf(ast, i);
      if (parent?.kind === 'TableExpression') {
        if (!TABLE_FUNCTIONS.has(name)) throw new ReadOnlySqlError(`the table function ${name}() is not allowed (allowed: ${[...TABLE_FUNCTIONS].join(', ')})`);
      } else if (DENIED_FUNCTIONS.has(name)) {
        throw new ReadOnlySqlError(`the function ${name}() is not allowed: it reads outside the store`);
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
    if (!SYSTEM_TABLES.has(table.toLowerCase())) throw new ReadOnlySqlError(`the table system.${table} is not readable through the query API`);
    return;
  }
  // A plain Identifier with a dot is usually alias.column; only TableIdentifier names a database for sure.
  if (node.kind !== 'TableIdentifier') return;
  if (db !== currentDb && !INFORMATION_SCHEMA.has(db))
    throw new ReadOnlySqlError(`the database ${db} is not readable through the query API (only ${currentDb})`);
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
