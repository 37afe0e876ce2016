// Embedded ClickHouse through chDB. chDB allows one data directory per process, so the serving
// process owns the store and every other tool reaches it through that process's API.
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Session } from 'chdb';
import { insertSettings, JSON_EACH_ROW, parseJsonEachRow, StoreError, type Driver, type QueryOptions, type QueryParams, type RowFormat } from './driver.js';

interface ChdbErrorShape {
  message: string;
  clickhouseCode?: number;
}

function wrap(err: unknown): StoreError {
  const e = err as ChdbErrorShape;
  const message = e?.message ?? String(err);
  // Streamed queries report the engine's code only in the text; without it a data error would read as an outage.
  const code = e?.clickhouseCode ?? (Number(/^Code: (\d+)\./.exec(message)?.[1]) || undefined);
  return new StoreError(cleanMessage(message), code, { cause: err });
}

/** chDB prefixes messages with the engine's stack-free form already; keep the first line only. */
function cleanMessage(msg: string): string {
  return msg.split('\n')[0]?.replace(/\s*\(version [^)]*\)\s*$/, '') ?? msg;
}

/**
 * The pid of another live process holding the data directory, read from the `status` file ClickHouse
 * writes there. Checked first so the user gets one clear message instead of the engine's lock error.
 */
function liveOwner(dir: string): number | null {
  let text: string;
  try {
    text = readFileSync(resolve(dir, 'status'), 'utf8');
  } catch {
    return null;
  }
  const pid = Number(/^PID:\s*(\d+)/m.exec(text)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    // EPERM: alive but not ours to signal; ESRCH: a stale file left by a killed process.
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}

export class ChdbDriver implements Driver {
  readonly kind = 'embedded' as const;
  readonly location: string;
  private session: Session;
  private closed = false;

  constructor(dataDir: string) {
    this.location = resolve(dataDir);
    mkdirSync(this.location, { recursive: true });
    const owner = liveOwner(this.location);
    if (owner !== null) {
      throw new StoreError(
        `the embedded store at ${this.location} is in use by process ${owner} (a running "tracelight serve"?); go through that server instead (e.g. --server http://127.0.0.1:4318)`,
      );
    }
    try {
      this.session = new Session(this.location);
    } catch (err) {
      const msg = (err as Error).message;
      if (/one active data directory/i.test(msg)) {
        throw new StoreError(`this process already has another embedded store open (chDB allows one data directory per process): ${msg}`);
      }
      // ClickHouse locks <dir>/status. Anything else (a corrupted metadata file, say) is reported as it is, not
      // as "in use": the live-owner check above already caught a running server.
      if (/lock|another server instance/i.test(msg)) {
        throw new StoreError(
          `the embedded store at ${this.location} is in use by another process (a running "tracelight serve"?); go through that server instead (e.g. --server http://127.0.0.1:4318)`,
        );
      }
      throw new StoreError(`the embedded store at ${this.location} could not be opened: ${cleanMessage(msg)}`, (err as ChdbErrorShape).clickhouseCode, {
        cause: err,
      });
    }
    // A ClickHouse server quotes 64-bit integers in JSON output by default and chDB does not; quote them
    // here too so both drivers return the same rows and no value beyond 2^53 loses precision.
    this.session.query('SET output_format_json_quote_64bit_integers = 1');
  }

  async query<T>(sql: string, params: QueryParams = {}, opts: QueryOptions = {}): Promise<T[]> {
    if (opts.user) return this.userQuery<T>(sql, params, opts.select === true, opts.signal);
    try {
      const res = await this.session.queryBindAsync(sql, params, { format: 'JSONEachRow' });
      return parseJsonEachRow<T>(res.text());
    } catch (err) {
      throw wrap(err);
    }
  }

  /**
   * chDB runs one single-shot query at a time across its connections, so a long user query there would hold
   * every insert (and every OTLP acknowledgement) behind it. A streamed query on a connection of its own does
   * not: the engine computes it on its own threads while inserts go on.
   */
  private async userQuery<T>(sql: string, params: QueryParams, select: boolean, signal?: AbortSignal): Promise<T[]> {
    const session = new Session(this.location);
    try {
      await session.queryBindAsync('SET output_format_json_quote_64bit_integers = 1', {}, {});
      // SHOW / DESCRIBE / EXISTS read the catalog only and cannot be streamed.
      if (!select) return parseJsonEachRow<T>((await session.queryBindAsync(sql, params, { format: 'JSONEachRow' })).text());
      const parts: string[] = [];
      for await (const chunk of session.queryStreamBind(sql, params, { format: 'JSONEachRow', ...(signal ? { signal } : {}) })) parts.push(chunk.text());
      return parseJsonEachRow<T>(parts.join(''));
    } catch (err) {
      throw wrap(err);
    } finally {
      session.close();
    }
  }

  async queryText(sql: string, params: QueryParams = {}): Promise<string> {
    try {
      return (await this.session.queryBindAsync(sql, params, { format: 'TabSeparatedRaw' })).text();
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

  insertJsonEachRow(table: string, rows: Buffer): Promise<void> {
    return this.insertRows(table, rows, JSON_EACH_ROW);
  }

  async insertRows(table: string, rows: Buffer, format: RowFormat): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.session.insert({
        table,
        values: rows,
        format: format.name,
        ...(format.columns ? { columns: format.columns } : {}),
        settings: insertSettings(format),
      });
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
