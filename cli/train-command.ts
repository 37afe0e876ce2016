// `tracelight train apo --config FILE`: one APO run, recorded in job_runs; `tracelight train runs`: the record.
// The run happens in this process. When a tracelight server owns the store (or --server names one), it goes
// through that server like any client: its resources, its rollout queue (where the workers already are), its
// record of runs. Otherwise this process opens the store, and ACTIVE evaluation serves the rollout queue here
// (on --port) for the workers that run the agent.
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../algorithms/apo/config.js';
import { runJob } from '../algorithms/jobs/run-job.js';
import { jobFromFile, jobsFromFile } from '../algorithms/jobs/spec.js';
import { ALGORITHMS } from '../algorithms/registry.js';
import { Scheduler } from '../algorithms/jobs/scheduler.js';
import { DEFAULT_SERVER_OPTIONS, startServer, type RunningServer } from '../server/server.js';
import { JobRunStore } from '../store/job-runs.js';
import { Store, type StoreConfig } from '../store/index.js';
import { DEFAULT_SERVER_URL, HttpClient, LocalClient, serverFor, withClient, type ClientTarget, type TracelightClient } from '../client/index.js';
import { apoPorts, portsFor } from './apo-ports.js';
import { progress } from './apo-progress.js';
import { runToyExample } from './rl-example.js';
import { intArg } from './args.js';
import { chosenFormat, CliError, formatOption, renderRows, type OutputFormat } from './output.js';

export interface TrainWiring {
  withStoreOptions(cmd: Command): Command;
  storeConfig(o: Record<string, unknown>): StoreConfig;
  targetFlags(o: Record<string, unknown>): ClientTarget;
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('--port must be an integer from 0 to 65535');
  return n;
}

const count = (flag: string, min = 1): ((v: string) => number) => intArg(flag, min, 100_000);

/** Reads a config, turning its errors into one clear CLI line. */
function load<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`invalid config: ${err.message}`);
    throw err;
  }
}

/** `serve --config FILE`: the file's jobs on their schedules, in the serving process. */
export function startJobScheduler(server: RunningServer, file: string, log: (line: string) => void): Scheduler {
  const jobs = load(() => jobsFromFile(file));
  const scheduler = new Scheduler(jobs, new JobRunStore(server.store.driver), portsFor(server), {
    onStart: (job) => log(`job ${job.name}: starting`),
    onOverlap: (job) => log(`job ${job.name}: still running, this tick is skipped`),
    onFinish: (job, o) =>
      log(
        `job ${job.name}: run ${o.run.run_id} ${o.run.status}${o.run.error ? ` (${o.run.error})` : ''}${o.result?.best != null ? `, validation ${o.result.baseline?.toFixed(3)} → ${o.result.best.toFixed(3)}` : ''}`,
      ),
    onError: (job, err) => log(`job ${job.name}: ${err.message}`),
  });
  scheduler.start();
  return scheduler;
}

/** Validates a serve config before the server starts (so a bad file fails fast). */
export function checkJobsFile(file: string): number {
  return load(() => jobsFromFile(file)).length;
}

