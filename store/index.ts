export { Store, openDriver, DEFAULT_DATA_DIR, type StoreConfig } from './store.js';
export type { Driver, QueryParams, QueryOptions } from './driver.js';
export { StoreError } from './driver.js';
export {
  BackpressureError,
  DataRejectedError,
  DEFAULT_BATCH_OPTIONS,
  StoreUnavailableError,
  type BatchWriterOptions,
  type BatchObserver,
  type TableRows,
} from './batch-writer.js';
export { ReadOnlySqlError, prepareReadOnlySql, DEFAULT_SQL_LIMITS, type SqlLimits } from './read-only-sql.js';
export { migrate } from './migrate.js';
export { clusterMigrations, clusterMigrationsTableDdl, clusterStatement, migrationStatements, validClusterName } from './cluster-ddl.js';
export { ResourceStore, KeyedMutex } from './resources.js';
export { RolloutStore, type RolloutListQuery, type RolloutSummary } from './rollouts.js';
export { AglStore, type AglSnapshotRow, type AglRolloutPageQuery } from './agl.js';
