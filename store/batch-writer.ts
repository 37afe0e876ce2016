// Buffers encoded rows per table and inserts them in batches (by size and by time). A write's promise
// settles only when the batch holding its rows is written (or has failed), so the receiver acknowledges
// an OTLP request only once its data is durable. Memory is bounded: past maxBufferedBytes new writes are
// refused (BackpressureError → 429), and while the store is failing they are refused too
// (StoreUnavailableError → 503) so clients back off and retry instead of piling up here.
import { StoreError, type Driver } from './driver.js';

export interface BatchWriterOptions {
  /** Insert when this many rows are pending for a table. */
  maxBatchRows: number;
  /** Insert when this many bytes are pending for a table. */
  maxBatchBytes: number;
  /** Insert at most this long after the first pending row arrived. */
  flushIntervalMs: number;
  /** Refuse new writes beyond this many buffered bytes (pending plus in flight). */
  maxBufferedBytes: number;
  /** A write still waiting (not yet sent to the store) after this long is withdrawn and refused. */
  writeTimeoutMs: number;
}

export const DEFAULT_BATCH_OPTIONS: BatchWriterOptions = {
  maxBatchRows: 20_000,
  maxBatchBytes: 16 * 1024 * 1024,
  flushIntervalMs: 50,
  maxBufferedBytes: 128 * 1024 * 1024,
  writeTimeoutMs: 20_000,
};

export interface BatchObserver {
  batchWritten?(table: string, rows: number, bytes: number, seconds: number): void;
  batchFailed?(table: string, rows: number, error: Error): void;
}

export class BackpressureError extends Error {
  override name = 'BackpressureError';
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
  }
}

/** The engine refused the rows themselves (not retryable as they are). */
export class DataRejectedError extends Error {
  override name = 'DataRejectedError';
}

