// Buffers encoded rows per table and inserts them in batches (group commit). A write's promise settles only
// when the batch holding its rows is written (or has failed), so the receiver acknowledges an OTLP request
// only once its data is durable. Memory is bounded: past maxBufferedBytes new writes are refused
// (BackpressureError → 429), and while the store is failing they are refused too (StoreUnavailableError →
// 503) so clients back off and retry instead of piling up here.
//
// Batching: one insert per table is in flight at a time. Rows that arrive meanwhile wait, and the moment
// the insert finishes everything waiting goes out as the next insert, so under load batches grow with the
// insert's own duration instead of a timer's. When idle, rows wait at most flushIntervalMs for company (a
// latency cap), and go at once when minBatchBytes / minBatchRows are waiting (a size floor), so a trickle of
// requests does not become a trickle of tiny inserts, each paying the engine's fixed cost per insert.
import { JSON_EACH_ROW, StoreError, type Driver, type RowFormat } from './driver.js';
import { errorClass, TracelightError } from '../schemas/errors.js';

export interface BatchWriterOptions {
  /** Largest insert, in rows; more waiting rows go in the next insert. */
  maxBatchRows: number;
  /** Largest insert, in bytes (an insert holds at least one write, however large). */
  maxBatchBytes: number;
  /** Insert at most this long after the oldest waiting row arrived (unless an insert of the table is in flight). */
  flushIntervalMs: number;
  /** Insert without waiting for flushIntervalMs once this many rows wait for a table. */
  minBatchRows: number;
  /** Insert without waiting for flushIntervalMs once this many bytes wait for a table. */
  minBatchBytes: number;
  /** Refuse new writes beyond this many buffered bytes (pending plus in flight). */
  maxBufferedBytes: number;
  /**
   * Refuse new writes once the buffered bytes would take the store longer than this to write, at the rate
   * its inserts have been going (but always accept up to minQueueBytes). Keeps the wait for an
   * acknowledgement bounded under overload, so clients get a quick 429 instead of timing out in the queue.
   */
  maxQueueSeconds: number;
  /** Buffered bytes always accepted whatever the measured insert rate (up to maxBufferedBytes). */
  minQueueBytes: number;
  /** A write still waiting (not yet sent to the store) after this long is withdrawn and refused. */
  writeTimeoutMs: number;
}

export const DEFAULT_BATCH_OPTIONS: BatchWriterOptions = {
  maxBatchRows: 20_000,
  maxBatchBytes: 32 * 1024 * 1024,
  flushIntervalMs: 20,
  minBatchRows: 5_000,
  minBatchBytes: 4 * 1024 * 1024,
  maxBufferedBytes: 128 * 1024 * 1024,
  maxQueueSeconds: 2,
  minQueueBytes: 32 * 1024 * 1024,
  writeTimeoutMs: 20_000,
};

export interface BatchObserver {
  batchWritten?(table: string, rows: number, bytes: number, seconds: number): void;
  batchFailed?(table: string, rows: number, error: Error): void;
}

export class BackpressureError extends TracelightError {
  override name = 'BackpressureError';
  constructor(message: string, retryAfterSeconds: number) {
    super('backpressure', message, { retryAfterSeconds });
  }
  declare readonly retryAfterSeconds: number;
}

/** The engine refused the rows themselves (not retryable as they are). */
export const DataRejectedError = errorClass('DataRejectedError', 'invalid');

export class StoreUnavailableError extends TracelightError {
  override name = 'StoreUnavailableError';
  constructor(message: string, retryAfterSeconds: number, options?: { cause?: unknown }) {
    super('unavailable', message, { retryAfterSeconds, cause: options?.cause });
  }
  declare readonly retryAfterSeconds: number;
}

/**
 * Rows for one table: JSONEachRow `lines` (one JSON object each, no newline), or `data` already encoded in
 * `format`, every row ending with a newline.
 */
export type TableRows = { table: string; lines: readonly string[] } | { table: string; format: RowFormat; data: Buffer; rows: number };

