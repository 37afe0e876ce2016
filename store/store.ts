// The one entry point to ClickHouse: opens the right driver, applies migrations, writes telemetry through
// the batch writer and runs read-only queries. Everything above store/ goes through this class.
import { ChdbDriver } from './chdb-driver.js';
import { clusterMigrations, clusterMigrationsTableDdl } from './cluster-ddl.js';
import { CLUSTER_SESSION_SETTINGS } from '../schemas/cluster.js';
import { TracelightError } from '../schemas/errors.js';
import { StoreError, type Driver, type QueryParams } from './driver.js';
import { BatchWriter, type BatchObserver, type BatchWriterOptions, type TableRows } from './batch-writer.js';
import { migrate, type MigrationResult } from './migrate.js';
import { encodeLogs, encodeSpans, LOGS_FORMAT, TRACES_FORMAT } from './otel-rows.js';
import { DEFAULT_SQL_LIMITS, prepareReadOnlySql, type SqlLimits } from './read-only-sql.js';
import { ServerDriver } from './server-driver.js';
import type { LogRecordRecord, MetricPointRecord, SpanRecord } from '../schemas/telemetry.js';
import type { NormalizedBatch, Reward } from '../schemas/genai.js';
import { genaiBatches, rewardRow } from './genai-rows.js';
import { encodeMetricPoints } from './otel-metrics-rows.js';

export interface StoreConfig {
  /** Embedded data directory (default `./.tracelight`); ignored when clickhouseUrl is set. */
  dataDir?: string;
  clickhouseUrl?: string;
  clickhouseUser?: string;
  clickhousePassword?: string;
  clickhouseDatabase?: string;
  batch?: Partial<BatchWriterOptions>;
  /** Bounds on users' SQL (time, memory, result size). */
  sqlLimits?: Partial<SqlLimits>;
  observer?: BatchObserver;
  /**
   * Store the raw spans, log records and metric data points (`otel_traces`, `otel_logs`, `otel_metrics_*`);
   * default true. False when a Collector already writes them (its ClickHouse exporter, same schema): tracelight
   * then writes only what it derives (calls, contents, rewards, identities), so a fan-out stores each span once,
   * and accepts metrics without storing them.
   */
  raw?: boolean;
  /**
   * The ClickHouse cluster the tables live on (server only): migrations create Replicated tables behind
   * Distributed ones (store/cluster-ddl.ts), and the session waits for every shard on insert.
   */
  cluster?: string;
}

export const DEFAULT_DATA_DIR = '.tracelight';

export function openDriver(cfg: StoreConfig): Driver {
  if (cfg.clickhouseUrl) {
    return new ServerDriver({
      url: cfg.clickhouseUrl,
      username: cfg.clickhouseUser,
      password: cfg.clickhousePassword,
      database: cfg.clickhouseDatabase,
      ...(cfg.cluster ? { settings: CLUSTER_SESSION_SETTINGS } : {}),
    });
  }
  if (cfg.cluster) throw new TracelightError('invalid', 'a cluster needs a ClickHouse server (--clickhouse-url); the embedded store is one node');
  return new ChdbDriver(cfg.dataDir ?? DEFAULT_DATA_DIR);
}

function migrateFor(driver: Driver, cfg: StoreConfig): Promise<MigrationResult> {
  if (!cfg.cluster) return migrate(driver);
  return migrate(driver, clusterMigrations(cfg.cluster), clusterMigrationsTableDdl(cfg.cluster));
}

export class Store {
  readonly writer: BatchWriter;
  readonly sqlLimits: SqlLimits;
  /** Whether raw spans, log records and metric data points are stored (StoreConfig.raw). */
  readonly raw: boolean;

  private constructor(
    readonly driver: Driver,
    cfg: StoreConfig,
  ) {
    this.writer = new BatchWriter(driver, cfg.batch, cfg.observer);
    this.raw = cfg.raw ?? true;
    this.sqlLimits = { ...DEFAULT_SQL_LIMITS, ...cfg.sqlLimits };
  }

