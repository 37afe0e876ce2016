// Applies the numbered migrations from schemas/ once each. Every statement is idempotent
// (IF NOT EXISTS), so a run interrupted halfway is simply run again.
import { MIGRATIONS, MIGRATIONS_TABLE_DDL, type Migration } from '../schemas/migrations.js';
import { StoreError, type Driver } from './driver.js';

/** ClickHouse's error code for a setting the engine does not know. */
const UNKNOWN_SETTING = 115;

export interface MigrationResult {
  applied: Migration[];
  alreadyApplied: number;
}

/** `tableDdl`: the statements that create the migrations table (one on a single node, two on a cluster). */
export async function migrate(
  driver: Driver,
  migrations: Migration[] = MIGRATIONS,
  tableDdl: readonly string[] = [MIGRATIONS_TABLE_DDL],
): Promise<MigrationResult> {
  for (const stmt of tableDdl) await driver.exec(stmt);
  const done = await driver.query<{ id: number }>('SELECT DISTINCT id FROM tracelight_migrations');
  const doneIds = new Set(done.map((r) => Number(r.id)));
  const applied: Migration[] = [];
  for (const m of [...migrations].sort((a, b) => a.id - b.id)) {
    if (doneIds.has(m.id)) continue;
    for (const stmt of m.statements) await driver.exec(stmt);
    for (const stmt of m.ifSupported ?? []) {
      try {
        await driver.exec(stmt);
      } catch (err) {
        if (!(err instanceof StoreError && err.code === UNKNOWN_SETTING)) throw err;
      }
    }
    await driver.exec('INSERT INTO tracelight_migrations (id, name) VALUES ({id:UInt32}, {name:String})', { id: m.id, name: m.name });
    applied.push(m);
  }
  return { applied, alreadyApplied: doneIds.size };
}
