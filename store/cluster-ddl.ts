// The cluster form of the migrations (`tracelight migrate --cluster NAME`): each table becomes a Replicated*
// table `<name>_local` on every node (ON CLUSTER) plus a Distributed table `<name>` over it, sharded as
// schemas/cluster.ts says. The statements are derived from the single-node migrations, so the two schemas
// cannot drift; a statement of a shape this does not know is refused rather than guessed at.
import { CLUSTER_LOCAL_SUFFIX, CLUSTER_SHARD_KEYS } from '../schemas/cluster.js';
import { MIGRATIONS, MIGRATIONS_TABLE_DDL, type Migration } from '../schemas/migrations.js';
import { TracelightError } from '../schemas/errors.js';

export interface ClusterDdlOptions {
  /** Add `ON CLUSTER` to every statement (default true). False runs them on one node, e.g. to check the layout. */
  onCluster?: boolean;
  /** Replicated* engines (default true); false keeps the plain engines, for shards without replicas or Keeper. */
  replicated?: boolean;
}

const CLUSTER_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS (\w+) \(/;
const CREATE_MV = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+)\s+TO (\w+)\s+AS\s/;
const ALTER = /^ALTER TABLE (\w+) (MODIFY SETTING|ADD COLUMN) /;

export function validClusterName(name: string): string {
  if (!CLUSTER_NAME.test(name)) throw new TracelightError('invalid', `cluster name ${JSON.stringify(name)} is not a ClickHouse identifier`);
  return name;
}

const local = (table: string): string => `${table}${CLUSTER_LOCAL_SUFFIX}`;

function shardKey(table: string): string {
  const key = CLUSTER_SHARD_KEYS[table];
  if (!key) throw new TracelightError('internal', `table ${table} has no sharding key in schemas/cluster.ts, so it has no cluster form`);
  return key;
}

/** Index just past the parenthesis that closes the one at `open`. */
function closeParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '(') depth++;
    else if (s[i] === ')' && --depth === 0) return i + 1;
  }
  throw new TracelightError('internal', `unbalanced parentheses in DDL: ${s.slice(0, 80)}`);
}

function createTable(stmt: string, table: string, cluster: string, opts: Required<ClusterDdlOptions>): string[] {
  const on = opts.onCluster ? ` ON CLUSTER \`${cluster}\`` : '';
  const columnsEnd = closeParen(stmt, stmt.indexOf('('));
  const rest = stmt.slice(columnsEnd);
  const engine = /^\s*ENGINE = (\w+)/.exec(rest);
  if (!engine?.[1]?.endsWith('MergeTree')) throw new TracelightError('internal', `table ${table}: only *MergeTree engines have a cluster form`);
  const afterName = engine[0].length;
  let args = '';
  let tail = rest.slice(afterName);
  if (tail.startsWith('(')) {
    const end = closeParen(tail, 0);
    args = tail.slice(1, end - 1);
    tail = tail.slice(end);
  }
  const engineSql = opts.replicated
    ? `Replicated${engine[1]}('/clickhouse/tables/{shard}/{database}/${local(table)}', '{replica}'${args ? `, ${args}` : ''})`
    : `${engine[1]}${args ? `(${args})` : ''}`;
  return [
    `CREATE TABLE IF NOT EXISTS ${local(table)}${on} ${stmt.slice(stmt.indexOf('('), columnsEnd)} ENGINE = ${engineSql}${tail}`,
    `CREATE TABLE IF NOT EXISTS ${table}${on} AS ${local(table)} ENGINE = Distributed('${cluster}', currentDatabase(), '${local(table)}', ${shardKey(table)})`,
  ];
}

/** One single-node statement as the statements of its cluster form. */
export function clusterStatement(stmt: string, cluster: string, options: ClusterDdlOptions = {}): string[] {
  const opts = { onCluster: true, replicated: true, ...options };
  const on = opts.onCluster ? ` ON CLUSTER \`${cluster}\`` : '';
  const text = stmt.trim();
  const table = CREATE_TABLE.exec(text);
  if (table?.[1]) return createTable(text, table[1], cluster, opts);
  const mv = CREATE_MV.exec(text);
  if (mv?.[1] && mv[2]) {
    // The view fires on each node's inserts into its local table and writes the node's local target, so a
    // trace's rows and their time range stay on one shard.
    const select = text.slice(mv[0].length);
    const sources = [...select.matchAll(/\bFROM (\w+)/g)];
    const source = sources[0]?.[1];
    if (sources.length !== 1 || !source) throw new TracelightError('internal', `materialized view ${mv[1]}: expected one FROM table`);
    shardKey(source);
    shardKey(mv[2]);
    const localSelect = select.replace(/\bFROM (\w+)/, `FROM ${local(source)}`);
    return [`CREATE MATERIALIZED VIEW IF NOT EXISTS ${mv[1]}${on} TO ${local(mv[2])} AS ${localSelect}`];
  }
  const alter = ALTER.exec(text);
  if (alter?.[1] && alter[2]) {
    shardKey(alter[1]);
    const change = text.slice(`ALTER TABLE ${alter[1]} `.length);
    const onLocal = `ALTER TABLE ${local(alter[1])}${on} ${change}`;
    // Storage settings concern the tables that store; a new column is needed on both, or the Distributed
    // table would not know it.
    return alter[2] === 'ADD COLUMN' ? [onLocal, `ALTER TABLE ${alter[1]}${on} ${change}`] : [onLocal];
  }
  throw new TracelightError('internal', `no cluster form for DDL statement: ${text.slice(0, 80)}`);
}

/** The migrations in their cluster form, same ids and names, so one store records either kind the same way. */
export function clusterMigrations(cluster: string, options: ClusterDdlOptions = {}, migrations: readonly Migration[] = MIGRATIONS): Migration[] {
  validClusterName(cluster);
  return migrations.map((m) => ({
    id: m.id,
    name: m.name,
    statements: m.statements.flatMap((s) => clusterStatement(s, cluster, options)),
    ...(m.ifSupported ? { ifSupported: m.ifSupported.flatMap((s) => clusterStatement(s, cluster, options)) } : {}),
  }));
}

/** The migrations table itself, replicated like the rest, so every node sees what has been applied. */
export function clusterMigrationsTableDdl(cluster: string, options: ClusterDdlOptions = {}): string[] {
  return clusterStatement(MIGRATIONS_TABLE_DDL, validClusterName(cluster), options);
}

/** Every statement `tracelight migrate` would run on an empty store, in order (`migrate --print`). */
export function migrationStatements(cluster?: string): string[] {
  const tableDdl = cluster ? clusterMigrationsTableDdl(cluster) : [MIGRATIONS_TABLE_DDL];
  const migrations = cluster ? clusterMigrations(cluster) : MIGRATIONS;
  return [...tableDdl, ...migrations.flatMap((m) => [...m.statements, ...(m.ifSupported ?? [])])];
}
