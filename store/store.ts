// The one entry point to ClickHouse: opens the right driver, applies migrations, writes telemetry through
// the batch writer and runs read-only queries. Everything above store/ goes through this class.
import { ChdbDriver } from './chdb-driver.js';
import type { Driver, QueryParams } from './driver.js';
import { BatchWriter, type BatchObserver, type BatchWriterOptions } from './batch-writer.js';
import { migrate, type MigrationResult } from './migrate.js';
import { encodeLogs, encodeSpans, LOGS_FORMAT, TRACES_FORMAT } from './otel-rows.js';
import { checkReadOnlySql } from './read-only-sql.js';
import { ServerDriver } from './server-driver.js';
import type { LogRecordRecord, SpanRecord } from '../schemas/telemetry.js';
import type { NormalizedBatch, Reward } from '../schemas/genai.js';
import { genaiBatches, rewardRow } from './genai-rows.js';

export interface StoreConfig {
  /** Embedded data directory (default `./.tracelight`); ignored when clickhouseUrl is set. */
  dataDir?: string;
  clickhouseUrl?: string;
  clickhouseUser?: string;
  clickhousePassword?: string;
  clickhouseDatabase?: string;
  batch?: Partial<BatchWriterOptions>;
  observer?: BatchObserver;
}

export const DEFAULT_DATA_DIR = '.tracelight';

export function openDriver(cfg: StoreConfig): Driver {
  if (cfg.clickhouseUrl) {
    return new ServerDriver({ url: cfg.clickhouseUrl, username: cfg.clickhouseUser, password: cfg.clickhousePassword, database: cfg.clickhouseDatabase });
  }
  return new ChdbDriver(cfg.dataDir ?? DEFAULT_DATA_DIR);
}

export class Store {
  readonly writer: BatchWriter;

  private constructor(readonly driver: Driver, cfg: StoreConfig) {
    this.writer = new BatchWriter(driver, cfg.batch, cfg.observer);
  }

  /** Opens the store and brings its schema up to date. */
  static async open(cfg: StoreConfig = {}): Promise<Store> {
    const driver = openDriver(cfg);
    try {
      await migrate(driver);
    } catch (err) {
      await driver.close().catch(() => undefined);
      throw err;
    }
    return new Store(driver, cfg);
  }

  static async migrateOnly(cfg: StoreConfig = {}): Promise<MigrationResult> {
    const driver = openDriver(cfg);
    try {
      return await migrate(driver);
    } finally {
      await driver.close();
    }
  }

  /**
   * Resolves once the spans and log records, and the training records normalized from them, are durably
   * written: an OTLP request is acknowledged only when all of its data is in the store.
   */
  writeTelemetry(spans: readonly SpanRecord[], logs: readonly LogRecordRecord[], normalized?: NormalizedBatch): Promise<void> {
    return this.writer.write([
      { table: 'otel_traces', format: TRACES_FORMAT, data: Buffer.from(encodeSpans(spans)), rows: spans.length },
      { table: 'otel_logs', format: LOGS_FORMAT, data: Buffer.from(encodeLogs(logs)), rows: logs.length },
      ...(normalized ? genaiBatches(normalized) : []),
    ]);
  }

  /** Writes training records that do not come from OTLP (rewards posted through the API). */
  writeRewards(rewards: readonly Reward[]): Promise<void> {
    return this.writer.write([{ table: 'rewards', lines: rewards.map(rewardRow) }]);
  }

  /** Runs a user-supplied read-only statement; the engine's readonly setting backs the syntactic check. */
  async readOnlyQuery<T = Record<string, unknown>>(sql: string, params: QueryParams = {}): Promise<T[]> {
    return this.driver.query<T>(checkReadOnlySql(sql), params, { readonly: true });
  }

  async close(): Promise<void> {
    await this.writer.drain();
    this.writer.close();
    await this.driver.close();
  }
}
