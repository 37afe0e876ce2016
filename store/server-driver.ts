// A ClickHouse server (or cluster, or ClickHouse Cloud) over its HTTP interface, through the official client.
import { Readable } from 'node:stream';
import { ClickHouseError, ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { insertSettings, JSON_EACH_ROW, StoreError, type Driver, type QueryOptions, type QueryParams, type RowFormat } from './driver.js';

export interface ServerDriverOptions {
  url: string;
  username?: string;
  password?: string;
  database?: string;
  requestTimeoutMs?: number;
  /** Session settings sent with every request (a cluster's, see schemas/cluster.ts). */
  settings?: Readonly<Record<string, string>>;
}

function wrap(err: unknown): StoreError {
  if (err instanceof ClickHouseError) return new StoreError(err.message.split('\n')[0] ?? err.message, Number(err.code), { cause: err });
  const e = err as Error;
  return new StoreError(`ClickHouse server unreachable: ${e?.message ?? String(err)}`, undefined, { cause: err });
}

/** The URL without credentials, for logs and messages. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return raw;
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const FORMATS = new Set<string>(['JSONEachRow', 'JSONCompactEachRow', 'TabSeparated']);

export class ServerDriver implements Driver {
  readonly kind = 'server' as const;
  readonly location: string;
  private client: ClickHouseClient;

  constructor(opts: ServerDriverOptions) {
    this.location = redactUrl(opts.url);
    const u = new URL(opts.url);
    const username = opts.username ?? (u.username ? decodeURIComponent(u.username) : undefined);
    const password = opts.password ?? (u.password ? decodeURIComponent(u.password) : undefined);
    const database = opts.database ?? (u.pathname.length > 1 ? u.pathname.slice(1) : undefined);
    u.username = '';
    u.password = '';
    u.pathname = '/';
    this.client = createClient({
      url: u.toString(),
      username,
      password,
      database,
      request_timeout: opts.requestTimeoutMs ?? 30_000,
      ...(opts.settings ? { clickhouse_settings: { ...opts.settings } } : {}),
      compression: { request: false, response: true },
      // Failures reach the caller as StoreError (and /metrics); the client's own console logging would repeat them.
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  async query<T>(sql: string, params: QueryParams = {}, opts: QueryOptions = {}): Promise<T[]> {
    try {
      const rs = await this.client.query({
        query: sql,
        query_params: params,
        format: 'JSONEachRow',
        // A user's query carries its own readonly = 1 and limits; the server also drops it when we hang up.
        clickhouse_settings: opts.user ? { cancel_http_readonly_queries_on_client_close: 1 } : {},
        ...(opts.signal ? { abort_signal: opts.signal } : {}),
      });
      return await rs.json<T>();
    } catch (err) {
      throw wrap(err);
    }
  }

  async queryText(sql: string, params: QueryParams = {}): Promise<string> {
    try {
      const res = await this.client.exec({ query: sql, query_params: params });
      const parts: Buffer[] = [];
      for await (const chunk of res.stream) parts.push(chunk as Buffer);
      return Buffer.concat(parts).toString('utf8');
    } catch (err) {
      throw wrap(err);
    }
  }

  async exec(sql: string, params: QueryParams = {}): Promise<void> {
    try {
      await this.client.command({ query: sql, query_params: params });
    } catch (err) {
      throw wrap(err);
    }
  }

  insertJsonEachRow(table: string, rows: Buffer): Promise<void> {
    return this.insertRows(table, rows, JSON_EACH_ROW);
  }

  async insertRows(table: string, rows: Buffer, format: RowFormat): Promise<void> {
    if (rows.length === 0) return;
    if (!IDENTIFIER.test(table)) throw new StoreError(`invalid table name ${JSON.stringify(table)}`);
    let columns = '';
    if (format.columns) {
      for (const c of format.columns) if (!IDENTIFIER.test(c)) throw new StoreError(`invalid column name ${JSON.stringify(c)}`);
      columns = ` (${format.columns.map((c) => `\`${c}\``).join(', ')})`;
    }
    if (!FORMATS.has(format.name)) throw new StoreError(`unsupported insert format ${JSON.stringify(format.name)}`);
    try {
      const res = await this.client.exec({
        query: `INSERT INTO ${table}${columns} FORMAT ${format.name}`,
        values: Readable.from([rows]),
        clickhouse_settings: insertSettings(format),
      });
      res.stream.resume();
    } catch (err) {
      throw wrap(err);
    }
  }

  async ping(): Promise<void> {
    const r = await this.client.ping();
    if (!r.success) throw wrap(r.error);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
