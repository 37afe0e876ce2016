// The two ways to reach ClickHouse behind one small interface. Both run the same SQL text; values are
import { TracelightError } from '../schemas/errors.js';
// always bound as `{name:Type}` query parameters by the engine, never spliced into the statement.

export type QueryParams = Record<string, unknown>;

export interface QueryOptions {
  /**
   * A user's query, already sandboxed (its own SETTINGS carry readonly = 1 and the limits): the driver runs it
   * where it cannot hold up ingest (chDB: a separate connection, streamed).
   */
  user?: boolean;
  /** The statement is a SELECT, so its result can be streamed (chDB streams SELECTs only). */
  select?: boolean;
  /** Stops waiting for the result; cancelling the query in the engine is the caller's (KILL QUERY). */
  signal?: AbortSignal;
}

/**
 * A text format rows are encoded in for an insert, with the columns the rows hold (in order) when the format
 * is positional. Every driver accepts these; the names are ClickHouse's own format names.
 */
export interface RowFormat {
  readonly name: 'JSONEachRow' | 'JSONCompactEachRow' | 'TabSeparated';
  /** The columns of each row, in order (positional formats); omitted: every column of the table, in order. */
  readonly columns?: readonly string[];
}

export const JSON_EACH_ROW: RowFormat = Object.freeze({ name: 'JSONEachRow' });

export interface Driver {
  readonly kind: 'embedded' | 'server';
  /** Where the data lives, for messages: a directory or a URL without credentials. */
  readonly location: string;
  /** Runs a SELECT-like statement and returns its rows (JSONEachRow semantics: 64-bit ints as strings). */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams, opts?: QueryOptions): Promise<T[]>;
  /**
   * Runs a statement and returns its output as text, one row a line, in the engine's own default format for
   * it (EXPLAIN and other statements whose output a FORMAT clause appended to the text would not reach).
   */
  queryText(sql: string, params?: QueryParams): Promise<string>;
  /** Runs a statement that returns nothing (DDL, INSERT ... SELECT, ALTER). */
  exec(sql: string, params?: QueryParams): Promise<void>;
  /** Inserts pre-encoded JSONEachRow lines. */
  insertJsonEachRow(table: string, rows: Buffer): Promise<void>;
  /**
   * Inserts rows pre-encoded in `format` (one row a line). Both drivers implement it; it is optional only so
   * that thin test wrappers which insert JSONEachRow alone need not.
   */
  insertRows?(table: string, rows: Buffer, format: RowFormat): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Settings for every telemetry insert. otel_traces / otel_logs are partitioned by day (the Collector
 * exporter's DDL), and ClickHouse refuses an insert block touching more than 100 partitions by default: one
 * request replaying a few months of spans (or a batch mixing such requests) would fail the whole batch and
 * mark the store failing for every client. Spread-out timestamps are valid data, so the limit is lifted.
 */
export const INSERT_SETTINGS: Readonly<Record<string, string>> = {
  max_partitions_per_insert_block: '0',
  // The batch writer already batches, and acknowledges a request only once its rows are written: the engine's
  // own asynchronous-insert buffering (on by default in chDB) would only add up to 200 ms to every insert.
  async_insert: '0',
};

/** Settings added for an insert in `format`. */
export function insertSettings(format: RowFormat): Record<string, string> {
  // TabSeparated timestamps are written as `seconds.nanoseconds` with a 10-digit zero-padded integer part,
  // which the basic DateTime parser reads as a Unix time; pinned, so the server's default cannot change it.
  return format.name === 'TabSeparated' ? { ...INSERT_SETTINGS, date_time_input_format: 'basic' } : { ...INSERT_SETTINGS };
}

/** An engine error with a ClickHouse code is about the request (invalid); one without is the engine being unreachable. */
export class StoreError extends TracelightError {
  override name = 'StoreError';
  constructor(
    message: string,
    readonly code?: number,
    options?: { cause?: unknown },
  ) {
    super(code === undefined ? 'unavailable' : 'invalid', message, { cause: options?.cause });
  }
}

export function parseJsonEachRow<T>(text: string): T[] {
  const rows: T[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) rows.push(JSON.parse(text.slice(start, end)) as T);
    start = end + 1;
  }
  return rows;
}
