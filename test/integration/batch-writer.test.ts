// The batch writer over the real embedded engine. A gate in front of the driver stands in for a stalled
// or failing ClickHouse, which cannot be produced on demand otherwise.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbDriver } from '../../store/chdb-driver.js';
import { BackpressureError, BatchWriter, DataRejectedError, StoreUnavailableError } from '../../store/batch-writer.js';
import { StoreError, type Driver, type RowFormat } from '../../store/driver.js';

class GatedDriver implements Driver {
  readonly kind = 'embedded' as const;
  readonly location: string;
  inserts = 0;
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;
  down = false;

  constructor(private readonly inner: ChdbDriver) {
    this.location = inner.location;
  }
  stall(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  release(): void {
    this.open?.();
    this.gate = null;
  }
  query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]> {
    return this.inner.query<T>(sql, params);
  }
  queryText(sql: string, params?: Record<string, unknown>): Promise<string> {
    return this.inner.queryText(sql, params);
  }
  exec(sql: string, params?: Record<string, unknown>): Promise<void> {
    return this.inner.exec(sql, params);
  }
  async insertJsonEachRow(table: string, rows: Buffer): Promise<void> {
    this.inserts++;
    if (this.gate) await this.gate;
    if (this.down) throw new StoreError('connection refused');
    return this.inner.insertJsonEachRow(table, rows);
  }
  async insertRows(table: string, rows: Buffer, format: RowFormat): Promise<void> {
    this.inserts++;
    if (this.gate) await this.gate;
    if (this.down) throw new StoreError('connection refused');
    return this.inner.insertRows(table, rows, format);
  }
  ping(): Promise<void> {
    return this.inner.ping();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe('BatchWriter', () => {
  let dir: string;
  let driver: GatedDriver;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-writer-'));
    driver = new GatedDriver(new ChdbDriver(dir));
    await driver.exec('CREATE TABLE t (id UInt32, s String) ENGINE = MergeTree ORDER BY id');
  });
  afterAll(async () => {
    await driver.close();
    await rm(dir, { recursive: true, force: true });
  });

  const count = async (): Promise<number> => Number((await driver.query<{ n: string }>('SELECT count() AS n FROM t'))[0]?.n);
  const line = (id: number): string => JSON.stringify({ id, s: 'x'.repeat(100) });

  it('coalesces concurrent writes into few inserts and resolves each once written', async () => {
    const w = new BatchWriter(driver, { flushIntervalMs: 30 });
    const before = driver.inserts;
    await Promise.all(Array.from({ length: 40 }, (_, i) => w.write([{ table: 't', lines: [line(i)] }])));
    expect(await count()).toBe(40);
    expect(driver.inserts - before).toBeLessThanOrEqual(3);
    w.close();
  });

  it('refuses with 429-style back-pressure when the buffer is full, and writes everything it accepted once the store moves again', async () => {
    const w = new BatchWriter(driver, { flushIntervalMs: 5, maxBufferedBytes: 20_000 });
    const start = await count();
    driver.stall();
    const accepted: Promise<void>[] = [];
    let refused = 0;
    for (let i = 0; i < 400; i++) {
      const p = w.write([{ table: 't', lines: [line(1000 + i)] }]);
      accepted.push(
        p.catch((err) => {
          if (!(err instanceof BackpressureError)) throw err;
          refused++;
        }),
      );
      await new Promise((r) => setImmediate(r));
    }
    expect(refused).toBeGreaterThan(0);
    expect(w.stats.bufferedBytes).toBeLessThanOrEqual(20_000 + 200);
    driver.release();
    await Promise.all(accepted);
    expect(await count()).toBe(start + 400 - refused);
    w.close();
  });

  it('answers 503-style while the store is down, then recovers', async () => {
    const w = new BatchWriter(driver, { flushIntervalMs: 5 });
    driver.down = true;
    await expect(w.write([{ table: 't', lines: [line(5000)] }])).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(w.stats.storeHealthy).toBe(false);
    await expect(w.write([{ table: 't', lines: [line(5001)] }])).rejects.toThrow(/store is failing/);
    driver.down = false;
    await new Promise((r) => setTimeout(r, w.retryAfterSeconds() * 1000 + 50));
    await w.write([{ table: 't', lines: [line(5002)] }]);
    expect(w.stats.storeHealthy).toBe(true);
    w.close();
  });

  it('rejects only the request whose rows the engine refuses; the rest of the batch is written', async () => {
    const w = new BatchWriter(driver, { flushIntervalMs: 30 });
    const start = await count();
    const results = await Promise.allSettled([
      w.write([{ table: 't', lines: [line(7000)] }]),
      w.write([{ table: 't', lines: ['{"id": "not a number", "s": 1}'] }]),
      w.write([{ table: 't', lines: [line(7001), line(7002)] }]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(DataRejectedError);
    expect(await count()).toBe(start + 3);
    expect(w.stats.storeHealthy).toBe(true);
    w.close();
  });

  it('group commit: what waited during an insert goes out as one insert the moment it ends, without a new wait', async () => {
    const w = new BatchWriter(driver, { flushIntervalMs: 1_000 });
    const start = await count();
    const before = driver.inserts;
    driver.stall();
    const first = w.write([{ table: 't', lines: [line(11_000)] }]);
    await new Promise((r) => setTimeout(r, 1_050)); // the first insert is in flight (stalled)
    const rest = Array.from({ length: 5 }, (_, i) => w.write([{ table: 't', lines: [line(11_001 + i)] }]));
    await new Promise((r) => setTimeout(r, 1_050)); // the rest waited longer than the interval meanwhile
    expect(driver.inserts - before).toBe(1);
    const released = performance.now();
    driver.release();
    await Promise.all([first, ...rest]);
    // Not another interval: the rest had waited long enough already (generous bound for a loaded machine).
    expect(performance.now() - released).toBeLessThan(900);
    expect(driver.inserts - before).toBe(2);
    expect(await count()).toBe(start + 6);
    w.close();
  });

  it('inserts at once when the size floor is reached, without waiting for the interval', async () => {
    const w = new BatchWriter(driver, { flushIntervalMs: 60_000, minBatchRows: 3 });
    const start = await count();
    await Promise.all([w.write([{ table: 't', lines: [line(12_000), line(12_001)] }]), w.write([{ table: 't', lines: [line(12_002)] }])]);
    expect(await count()).toBe(start + 3);
    w.close();
  });

  it('writes rows encoded in another format (TabSeparated, named columns) through the same queue semantics', async () => {
    const w = new BatchWriter(driver, { flushIntervalMs: 10 });
    const start = await count();
    const format: RowFormat = { name: 'TabSeparated', columns: ['s', 'id'] };
    await Promise.all([
      w.write([{ table: 't', format, data: Buffer.from('tab\\there\t13000\n'), rows: 1 }]),
      w.write([{ table: 't', format, data: Buffer.from('x\t13001\ny\t13002\n'), rows: 2 }]),
    ]);
    expect(await count()).toBe(start + 3);
    expect(await driver.query<{ s: string }>('SELECT s FROM t WHERE id = 13000')).toEqual([{ s: 'tab\there' }]);
    // A refused entry is rejected alone, in this format too.
    const results = await Promise.allSettled([
      w.write([{ table: 't', format, data: Buffer.from('ok\t13003\n'), rows: 1 }]),
      w.write([{ table: 't', format, data: Buffer.from('bad\tnot-a-number\n'), rows: 1 }]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(DataRejectedError);
    w.close();
  });

  it('refuses once the buffered data would take longer than maxQueueSeconds to write at the measured insert rate', async () => {
    const w = new BatchWriter(driver, { flushIntervalMs: 5, maxQueueSeconds: 0.000_001, minQueueBytes: 2_000, maxBufferedBytes: 1024 * 1024 });
    await w.write([{ table: 't', lines: [line(14_000)] }]); // measures the insert rate
    expect(w.stats.queueLimitBytes).toBe(2_000);
    driver.stall();
    const accepted: Promise<void>[] = [];
    let refused = 0;
    for (let i = 0; i < 100; i++) {
      accepted.push(
        w.write([{ table: 't', lines: [line(14_001 + i)] }]).catch((err) => {
          if (!(err instanceof BackpressureError)) throw err;
          refused++;
        }),
      );
      await new Promise((r) => setImmediate(r));
    }
    expect(refused).toBeGreaterThan(50);
    expect(w.stats.bufferedBytes).toBeLessThanOrEqual(2_000 + 200);
    driver.release();
    await Promise.all(accepted);
    w.close();
  });

  it('drains everything buffered on shutdown', async () => {
    const w = new BatchWriter(driver, { flushIntervalMs: 60_000 });
    const start = await count();
    const p = w.write([{ table: 't', lines: Array.from({ length: 10 }, (_, i) => line(9000 + i)) }]);
    await w.drain();
    await p;
    expect(await count()).toBe(start + 10);
    w.close();
  });
});