  /** Opens the store and brings its schema up to date. */
  static async open(cfg: StoreConfig = {}): Promise<Store> {
    const driver = openDriver(cfg);
    try {
      await migrateFor(driver, cfg);
    } catch (err) {
      await driver.close().catch(() => undefined);
      throw err;
    }
    return new Store(driver, cfg);
  }

  static async migrateOnly(cfg: StoreConfig = {}): Promise<MigrationResult> {
    const driver = openDriver(cfg);
    try {
      return await migrateFor(driver, cfg);
    } finally {
      await driver.close();
    }
  }

  /**
   * Resolves once the spans and log records, and the training records normalized from them, are durably
   * written: an OTLP request is acknowledged only when all of its data is in the store.
   */
  writeTelemetry(
    spans: readonly SpanRecord[],
    logs: readonly LogRecordRecord[],
    normalized?: NormalizedBatch,
    extra: readonly TableRows[] = [],
  ): Promise<void> {
    return this.writer.write([
      // Rows kept beside the raw ones (Agent Lightning's span index), acknowledged with them.
      ...extra,
      ...(this.raw
        ? [
            { table: 'otel_traces', format: TRACES_FORMAT, data: Buffer.from(encodeSpans(spans)), rows: spans.length },
            { table: 'otel_logs', format: LOGS_FORMAT, data: Buffer.from(encodeLogs(logs)), rows: logs.length },
          ]
        : []),
      ...(normalized ? genaiBatches(normalized) : []),
    ]);
  }

  /**
   * Resolves once the metric data points are durably written (one table per metric type), or at once when raw
   * telemetry is not stored: nothing is derived from metrics, and the Collector beside tracelight stores them.
   */
  writeMetrics(points: readonly MetricPointRecord[]): Promise<void> {
    return this.raw ? this.writer.write(encodeMetricPoints(points)) : Promise.resolve();
  }

  /** Writes only what the normalizers derived (spans read back from a Collector's tables are already stored). */
  writeDerived(normalized: NormalizedBatch): Promise<void> {
    return this.writer.write(genaiBatches(normalized));
  }

  /** Writes training records that do not come from OTLP (rewards posted through the API). */
  writeRewards(rewards: readonly Reward[]): Promise<void> {
    return this.writer.write([{ table: 'rewards', lines: rewards.map(rewardRow) }]);
  }

  /**
   * Runs a user-supplied statement in the SQL sandbox (one read-only statement, parsed by the engine, bounded
   * in time, memory and result size). An aborted signal cancels the query in the engine.
   */
  async readOnlyQuery<T = Record<string, unknown>>(sql: string, params: QueryParams = {}, signal?: AbortSignal): Promise<T[]> {
    const prepared = await prepareReadOnlySql(this.driver, sql, params, this.sqlLimits);
    const kill = (): void => {
      this.driver.exec("KILL QUERY WHERE Settings['log_comment'] = {tag:String} ASYNC", { tag: prepared.tag }).catch(() => undefined);
    };
    if (signal?.aborted) throw new StoreError('the query was cancelled');
    signal?.addEventListener('abort', kill, { once: true });
    try {
      return await this.driver.query<T>(prepared.text, params, { user: true, select: prepared.kind === 'SelectWithUnionQuery', ...(signal ? { signal } : {}) });
    } finally {
      signal?.removeEventListener('abort', kill);
    }
  }

  /**
   * Parts the engine moved aside (a truncated or corrupted file found at start is detached as
   * `broken-on-start_…`): their rows no longer answer queries, so the server reports them loudly.
   */
  /** Waits until the engine has loaded every table's parts (it loads them in the background at start,
   * and only then detaches the broken ones). */
  async waitForParts(): Promise<void> {
    const tables = await this.driver.query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree%'");
    for (const { name } of tables) if (/^[A-Za-z0-9_]+$/.test(name)) await this.driver.exec(`SYSTEM WAIT LOADING PARTS \`${name}\``);
  }

  detachedParts(): Promise<{ table: string; name: string; reason: string }[]> {
    return this.driver.query('SELECT table, name, reason FROM system.detached_parts WHERE database = currentDatabase() ORDER BY table, name');
  }

  async close(): Promise<void> {
    await this.writer.drain();
    this.writer.close();
    await this.driver.close();
  }
}
