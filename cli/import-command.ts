// `tracelight import clickhouse --since T [--until T]`: a backfill of training data from a Collector's
// ClickHouse exporter tables over a time range (what `serve --source clickhouse` does incrementally). Overlaps
// with earlier imports or with live ingest change nothing: derived rows are keyed by trace and span id.
import type { Command } from 'commander';
import { importCollectorWindow } from '../receiver/collector-source.js';
import { serverFor } from '../client/index.js';
import { Store, type StoreConfig } from '../store/index.js';
import { parseSince } from '../training/filters.js';
import { CliError } from './output.js';

export interface ImportWiring {
  withStoreOptions(cmd: Command): Command;
  storeConfig(o: Record<string, unknown>): StoreConfig;
}

export function registerImportCommand(program: Command, w: ImportWiring): void {
  const cmd = program.command('import').description("derive training data from telemetry another pipeline stored (a Collector's ClickHouse exporter tables)");
  w.withStoreOptions(
    cmd
      .command('clickhouse')
      .description("backfill: read otel_traces / otel_logs rows a Collector wrote over a time range and write the triplets' tables")
      .requiredOption('--since <time>', 'rows from this ISO time or epoch ms')
      .option('--until <time>', 'rows before this ISO time or epoch ms (default: now)')
      .option('--source-database <db>', "the Collector's database (default: the store's)")
      .option('--source-traces-table <table>', 'its traces table', 'otel_traces')
      .option('--source-logs-table <table>', 'its logs table', 'otel_logs'),
  ).action(
    async (o: Record<string, unknown> & { since: string; until?: string; sourceDatabase?: string; sourceTracesTable: string; sourceLogsTable: string }) => {
      const sinceNs = BigInt(parseSince(o.since));
      const untilNs = o.until ? BigInt(parseSince(o.until)) : BigInt(Date.now()) * 1_000_000n;
      if (untilNs <= sinceNs) throw new CliError('--until must be after --since');
      const cfg = w.storeConfig(o);
      if (!cfg.clickhouseUrl) {
        const owner = await serverFor({ store: cfg, storeExplicit: true });
        if (owner)
          throw new CliError(
            `the tracelight server at ${owner} owns the embedded store: run the import there (\`tracelight serve --source clickhouse\`), or stop it first`,
          );
      }
      const store = await Store.open(cfg);
      try {
        const tables = { database: o.sourceDatabase, traces: o.sourceTracesTable, logs: o.sourceLogsTable };
        const c = await importCollectorWindow(store, { tables, sinceNs, untilNs });
        process.stdout.write(`imported ${c.spans} spans and ${c.logs} log records: ${c.calls} LLM calls, ${c.rewards} rewards\n`);
      } finally {
        await store.close();
      }
    },
  );
}