interface Entry {
  data: Buffer;
  rows: number;
  enqueuedAt: number;
  resolve(): void;
  reject(err: Error): void;
}

interface TableQueue {
  table: string;
  format: RowFormat;
  pending: Entry[];
  pendingRows: number;
  pendingBytes: number;
  inFlight: Promise<void> | null;
  timer: NodeJS.Timeout | null;
  /** When the armed timer fires (ms since the epoch). */
  timerDue: number;
}

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

export class BatchWriter {
  private readonly opts: BatchWriterOptions;
  private readonly queues = new Map<string, TableQueue>();
  private readonly formatKeys = new WeakMap<RowFormat, string>();
  private bufferedBytes = 0;
  private bufferedRows = 0;
  private failingSince: number | null = null;
  private backoffMs = 0;
  private retryAt = 0;
  private lastError: Error | null = null;
  /** Bytes per second of insert time, averaged over recent inserts; 0 until the first one. */
  private insertRate = 0;
  private sweeper: NodeJS.Timeout;

  constructor(
    private readonly driver: Driver,
    opts: Partial<BatchWriterOptions> = {},
    private readonly observer: BatchObserver = {},
  ) {
    this.opts = { ...DEFAULT_BATCH_OPTIONS, ...opts };
    this.sweeper = setInterval(() => this.withdrawExpired(), Math.min(1000, this.opts.writeTimeoutMs));
    this.sweeper.unref();
  }

  get stats(): { bufferedRows: number; bufferedBytes: number; queueLimitBytes: number; storeHealthy: boolean; lastError: string | null } {
    return {
      bufferedRows: this.bufferedRows,
      bufferedBytes: this.bufferedBytes,
      queueLimitBytes: this.queueLimit(),
      storeHealthy: this.failingSince === null,
      lastError: this.lastError?.message ?? null,
    };
  }

  /** The buffered bytes beyond which writes are refused now: what the store writes in maxQueueSeconds, within [minQueueBytes, maxBufferedBytes]. */
  private queueLimit(): number {
    const o = this.opts;
    if (this.insertRate === 0) return o.maxBufferedBytes;
    return Math.min(o.maxBufferedBytes, Math.max(o.minQueueBytes, this.insertRate * o.maxQueueSeconds));
  }

  /** Seconds a client should wait before retrying, for Retry-After. */
  retryAfterSeconds(): number {
    if (this.failingSince !== null) return Math.max(1, Math.ceil((this.retryAt - Date.now()) / 1000));
    return 1;
  }

  /**
   * Why a write of `bytes` would be refused right now (the error it would be refused with), or null. Lets a
   * receiver refuse a request before spending CPU on decoding it.
   */
  refusal(bytes = 0): BackpressureError | StoreUnavailableError | null {
    if (this.failingSince !== null && Date.now() < this.retryAt) {
      return new StoreUnavailableError(`the store is failing (${this.lastError?.message ?? 'unknown error'}); retry later`, this.retryAfterSeconds());
    }
    if (this.bufferedBytes > 0 && this.bufferedBytes + bytes > this.queueLimit()) {
      return new BackpressureError(`ingest buffer full (${this.bufferedBytes} bytes waiting for the store); retry later`, 1);
    }
    return null;
  }

  /**
   * Queues rows for their tables; resolves when they are written. Several tables in one call are written
   * independently; the promise resolves when all are.
   */
  write(batches: readonly TableRows[]): Promise<void> {
    const parts: { table: string; format: RowFormat; data: Buffer; rows: number }[] = [];
    let bytes = 0;
    for (const b of batches) {
      let part: { table: string; format: RowFormat; data: Buffer; rows: number };
      if ('lines' in b) {
        if (b.lines.length === 0) continue;
        part = { table: b.table, format: JSON_EACH_ROW, data: Buffer.from(`${b.lines.join('\n')}\n`), rows: b.lines.length };
      } else {
        if (b.rows === 0 || b.data.length === 0) continue;
        part = b;
      }
      parts.push(part);
      bytes += part.data.length;
    }
    if (bytes === 0) return Promise.resolve();
    const refusal = this.refusal(bytes);
    if (refusal) return Promise.reject(refusal);
    const now = Date.now();
    if (parts.length === 1) {
      const p = parts[0] as (typeof parts)[number];
      return this.enqueue(p.table, p.format, p.data, p.rows, now);
    }
    return Promise.all(parts.map((p) => this.enqueue(p.table, p.format, p.data, p.rows, now))).then(() => undefined);
  }