export function registerTrainCommands(program: Command, w: TrainWiring): void {
  const train = program.command('train').description(`run a training job now (${ALGORITHMS.map((a) => a.name).join(', ')}), and look at past runs`);

  for (const algorithm of ALGORITHMS) {
    const rl = algorithm.name === 'grpo' || algorithm.name === 'sft';
    const cmd = train.command(algorithm.name).description(algorithm.summary).option('--config <file>', 'the job: YAML or JSON (see README, "Training")');
    if (rl) {
      cmd
        .addOption(
          new Option('--example <name>', 'run the built-in example instead of a config: a from-scratch model learns a toy task on this machine').choices([
            'toy',
          ]),
        )
        .addOption(new Option('--iterations <n>', 'with --example: iterations').default(8).argParser(count('--iterations')))
        .addOption(
          new Option('--rollouts-per-task <n>', 'with --example: rollouts of each task per iteration').default(8).argParser(count('--rollouts-per-task')),
        )
        .option('--dir <dir>', 'with --example: where its store, checkpoints and the trainer venv go (default: a new temporary folder)')
        .option('--python <path>', 'with --example: a Python that has torch (default: python3 if it has, else a venv made once in --dir)')
        .addOption(new Option('--seed <n>', 'with --example: seed of the model created from scratch').default(0).argParser(count('--seed', 0)));
    }
    w.withStoreOptions(
      cmd
        .option('--promote', "move the production label to the winner (default: only the candidate label, unless the config's promotion rule holds)")
        .addOption(formatOption('table', 'table: progress; jsonl: one JSON object per event; json: the run record and result at the end'))
        .addOption(new Option('--server <url>', 'run through this tracelight server (default: the one serving --data, when one runs)').env('TRACELIGHT_URL'))
        .addOption(new Option('--api-key <key>', 'API key for the server (admin scope)').env('TRACELIGHT_API_KEY'))
        .addOption(new Option('--host <host>', 'when workers run the agent: address the rollout queue listens on').default(DEFAULT_SERVER_OPTIONS.host))
        .addOption(
          new Option('--port <port>', 'when workers run the agent: port of the rollout queue and OTLP/HTTP')
            .default(DEFAULT_SERVER_OPTIONS.port)
            .argParser(port),
        ),
    ).action(async (o: Record<string, unknown> & { config?: string; promote?: boolean; format?: string; host: string; port: number; example?: string }) => {
      const format: OutputFormat = chosenFormat(o.format ?? 'table');
      if (o.example !== undefined) {
        const p = progress(format);
        const say = (line: string): void => {
          if (format === 'table') process.stdout.write(`${line}\n`);
        };
        let outcome;
        try {
          outcome = await runToyExample({
            algorithm: algorithm.name as 'grpo' | 'sft',
            iterations: o.iterations as number,
            rolloutsPerTask: (o.rolloutsPerTask as number | undefined) ?? (algorithm.name === 'sft' ? 16 : 8),
            dir: o.dir as string | undefined,
            python: o.python as string | undefined,
            seed: o.seed as number,
            emit: p.emit,
            say,
          });
        } finally {
          p.done();
        }
        if (outcome.run.status === 'failed') throw new CliError(`run ${outcome.run.run_id} failed: ${outcome.run.error}`);
        return;
      }
      if (o.config === undefined) throw new CliError(`train ${algorithm.name}: give --config FILE${rl ? ' (or --example toy)' : ''}`);
      const config = o.config;
      const job = load(() => jobFromFile(algorithm.name, config));
      const cfg = w.storeConfig(o);
      const flags = w.targetFlags(o);
      // A running server owns the embedded store (one process per data directory): the run then goes through
      // it, like any client (its resources, its rollout queue, its record of runs). So does an explicit --server.
      const remote = flags.server || !cfg.clickhouseUrl ? await serverFor(flags) : null;
      const p = progress(format);
      let server: RunningServer | null = null;
      let client: TracelightClient;
      if (remote !== null) {
        client = new HttpClient(remote, flags.apiKey);
        if (format === 'table' && algorithm.needsWorkers(job.config))
          process.stdout.write(
            `running through the tracelight server at ${remote}: workers running the agent connect there (OTEL_EXPORTER_OTLP_ENDPOINT=${remote})\n`,
          );
      } else if (algorithm.needsWorkers(job.config)) {
        server = await startServer({ host: o.host, port: o.port, grpcPort: null, store: cfg });
        client = new LocalClient(server.store, server.queue ? { queue: server.queue } : {});
        if (format === 'table')
          process.stdout.write(
            `rollout queue and OTLP/HTTP at ${server.httpUrl}: workers running the agent connect here (OTEL_EXPORTER_OTLP_ENDPOINT=${server.httpUrl})\n`,
          );
      } else {
        client = new LocalClient(await Store.open(cfg), { ownsStore: true });
      }
      let outcome;
      try {
        outcome = await runJob(job, client.runs, apoPorts(client), { trigger: 'manual', promote: o.promote === true, emit: p.emit });
      } finally {
        p.done();
        await client.close();
        await server?.close();
      }
      if (format === 'json') process.stdout.write(`${JSON.stringify({ run: outcome.run, result: outcome.result }, null, 2)}\n`);
      if (outcome.run.status === 'failed') throw new CliError(`run ${outcome.run.run_id} failed: ${outcome.run.error}`);
    });
  }

  w.withStoreOptions(
    train
      .command('runs')
      .description('past runs of training jobs (job_runs): status, window, metrics, error')
      .option('--job <name>', 'only this job')
      .option('--limit <n>', 'most recent runs', '20')
      .addOption(
        new Option(
          '--server <url>',
          `read through this tracelight server (default: the one serving --data, else ${DEFAULT_SERVER_URL} when it is running)`,
        ).env('TRACELIGHT_URL'),
      )
      .addOption(new Option('--api-key <key>', 'API key for the server').env('TRACELIGHT_API_KEY'))
      .addOption(formatOption()),
  ).action(async (o: Record<string, unknown> & { job?: string; limit: string; format?: string }) => {
    const format = chosenFormat(o.format);
    const rows = await withClient(w.targetFlags(o), (client) =>
      client.sql(
        `SELECT run_id, job, status, trigger, started_at, ended_at,
              metrics['baseline'] AS baseline, metrics['best'] AS best, metrics['rollouts'] AS rollouts,
              toString(toUnixTimestamp64Nano(window_start)) AS window_start_ns, toString(toUnixTimestamp64Nano(window_end)) AS window_end_ns, error
       FROM (SELECT * FROM job_runs WHERE ({job:String} = '' OR job = {job:String}) ORDER BY version DESC LIMIT 1 BY job, run_id)
       ORDER BY started_at DESC, run_id DESC LIMIT {limit:UInt32}`,
        { job: o.job ?? '', limit: String(Number(o.limit) || 20) },
      ),
    );
    process.stdout.write(renderRows(rows, format));
  });
}
