// Embedded ClickHouse through chDB. chDB allows one data directory per process, so the serving
// process owns the store and every other tool reaches it through that process's API.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Session } from 'chdb';
import { INSERT_SETTINGS, parseJsonEachRow, StoreError, type Driver, type QueryOptions, type QueryParams } from './driver.js';

interface ChdbErrorShape {
  message: string;
  clickhouseCode?: number;
}

function wrap(err: unknown): StoreError {
  const e = err as ChdbErrorShape;
  return new StoreError(cleanMessage(e?.message ?? String(err)), e?.clickhouseCode, { cause: err });
}

/** chDB prefixes messages with the engine's stack-free form already; keep the first line only. */
function cleanMessage(msg: string): string {
  return msg.split('\n')[0]?.replace(/\s*\(version [^)]*\)\s*$/, '') ?? msg;
}

export class ChdbDriver implements Driver {
  readonly kind = 'embedded' as const;
  readonly location: string;
  private session: Session;
  private closed = false;

  constructor(dataDir: string) {
    this.location = resolve(dataDir);
    mkdirSync(this.location, { recursive: true });
    try {
      this.session = new Session(this.location);
    } catch (err) {
      const msg = (err as Error).message;
      if (/one active data directory|lock/i.test(msg)) {
        throw new StoreError(`the embedded store at ${this.location} is already open in this process: ${msg}`);
      }
      throw wrap(err);
    }
    // A ClickHouse server quotes 64-bit integers in JSON output by default and chDB does not; quote them
    // here too so both drivers return the same rows and no value beyond 2^53 loses precision.
    this.session.query('SET output_format_json_quote_64bit_integers = 1');
  }

  async query<T>(sql: string, params: QueryParams = {}, opts: QueryOptions = {}): Promise<T[]> {
    const text = opts.readonly ? `${sql}\nSETTINGS readonly = 2` : sql;
    try {
      const res = await this.session.queryBindAsync(text, params, { format: 'JSONEachRow' });
      return parseJsonEachRow<T>(res.text());
    } catch (err) {
      throw wrap(err);
    }
  }

  async exec(sql: string, params: QueryParams = {}): Promise<void> {
    try {
      await this.session.queryBindAsync(sql, params, { format: 'JSONEachRow' });
    } catch (err) {
      throw wrap(err);
    }
  }

  async insertJsonEachRow(table: string, rows: Buffer): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.session.insert({ table, values: rows, format: 'JSONEachRow', settings: { ...INSERT_SETTINGS } });
    } catch (err) {
      throw wrap(err);
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.session.close();
  }
}
