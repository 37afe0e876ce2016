#!/usr/bin/env node
// The `tracelight` command: thin wiring of the receiver and the store.
import { Command, Option } from 'commander';
import { keysFromConfig, parseApiKeys } from '../api/auth.js';
import { readConfigFile } from '../algorithms/apo/config.js';
import { DEFAULT_SERVER_OPTIONS, startServer, type ServerRole } from '../server/server.js';
import { VERSION } from '../server/version.js';
import { DEFAULT_BATCH_OPTIONS, DEFAULT_DATA_DIR, DEFAULT_SQL_LIMITS, migrationStatements, Store, type StoreConfig } from '../store/index.js';
import { chosenFormat, CliError, formatOption, renderObject, renderRows } from './output.js';
import { DEFAULT_SERVER_URL, recordServer, withClient, type ClientTarget } from '../client/index.js';
import { renderTranscript } from './transcript.js';
import { CollectorSource } from '../receiver/collector-source.js';
import { registerImportCommand } from './import-command.js';
import { clientDefaults } from './client-config.js';
import { registerRolloutQueueCommands, renderQueueState } from './rollouts-command.js';
import type { RolloutView } from '../schemas/rollouts.js';
import { registerResourcesCommands } from './resources-command.js';
import { checkJobsFile, registerTrainCommands, startJobScheduler } from './train-command.js';
import { registerDemoCommand } from './demo-command.js';
import { registerProxyCommand } from './proxy-command.js';
import { registerSimulatedModelCommand } from './simulated-model-command.js';
import { intArg, resourceRefArg, stopOnSignals } from './args.js';
import { createAglLlm } from '../instrumentation/proxy/gateway.js';
import { registerExportCommands } from './export-command.js';
import { parseAgentPattern, parseSince } from '../training/filters.js';
import type { TripletPage } from '../training/training-data.js';
import { REWARD_POLICIES, type RewardPolicy, type Rollout, type Triplet } from '../training/triplets.js';

const SERVER = DEFAULT_SERVER_OPTIONS;
const MB = 1024 * 1024;

const int = intArg;

interface StoreFlags {
  data?: string;
  clickhouseUrl?: string;
  clickhouseUser?: string;
  clickhousePassword?: string;
  clickhouseDatabase?: string;
  clickhouseCluster?: string;
}

function withStoreOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--data <dir>', 'embedded store directory').env('TRACELIGHT_DATA'))
    .addOption(new Option('--clickhouse-url <url>', 'use a ClickHouse server instead of the embedded store').env('TRACELIGHT_CLICKHOUSE_URL'))
    .addOption(new Option('--clickhouse-user <user>', 'ClickHouse user').env('TRACELIGHT_CLICKHOUSE_USER'))
    .addOption(new Option('--clickhouse-password <password>', 'ClickHouse password').env('TRACELIGHT_CLICKHOUSE_PASSWORD'))
    .addOption(new Option('--clickhouse-database <db>', 'ClickHouse database').env('TRACELIGHT_CLICKHOUSE_DATABASE'))
    .addOption(
      new Option('--clickhouse-cluster <name>', 'the tables are Replicated and Distributed on this ClickHouse cluster (see migrate --cluster)').env(
        'TRACELIGHT_CLICKHOUSE_CLUSTER',
      ),
    );
}

function storeConfig(f: StoreFlags): StoreConfig {
  return {
    dataDir: f.data ?? DEFAULT_DATA_DIR,
    clickhouseUrl: f.clickhouseUrl,
    clickhouseUser: f.clickhouseUser,
    clickhousePassword: f.clickhousePassword,
    clickhouseDatabase: f.clickhouseDatabase,
    ...(f.clickhouseCluster ? { cluster: f.clickhouseCluster } : {}),
  };
}

function describeStore(cfg: StoreConfig): string {
  if (!cfg.clickhouseUrl) return `embedded (chDB) in ${cfg.dataDir}`;
  return `ClickHouse server ${new URL(cfg.clickhouseUrl).origin}${cfg.cluster ? ` (cluster ${cfg.cluster})` : ''}`;
}