  private enqueue(table: string, format: RowFormat, data: Buffer, rows: number, now: number): Promise<void> {
    const q = this.queue(table, format);
    return new Promise<void>((resolve, reject) => {
      q.pending.push({ data, rows, enqueuedAt: now, resolve, reject });
      q.pendingRows += rows;
      q.pendingBytes += data.length;
      this.bufferedRows += rows;
      this.bufferedBytes += data.length;
      this.schedule(q);
    });
  }

  private queue(table: string, format: RowFormat): TableQueue {
    let fk = this.formatKeys.get(format);
    if (fk === undefined) {
      fk = `${format.name}(${format.columns?.join(',') ?? ''})`;
      this.formatKeys.set(format, fk);
    }
    const key = `${table}\u0000${fk}`;
    let q = this.queues.get(key);
    if (!q) {
      q = { table, format, pending: [], pendingRows: 0, pendingBytes: 0, inFlight: null, timer: null, timerDue: 0 };
      this.queues.set(key, q);
    }
    return q;
  }

  /** Sends the waiting rows now if they are due (size floor reached, or the oldest waited long enough), else arms a timer for when they are. */
  private schedule(q: TableQueue): void {
    if (q.inFlight || q.pending.length === 0) return; // an in-flight insert schedules the next one when it ends
    const now = Date.now();
    const o = this.opts;
    const due = (q.pending[0] as Entry).enqueuedAt + o.flushIntervalMs;
    if (now >= due || q.pendingRows >= Math.min(o.minBatchRows, o.maxBatchRows) || q.pendingBytes >= Math.min(o.minBatchBytes, o.maxBatchBytes)) {
      this.flushNow(q);
      return;
    }
    if (q.timer) {
      if (q.timerDue <= due) return;
      clearTimeout(q.timer);
    }
    q.timerDue = due;
    q.timer = setTimeout(() => {
      q.timer = null;
      this.flushNow(q);
    }, due - now);
  }

  private flushNow(q: TableQueue): void {
    if (q.timer) {
      clearTimeout(q.timer);
      q.timer = null;
    }
    if (q.inFlight || q.pending.length === 0) return;
    let n = 0;
    let rows = 0;
    let bytes = 0;
    while (n < q.pending.length) {
      const e = q.pending[n] as Entry;
      if (n > 0 && (rows + e.rows > this.opts.maxBatchRows || bytes + e.data.length > this.opts.maxBatchBytes)) break;
      rows += e.rows;
      bytes += e.data.length;
      n++;
    }
    const batch = n === q.pending.length ? q.pending : q.pending.slice(0, n);
    q.pending = n === q.pending.length ? [] : q.pending.slice(n);
    q.pendingRows -= rows;
    q.pendingBytes -= bytes;
    q.inFlight = this.writeBatch(q, batch, rows, bytes).finally(() => {
      this.bufferedRows -= rows;
      this.bufferedBytes -= bytes;
      q.inFlight = null;
      this.schedule(q);
    });
  }

  private insert(q: TableQueue, entries: readonly Entry[]): Promise<void> {
    const data = entries.length === 1 ? (entries[0] as Entry).data : Buffer.concat(entries.map((e) => e.data));
    if (q.format === JSON_EACH_ROW || (q.format.name === 'JSONEachRow' && !q.format.columns)) return this.driver.insertJsonEachRow(q.table, data);
    if (!this.driver.insertRows) return Promise.reject(new StoreError(`this driver cannot insert ${q.format.name} rows`));
    return this.driver.insertRows(q.table, data, q.format);
  }

