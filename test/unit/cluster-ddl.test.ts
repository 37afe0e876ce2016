// The cluster form of the schema: every table of every migration gets a Replicated local table and a
// Distributed table over it, sharded by a key that keeps ReplacingMergeTree's duplicates on one shard.
import { describe, expect, it } from 'vitest';
import { CLUSTER_SHARD_KEYS } from '../../schemas/cluster.js';
import { MIGRATIONS } from '../../schemas/migrations.js';
import { clusterMigrations, clusterMigrationsTableDdl, clusterStatement, migrationStatements } from '../../store/index.js';

const tablesOf = (stmts: readonly string[]): string[] => stmts.flatMap((s) => [...(/^CREATE TABLE IF NOT EXISTS (\w+) \(/.exec(s.trim())?.slice(1, 2) ?? [])]);

describe('cluster DDL', () => {
  const cluster = clusterMigrations('tl');

  it('keeps the ids and names of the single-node migrations', () => {
    expect(cluster.map((m) => [m.id, m.name])).toEqual(MIGRATIONS.map((m) => [m.id, m.name]));
  });

  it('gives every table a Replicated local table on the cluster and a Distributed table of the same name over it', () => {
    const tables = tablesOf(MIGRATIONS.flatMap((m) => m.statements));
    expect(tables.length).toBeGreaterThan(10);
    const stmts = cluster.flatMap((m) => m.statements);
    for (const t of tables) {
      const localDdl = stmts.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${t}_local ON CLUSTER \`tl\` (`));
      expect(localDdl, t).toBeDefined();
      expect(localDdl).toMatch(new RegExp(`ENGINE = Replicated\\w*MergeTree\\('/clickhouse/tables/\\{shard\\}/\\{database\\}/${t}_local', '\\{replica\\}'`));
      expect(stmts).toContain(
        `CREATE TABLE IF NOT EXISTS ${t} ON CLUSTER \`tl\` AS ${t}_local ENGINE = Distributed('tl', currentDatabase(), '${t}_local', ${CLUSTER_SHARD_KEYS[t]})`,
      );
    }
  });

  it('keeps the version column of a ReplacingMergeTree and everything after the engine (keys, partitions, settings)', () => {
    const rollouts = cluster.flatMap((m) => m.statements).find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS rollouts_local'))!;
    expect(rollouts).toContain("ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/rollouts_local', '{replica}', version)");
    expect(rollouts.trimEnd()).toMatch(/\nORDER BY rollout_id$/);
    const traces = cluster.flatMap((m) => m.statements).find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS otel_traces_local'))!;
    expect(traces).toContain('PRIMARY KEY (ServiceName, SpanName, toDateTime(Timestamp))');
    expect(traces).toContain('SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1');
  });

  it('shards each ReplacingMergeTree table by a prefix of its ORDER BY key, so FINAL sees a row’s versions on one shard', () => {
    for (const stmt of MIGRATIONS.flatMap((m) => m.statements)) {
      const t = /^CREATE TABLE IF NOT EXISTS (\w+) \(/.exec(stmt.trim())?.[1];
      if (!t || !/ENGINE = Replacing/.test(stmt)) continue;
      const order =
        /ORDER BY \(?([\w, ]+)\)?/
          .exec(stmt)?.[1]
          ?.split(',')
          .map((c) => c.trim()) ?? [];
      const keyCols = /^cityHash64\(([\w, ]+)\)$/
        .exec(CLUSTER_SHARD_KEYS[t]!)?.[1]
        ?.split(',')
        .map((c) => c.trim());
      expect(keyCols, t).toBeDefined();
      expect(order.slice(0, keyCols!.length), t).toEqual(keyCols);
    }
  });

  it('points materialized views from local table to local table, so each node indexes its own inserts', () => {
    const mv = cluster.flatMap((m) => m.statements).find((s) => s.startsWith('CREATE MATERIALIZED VIEW'))!;
    expect(mv).toMatch(/^CREATE MATERIALIZED VIEW IF NOT EXISTS otel_traces_trace_id_ts_mv ON CLUSTER `tl` TO otel_traces_trace_id_ts_local AS SELECT/);
    expect(mv).toContain('FROM otel_traces_local\n');
  });

  it('applies storage settings to the local tables, and new columns to both tables', () => {
    expect(clusterStatement('ALTER TABLE llm_calls MODIFY SETTING merge_selector_base = 10', 'tl')).toEqual([
      'ALTER TABLE llm_calls_local ON CLUSTER `tl` MODIFY SETTING merge_selector_base = 10',
    ]);
    expect(clusterStatement("ALTER TABLE job_runs ADD COLUMN IF NOT EXISTS events String DEFAULT '[]'", 'tl')).toEqual([
      "ALTER TABLE job_runs_local ON CLUSTER `tl` ADD COLUMN IF NOT EXISTS events String DEFAULT '[]'",
      "ALTER TABLE job_runs ON CLUSTER `tl` ADD COLUMN IF NOT EXISTS events String DEFAULT '[]'",
    ]);
  });

  it('refuses what it has no form for: an unknown statement, a table without a sharding key, a cluster name that is not an identifier', () => {
    expect(() => clusterStatement('DROP TABLE otel_traces', 'tl')).toThrow(/no cluster form for DDL statement: DROP TABLE otel_traces/);
    expect(() => clusterStatement('CREATE TABLE IF NOT EXISTS scratch (a UInt8) ENGINE = MergeTree ORDER BY a', 'tl')).toThrow(
      /table scratch has no sharding key/,
    );
    expect(() => clusterStatement('CREATE TABLE IF NOT EXISTS rollouts (a UInt8) ENGINE = Memory', 'tl')).toThrow(/only \*MergeTree engines/);
    expect(() => clusterMigrations('tl`; DROP TABLE x; --')).toThrow(/is not a ClickHouse identifier/);
  });

  it('can leave out ON CLUSTER and replication, to lay the tables out on a single node', () => {
    const [localDdl, dist] = clusterMigrationsTableDdl('tl', { onCluster: false, replicated: false });
    expect(localDdl).toMatch(/^CREATE TABLE IF NOT EXISTS tracelight_migrations_local \(/);
    expect(localDdl).toContain('ENGINE = ReplacingMergeTree(applied_at)');
    expect(dist).toBe(
      "CREATE TABLE IF NOT EXISTS tracelight_migrations AS tracelight_migrations_local ENGINE = Distributed('tl', currentDatabase(), 'tracelight_migrations_local', cityHash64(id))",
    );
  });

  it('migrate --print lists the migrations table first, then every statement in order', () => {
    const single = migrationStatements();
    expect(single[0]).toMatch(/^CREATE TABLE IF NOT EXISTS tracelight_migrations /);
    expect(single).toHaveLength(1 + MIGRATIONS.reduce((n, m) => n + m.statements.length + (m.ifSupported?.length ?? 0), 0));
    const onCluster = migrationStatements('tl');
    expect(onCluster.slice(0, 2)).toEqual(clusterMigrationsTableDdl('tl'));
    expect(onCluster.every((s) => s.includes('ON CLUSTER `tl`'))).toBe(true);
  });
});