export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  constructor(message: string, readonly retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

interface Entry {
  lines: string[];
  bytes: number;
  enqueuedAt: number;
  resolve(): void;
  reject(err: Error): void;
}

interface TableQueue {
  pending: Entry[];
  pendingRows: number;
  pendingBytes: number;
  inFlight: Promise<void> | null;
  timer: NodeJS.Timeout | null;
}

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

export class BatchWriter {
  private readonly opts: BatchWriterOptions;
  private readonly queues = new Map<string, TableQueue>();
  private bufferedBytes = 0;
  private bufferedRows = 0;
  private failingSince: number | null = null;
  private backoffMs = 0;
  private retryAt = 0;
  private lastError: Error | null = null;
  private sweeper: NodeJS.Timeout;

  constructor(private readonly driver: Driver, opts: Partial<BatchWriterOptions> = {}, private readonly observer: BatchObserver = {}) {
    this.opts = { ...DEFAULT_BATCH_OPTIONS, ...opts };
    this.sweeper = setInterval(() => this.withdrawExpired(), Math.min(1000, this.opts.writeTimeoutMs));
    this.sweeper.unref();
  }

  get stats(): { bufferedRows: number; bufferedBytes: number; storeHealthy: boolean; lastError: string | null } {
    return { bufferedRows: this.bufferedRows, bufferedBytes: this.bufferedBytes, storeHealthy: this.failingSince === null, lastError: this.lastError?.message ?? null };
  }

  /** Seconds a client should wait before retrying, for Retry-After. */
  retryAfterSeconds(): number {
    if (this.failingSince !== null) return Math.max(1, Math.ceil((this.retryAt - Date.now()) / 1000));
    return 1;
  }

  /**
   * Queues rows (JSONEachRow lines) for a table; resolves when they are written. Several tables in one
   * call are written independently; the promise resolves when all are.
   */
  write(batches: { table: string; lines: string[] }[]): Promise<void> {
    let bytes = 0;
    for (const b of batches) for (const l of b.lines) bytes += l.length + 1;
    if (bytes === 0) return Promise.resolve();
    const now = Date.now();
    if (this.failingSince !== null && now < this.retryAt) {
      return Promise.reject(new StoreUnavailableError(`the store is failing (${this.lastError?.message ?? 'unknown error'}); retry later`, this.retryAfterSeconds()));
    }
    if (this.bufferedBytes + bytes > this.opts.maxBufferedBytes && this.bufferedBytes > 0) {
      return Promise.reject(new BackpressureError(`ingest buffer full (${this.bufferedBytes} bytes waiting for the store); retry later`, 1));
    }
    return Promise.all(batches.filter((b) => b.lines.length > 0).map((b) => this.enqueue(b.table, b.lines, now))).then(() => undefined);
  }

  private enqueue(table: string, lines: string[], now: number): Promise<void> {
    let bytes = 0;
    for (const l of lines) bytes += l.length + 1;
    const q = this.queue(table);
    return new Promise<void>((resolve, reject) => {
      q.pending.push({ lines, bytes, enqueuedAt: now, resolve, reject });
      q.pendingRows += lines.length;
      q.pendingBytes += bytes;
      this.bufferedRows += lines.length;
      this.bufferedBytes += bytes;
      this.schedule(table, q);
    });
  }

  private queue(table: string): TableQueue {
    let q = this.queues.get(table);
    if (!q) {
      q = { pending: [], pendingRows: 0, pendingBytes: 0, inFlight: null, timer: null };
      this.queues.set(table, q);
    }
    return q;
  }

  private schedule(table: string, q: TableQueue): void {
    if (q.inFlight) return; // the in-flight batch's completion schedules the next one
    if (q.pendingRows >= this.opts.maxBatchRows || q.pendingBytes >= this.opts.maxBatchBytes) {
      this.flushNow(table, q);
    } else if (!q.timer && q.pending.length > 0) {
      q.timer = setTimeout(() => {
        q.timer = null;
        this.flushNow(table, q);
      }, this.opts.flushIntervalMs);
    }
  }

  private flushNow(table: string, q: TableQueue): void {
    if (q.timer) {
      clearTimeout(q.timer);
      q.timer = null;
    }
    if (q.inFlight || q.pending.length === 0) return;
    const batch: Entry[] = [];
    let rows = 0;
    let bytes = 0;
    while (q.pending.length > 0 && (batch.length === 0 || (rows < this.opts.maxBatchRows && bytes < this.opts.maxBatchBytes))) {
      const e = q.pending.shift() as Entry;
      batch.push(e);
      rows += e.lines.length;
      bytes += e.bytes;
    }
    q.pendingRows -= rows;
    q.pendingBytes -= bytes;
    q.inFlight = this.writeBatch(table, batch, rows, bytes)
      .finally(() => {
        this.bufferedRows -= rows;
        this.bufferedBytes -= bytes;
        q.inFlight = null;
        this.schedule(table, q);
      });
  }

  private insert(table: string, entries: Entry[]): Promise<void> {
    return this.driver.insertJsonEachRow(table, Buffer.from(entries.map((e) => e.lines.join('\n')).join('\n')));
  }

  private async writeBatch(table: string, batch: Entry[], rows: number, bytes: number): Promise<void> {
    const started = performance.now();
    try {
      await this.insert(table, batch);
      this.recovered();
      this.observer.batchWritten?.(table, rows, bytes, (performance.now() - started) / 1000);
      for (const e of batch) e.resolve();
      return;
    } catch (err) {
      this.observer.batchFailed?.(table, rows, err as Error);
      if (!(err instanceof StoreError && err.code !== undefined && batch.length > 1)) {
        this.failed(err as Error);
        const refusal = new StoreUnavailableError(`the store could not write this batch: ${(err as Error).message}`, this.retryAfterSeconds(), { cause: err });
        for (const e of batch) e.reject(refusal);
        return;
      }
    }
    // The engine refused the data itself: one request's rows must not sink the other requests of the
    // batch, so each is written alone and only the ones the engine still refuses are rejected.
    let refused = 0;
    for (const e of batch) {
      try {
        await this.insert(table, [e]);
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
        q.pendingRows -= e.lines.length;
        q.pendingBytes -= e.bytes;
        this.bufferedRows -= e.lines.length;
        this.bufferedBytes -= e.bytes;
        e.reject(new StoreUnavailableError(`the store did not accept this data within ${this.opts.writeTimeoutMs} ms; retry later`, this.retryAfterSeconds()));
      }
      q.pending = keep;
    }
  }

  /** Writes everything buffered and waits for it; used on shutdown. */
  async drain(): Promise<void> {
    for (;;) {
      const busy = [...this.queues.entries()].filter(([, q]) => q.inFlight || q.pending.length > 0);
      if (busy.length === 0) break;
      for (const [table, q] of busy) if (!q.inFlight) this.flushNow(table, q);
      await Promise.all(busy.map(([, q]) => q.inFlight?.catch(() => undefined)));
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const q of this.queues.values()) if (q.timer) clearTimeout(q.timer);
  }
}