  private async writeBatch(q: TableQueue, batch: Entry[], rows: number, bytes: number): Promise<void> {
    const started = performance.now();
    try {
      await this.insert(q, batch);
      this.recovered();
      const seconds = (performance.now() - started) / 1000;
      // Inserts of different tables overlap, so each one's rate understates the total; that errs on the safe side.
      if (seconds > 0) this.insertRate = this.insertRate === 0 ? bytes / seconds : 0.8 * this.insertRate + 0.2 * (bytes / seconds);
      this.observer.batchWritten?.(q.table, rows, bytes, seconds);
      for (const e of batch) e.resolve();
      return;
    } catch (err) {
      this.observer.batchFailed?.(q.table, rows, err as Error);
      if (!(err instanceof StoreError && err.code !== undefined)) {
        this.failed(err as Error);
        const refusal = new StoreUnavailableError(`the store could not write this batch: ${(err as Error).message}`, this.retryAfterSeconds(), { cause: err });
        for (const e of batch) e.reject(refusal);
        return;
      }
      // The engine refused the data itself, which says nothing about the store's health: a batch of one is
      // rejected as data (400, not retried) and the store stays healthy for everyone else.
      if (batch.length === 1) {
        (batch[0] as Entry).reject(new DataRejectedError(`the store refused this data: ${err.message}`, { cause: err }));
        return;
      }
    }
    // One request's rows must not sink the other requests of the batch, so each is written alone and only
    // the ones the engine still refuses are rejected.
    let refused = 0;
    for (const e of batch) {
      try {
        await this.insert(q, [e]);
        e.resolve();
      } catch (err) {
        refused++;
        if (err instanceof StoreError && err.code !== undefined) e.reject(new DataRejectedError(`the store refused this data: ${err.message}`, { cause: err }));
        else {
          this.failed(err as Error);
          e.reject(new StoreUnavailableError(`the store could not write this data: ${(err as Error).message}`, this.retryAfterSeconds(), { cause: err }));
        }
      }
    }
    if (refused < batch.length) this.recovered();
  }

  private failed(err: Error): void {
    const now = Date.now();
    this.lastError = err;
    if (this.failingSince === null) this.failingSince = now;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, this.backoffMs * 2));
    this.retryAt = now + this.backoffMs;
  }

  private recovered(): void {
    this.failingSince = null;
    this.backoffMs = 0;
    this.retryAt = 0;
  }

  /** Refuses writes that have waited too long without being sent, so their clients can retry elsewhere. */
  private withdrawExpired(): void {
    const cutoff = Date.now() - this.opts.writeTimeoutMs;
    for (const q of this.queues.values()) {
      if (q.pending.length === 0 || (q.pending[0] as Entry).enqueuedAt > cutoff) continue;
      const keep: Entry[] = [];
      for (const e of q.pending) {
        if (e.enqueuedAt > cutoff) {
          keep.push(e);
          continue;
        }
        q.pendingRows -= e.rows;
        q.pendingBytes -= e.data.length;
        this.bufferedRows -= e.rows;
        this.bufferedBytes -= e.data.length;
        e.reject(new StoreUnavailableError(`the store did not accept this data within ${this.opts.writeTimeoutMs} ms; retry later`, this.retryAfterSeconds()));
      }
      q.pending = keep;
    }
  }

  /** Writes everything buffered and waits for it; used on shutdown. */
  async drain(): Promise<void> {
    for (;;) {
      const busy = [...this.queues.values()].filter((q) => q.inFlight || q.pending.length > 0);
      if (busy.length === 0) break;
      for (const q of busy) if (!q.inFlight) this.flushNow(q);
      await Promise.all(busy.map((q) => q.inFlight?.catch(() => undefined)));
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const q of this.queues.values()) if (q.timer) clearTimeout(q.timer);
  }
}