const program = new Command('tracelight')
  .description('Train AI agents from their OpenTelemetry traces.')
  .version(VERSION)
  // Program options (--version) only before the subcommand, so `resources get --version N` is the subcommand's.
  .enablePositionalOptions()
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (str, write) => write(str) });

withStoreOptions(
  program
    .command('serve')
    .description('run the OTLP receiver (HTTP 4318, gRPC 4317), the REST API, health and metrics')
    .addOption(new Option('--host <host>', 'address to listen on').default(SERVER.host).env('TRACELIGHT_HOST'))
    .addOption(
      new Option('--port <port>', 'OTLP/HTTP and REST API port')
        .default(SERVER.port)
        .argParser(int('--port', 0, 65535))
        .env('TRACELIGHT_PORT'),
    )
    .addOption(
      new Option('--grpc-port <port>', 'OTLP/gRPC port')
        .default(SERVER.grpcPort)
        .argParser(int('--grpc-port', 0, 65535))
        .env('TRACELIGHT_GRPC_PORT'),
    )
    .option('--no-grpc', 'do not serve OTLP/gRPC')
    .addOption(
      new Option(
        '--clickhouse-http-port <port>',
        "also serve the embedded store read-only over ClickHouse's HTTP interface on this port (for Grafana's ClickHouse data source; off by default)",
      )
        .argParser(int('--clickhouse-http-port', 0, 65535))
        .env('TRACELIGHT_CLICKHOUSE_HTTP_PORT'),
    )
    .addOption(
      new Option(
        '--api-key <key...>',
        'require "Authorization: Bearer <key>" on OTLP and REST; KEY grants every scope, "ingest+read:KEY" only those named (scopes: ingest, worker, read, admin; repeatable; env TRACELIGHT_API_KEYS, comma-separated)',
      ),
    )
    .option('--metrics-public', 'serve /metrics without a key (it needs the read scope otherwise)')
    .addOption(
      new Option('--max-items <n>', 'most spans or log records one OTLP request may carry')
        .default(SERVER.maxItemsPerRequest)
        .argParser(int('--max-items', 1, 10_000_000)),
    )
    .addOption(
      new Option('--sql-timeout-s <s>', 'longest a user SQL query may run')
        .default(DEFAULT_SQL_LIMITS.maxExecutionSeconds)
        .argParser(int('--sql-timeout-s', 1, 3600)),
    )
    .addOption(
      new Option('--sql-max-rows <n>', 'most rows a user SQL result may hold')
        .default(DEFAULT_SQL_LIMITS.maxResultRows)
        .argParser(int('--sql-max-rows', 1, 100_000_000)),
    )
    .addOption(
      new Option('--sql-max-memory-mb <mb>', 'most memory one user SQL query may use')
        .default(DEFAULT_SQL_LIMITS.maxMemoryBytes / MB)
        .argParser(int('--sql-max-memory-mb', 16, 1_048_576)),
    )
    .addOption(
      new Option('--max-body-mb <mb>', 'largest request body, after decompression').default(SERVER.maxBodyBytes / MB).argParser(int('--max-body-mb', 1, 1024)),
    )
    .addOption(
      new Option('--batch-rows <n>', 'insert when this many rows are buffered for a table')
        .default(DEFAULT_BATCH_OPTIONS.maxBatchRows)
        .argParser(int('--batch-rows', 1, 1_000_000)),
    )
    .addOption(
      new Option('--batch-interval-ms <ms>', 'insert at most this long after the first buffered row')
        .default(DEFAULT_BATCH_OPTIONS.flushIntervalMs)
        .argParser(int('--batch-interval-ms', 1, 60_000)),
    )
    .addOption(
      new Option('--max-buffer-mb <mb>', 'refuse with 429 beyond this much buffered data')
        .default(DEFAULT_BATCH_OPTIONS.maxBufferedBytes / MB)
        .argParser(int('--max-buffer-mb', 1, 16_384)),
    )
    .option('--log', 'log every request (JSON lines on stdout)')
    .option(
      '--no-raw',
      'do not store raw spans, log records and metrics (otel_traces, otel_logs, otel_metrics_*): a Collector already writes them; store only the training tables',
    )
    .addOption(
      new Option(
        '--source <source>',
        "also derive training data from a Collector's ClickHouse exporter tables in the store's ClickHouse, incrementally",
      ).choices(['clickhouse']),
    )
    .option('--source-database <db>', "with --source: the Collector's database (default: the store's)")
    .option('--source-traces-table <table>', 'with --source: its traces table', 'otel_traces')
    .option('--source-logs-table <table>', 'with --source: its logs table', 'otel_logs')
    .addOption(new Option('--source-interval-s <s>', 'with --source: seconds between passes').default(10).argParser(int('--source-interval-s', 1, 86_400)))
    .addOption(
      new Option('--source-lookback-min <m>', 'with --source: minutes re-read before the watermark each pass, for rows inserted late')
        .default(10)
        .argParser(int('--source-lookback-min', 0, 10_080)),
    )
    .option('--config <file>', 'run the training jobs of this file (jobs: with cron schedules; see README)')
    .addOption(
      new Option('--role <role>', 'all: serve everything; receiver: OTLP ingest, health and metrics only, beside one owner (see README: Deploy)')
        .choices(['all', 'receiver'])
        .default('all')
        .env('TRACELIGHT_ROLE'),
    )
    .addOption(new Option('--owner-url <url>', 'with --role receiver: the serving process that owns the rollout queue').env('TRACELIGHT_OWNER_URL'))
    .addOption(new Option('--owner-api-key <key>', 'with --role receiver: a key of the owner with the ingest scope').env('TRACELIGHT_OWNER_API_KEY'))
    .addOption(
      new Option(
        '--agl-llm-resource <name[@label|@version]>',
        'Agent Lightning v1 gateway: the llm resource each new rollout pins (default label production); the proxy route calls its endpoint',
      )
        .argParser(resourceRefArg('--agl-llm-resource'))
        .env('TRACELIGHT_AGL_LLM_RESOURCE'),
    )
    .addOption(
      new Option(
        '--agl-model <name>',
        'Agent Lightning v1 gateway: the model asked of servers registered with POST /api/models (default: the first registered)',
      ).env('TRACELIGHT_AGL_MODEL'),
    ),
).action(
  async (
    o: StoreFlags & {
      host: string;
      port: number;
      grpcPort: number;
      grpc: boolean;
      clickhouseHttpPort?: number;
      apiKey?: string[];
      metricsPublic?: boolean;
      maxItems: number;
      sqlTimeoutS: number;
      sqlMaxRows: number;
      sqlMaxMemoryMb: number;
      maxBodyMb: number;
      batchRows: number;
      batchIntervalMs: number;
      maxBufferMb: number;
      log?: boolean;
      raw: boolean;
      source?: 'clickhouse';
      sourceDatabase?: string;
      sourceTracesTable: string;
      sourceLogsTable: string;
      sourceIntervalS: number;
      sourceLookbackMin: number;
      config?: string;
      role: ServerRole;
      ownerUrl?: string;
      ownerApiKey?: string;
      aglLlmResource?: { name: string; ref: string | number };
      aglModel?: string;
    },
  ) => {
    if (o.role === 'receiver') {
      if (o.config) throw new CliError('--config: training jobs run in the owner process, not in a receiver (--role receiver)');
      if (o.source) throw new CliError('--source: the Collector tables are read by the owner process, not by a receiver (--role receiver)');
    } else if (o.ownerUrl) throw new CliError('--owner-url is for --role receiver');
    const jobCount = o.config ? checkJobsFile(o.config) : 0;
    let fileKeys: ReturnType<typeof keysFromConfig> = [];
    if (o.config) {
      try {
        fileKeys = keysFromConfig(readConfigFile(o.config));
      } catch (err) {
        throw new CliError(`invalid config: ${o.config}: ${(err as Error).message}`);
      }
    }
    const apiKeys = [...parseApiKeys(o.apiKey, process.env.TRACELIGHT_API_KEYS), ...fileKeys];
    const store = storeConfig(o);
    store.batch = { maxBatchRows: o.batchRows, flushIntervalMs: o.batchIntervalMs, maxBufferedBytes: o.maxBufferMb * 1024 * 1024 };
    store.raw = o.raw;
    store.sqlLimits = { maxExecutionSeconds: o.sqlTimeoutS, maxResultRows: o.sqlMaxRows, maxMemoryBytes: o.sqlMaxMemoryMb * 1024 * 1024 };
    const server = await startServer({
      host: o.host,
      port: o.port,
      grpcPort: o.grpc ? o.grpcPort : null,
      clickhouseHttpPort: o.clickhouseHttpPort ?? SERVER.clickhouseHttpPort,
      role: o.role,
      ...(o.ownerUrl ? { owner: { url: o.ownerUrl, ...(o.ownerApiKey ? { apiKey: o.ownerApiKey } : {}) } } : {}),
      apiKeys,
      metricsPublic: o.metricsPublic ?? false,
      maxItemsPerRequest: o.maxItems,
      maxBodyBytes: o.maxBodyMb * 1024 * 1024,
      store,
      logger: o.log ?? false,
      agl: { llm: createAglLlm, resource: o.aglLlmResource ?? null, model: o.aglModel ?? null },
    });
    const sourceTables = o.source ? { database: o.sourceDatabase, traces: o.sourceTracesTable, logs: o.sourceLogsTable } : null;
    const lines = [
      `tracelight listening`,
      `  OTLP/HTTP  ${server.httpUrl}  (OTEL_EXPORTER_OTLP_ENDPOINT=${server.httpUrl})`,
      server.grpcPort !== null ? `  OTLP/gRPC  ${o.host}:${server.grpcPort}` : '  OTLP/gRPC  off',
      o.role === 'receiver'
        ? `  role       receiver: OTLP only; heartbeats from spans go to ${o.ownerUrl}, which serves the REST API   metrics ${server.httpUrl}/metrics`
        : `  REST API   ${server.httpUrl}/api/v1/   metrics ${server.httpUrl}/metrics`,
      ...(o.role === 'receiver'
        ? []
        : [
            `  AGL store  ${server.httpUrl}/v1/agl/  (Agent Lightning 0.3 LightningStore API)`,
            `  AGL v1     ${server.httpUrl}/api/rollouts, /api/models, /proxy/rollout/…  (models: ${o.aglLlmResource ? `llm resource ${o.aglLlmResource.name}@${o.aglLlmResource.ref}` : 'servers registered with POST /api/models'})`,
          ]),
      ...(server.clickhouseHttpUrl !== null
        ? [
            `  ClickHouse ${server.clickhouseHttpUrl}  (read-only HTTP interface; ${apiKeys.length > 0 ? 'password: an API key with the read scope' : 'open: no API keys, anyone who reaches the port can read the store'})`,
          ]
        : []),
      `  store      ${describeStore(store)}`,
      ...(o.raw
        ? []
        : [
            '  raw spans  not stored (--no-raw): otel_traces, otel_logs and otel_metrics_* are left to the Collector (metrics are accepted, not stored); only the training tables are written',
          ]),
      ...(sourceTables
        ? [
            `  source     ${sourceTables.database ? `${sourceTables.database}.` : ''}${sourceTables.traces} + ${sourceTables.logs} every ${o.sourceIntervalS} s (look-back ${o.sourceLookbackMin} min)`,
          ]
        : []),
      `  auth       ${apiKeys.length > 0 ? `API key required (${apiKeys.length} key${apiKeys.length === 1 ? '' : 's'})` : 'off'}`,
      ...(o.config && jobCount > 0 ? [`  jobs       ${jobCount} from ${o.config}`] : []),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    const scheduler = o.config ? startJobScheduler(server, o.config, (l) => process.stdout.write(`tracelight: ${l}\n`)) : null;
    // Commands run on this data directory find this server through it (the embedded store allows one process).
    const unrecord = recordServer(store, server.httpUrl);
    const source = sourceTables
      ? new CollectorSource(server.store, {
          tables: sourceTables,
          intervalMs: o.sourceIntervalS * 1000,
          lookbackMs: o.sourceLookbackMin * 60_000,
          onError: (err) => process.stderr.write(`tracelight: source: ${err.message.split('\n')[0]} (retried in ${o.sourceIntervalS} s)\n`),
        })
      : null;
    source?.start();
    stopOnSignals('draining buffered data into the store', async () => {
      unrecord();
      await source?.stop();
      await scheduler?.stop();
      await server.close();
    });
  },
);

withStoreOptions(
  program
    .command('migrate')
    .description('create or upgrade the ClickHouse tables (idempotent)')
    .option('--cluster <name>', 'create them ON CLUSTER: Replicated* tables <name>_local on every node, Distributed tables <name> over them')
    .option('--print', 'print the DDL instead of running it'),
).action(async (o: StoreFlags & { cluster?: string; print?: boolean }) => {
  const cfg = storeConfig({ ...o, clickhouseCluster: o.cluster ?? o.clickhouseCluster });
  if (o.print) {
    for (const stmt of migrationStatements(cfg.cluster)) process.stdout.write(`${stmt};\n\n`);
    return;
  }
  const res = await Store.migrateOnly(cfg);
  const names = res.applied.map((m) => `${m.id} ${m.name}`);
  process.stdout.write(
    names.length ? `applied ${names.length} migration(s) to ${describeStore(cfg)}: ${names.join(', ')}\n` : `${describeStore(cfg)} is up to date\n`,
  );
});

withStoreOptions(
  program
    .command('sql')
    .description('run a read-only SQL query (through a running server, or directly on the store)')
    .argument('<query>', 'SELECT / WITH / SHOW / DESCRIBE / EXPLAIN statement; bind values as {name:Type}')
    .addOption(
      new Option('--server <url>', `query through this tracelight server (default: the one serving --data, else ${DEFAULT_SERVER_URL} when it is running)`).env(
        'TRACELIGHT_URL',
      ),
    )
    .option('--param <name=value...>', 'bind a query parameter (repeatable)')
    .addOption(new Option('--api-key <key>', 'API key for --server').env('TRACELIGHT_API_KEY'))
    .addOption(formatOption()),
).action(async (query: string, o: StoreFlags & { server?: string; param?: string[]; apiKey?: string; format?: string }) => {
  const format = chosenFormat(o.format);
  const params: Record<string, string> = {};
  for (const p of o.param ?? []) {
    const i = p.indexOf('=');
    if (i <= 0) throw new CliError(`--param must look like name=value, got "${p}"`);
    params[p.slice(0, i)] = p.slice(i + 1);
  }
  const rows = await withClient(
    {
      server: o.server,
      apiKey: o.apiKey,
      store: storeConfig(o),
      storeExplicit: Boolean(o.data || o.clickhouseUrl),
      read: true,
    },
    (client) => client.sql(query, params),
  );
  process.stdout.write(renderRows(rows, format));
});

interface ReadFlags extends StoreFlags {
  server?: string;
  apiKey?: string;
}

function withReadOptions(cmd: Command): Command {
  return withStoreOptions(
    cmd
      .addOption(
        new Option('--server <url>', `go through this tracelight server (default: the one serving --data, else ${DEFAULT_SERVER_URL} when it is running)`).env(
          'TRACELIGHT_URL',
        ),
      )
      .addOption(new Option('--api-key <key>', 'API key for the server').env('TRACELIGHT_API_KEY')),
  );
}

/** Where a command's client goes; a reading command does not create an embedded store that is not there. */
function targetFlags(o: ReadFlags, read = true): ClientTarget {
  const storeExplicit = Boolean(o.data || o.clickhouseUrl);
  // Flags and the environment first; the settings file only when neither names a server or a store.
  const file = o.server || storeExplicit ? {} : clientDefaults();
  return { server: o.server || file.server, apiKey: o.apiKey ?? file.apiKey, store: storeConfig(o), storeExplicit, read };
}

function tripletRow(t: Triplet): Record<string, unknown> {
  const last = t.prompt[t.prompt.length - 1];
  const text = (parts: { type: string; content?: unknown; name?: unknown }[] | undefined): string =>
    (parts ?? []).map((p) => (p.type === 'text' ? String(p.content ?? '') : p.type === 'tool_call' ? `→${String(p.name)}()` : `(${p.type})`)).join(' ');
  return {
    rollout: t.rollout_id,
    step: t.step,
    agent: t.agent,
    model: t.model,
    last_prompt_message: last ? `${last.role}: ${text(last.parts as { type: string }[])}` : '',
    response: t.response ? text(t.response.parts as { type: string }[]) : '',
    reward: t.reward,
  };
}

withReadOptions(
  program
    .command('triplets')
    .description('print (prompt, response, reward) triplets, one JSON object per line with --format jsonl')
    .option('--rollout <id>', 'only this rollout')
    .option('--agent <regex>', 'only calls whose agent name matches (RE2 syntax, run by ClickHouse)')
    .option('--since <time>', 'only rollouts with calls since this ISO time or epoch ms')
    .addOption(new Option('--policy <policy>', 'how rewards are assigned to calls').choices([...REWARD_POLICIES]).default('final'))
    .addOption(new Option('--limit <n>', 'traces per page when paging (all pages are printed)').default(500).argParser(int('--limit', 1, 10_000)))
    .addOption(formatOption()),
).action(async (o: ReadFlags & { rollout?: string; agent?: string; since?: string; policy: RewardPolicy; limit: number; format?: string }) => {
  const format = chosenFormat(o.format);
  const agent = o.agent ? parseAgentPattern(o.agent) : undefined;
  const sinceNs = o.since ? parseSince(o.since) : undefined;
  const all: Triplet[] = [];
  await withClient(targetFlags(o), async (client) => {
    let cursor: string | undefined;
    do {
      const page: TripletPage = await client.triplets({ rollout: o.rollout, agent, sinceNs, policy: o.policy, limit: o.limit, cursor });
      // JSON lines stream page by page; the other formats need every row first.
      if (format === 'jsonl') process.stdout.write(renderRows(page.triplets as unknown as Record<string, unknown>[], 'jsonl'));
      else all.push(...page.triplets);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  });
  if (format === 'json') process.stdout.write(renderRows(all as unknown as Record<string, unknown>[], 'json'));
  if (format === 'table') process.stdout.write(renderRows(all.map(tripletRow), 'table'));
});

const rollouts = program.command('rollouts').description('the rollout queue (enqueue, list, cancel) and rollout transcripts (show)');
withReadOptions(
  rollouts
    .command('show')
    .description('print one rollout: its queue status and attempts (when it was queued), then a readable transcript of its LLM calls, tool use and rewards')
    .argument('<rollout-id>', 'a rollout id (tracelight.rollout.id, a conversation id, or a trace id)')
    .addOption(formatOption('table', 'table: queue state and a readable transcript')),
).action(async (id: string, o: ReadFlags & { format?: string }) => {
  const [rollout, queued]: [Rollout | null, RolloutView | null] = await withClient(targetFlags(o), (client) =>
    Promise.all([client.rollout(id), client.queue.get(id)]),
  );
  if (!rollout && !queued) throw new CliError(`no LLM calls or rewards are stored for rollout ${id}, and the rollout queue has no such rollout`);
  process.stdout.write(
    renderObject(
      queued ? { ...(rollout ?? { rollout_id: id }), queue: queued } : rollout,
      chosenFormat(o.format),
      () =>
        (queued ? `${renderQueueState(queued)}\n` : '') + (rollout ? renderTranscript(rollout) : 'no LLM calls or rewards are stored for this rollout yet\n'),
    ),
  );
});
registerRolloutQueueCommands(rollouts, { withReadOptions, targetFlags });

registerResourcesCommands(program, withReadOptions, targetFlags);
registerExportCommands(program, { withReadOptions, targetFlags: (o) => targetFlags(o as ReadFlags) });
registerTrainCommands(program, { withStoreOptions, storeConfig: (o) => storeConfig(o as StoreFlags), targetFlags: (o) => targetFlags(o as ReadFlags) });
registerDemoCommand(program);
registerProxyCommand(program);
registerSimulatedModelCommand(program);
registerImportCommand(program, { withStoreOptions, storeConfig: (o) => storeConfig(o as StoreFlags) });

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`tracelight: ${err.message.split('\n')[0]}\n`);
  process.exit(1);
});
