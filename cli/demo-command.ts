// `tracelight demo`: the whole loop on one machine with nothing configured. This process starts tracelight on
// the embedded store (./.tracelight) and — unless OPENAI_BASE_URL points at a real one — the SIMULATED model;
// it spawns the example agent (examples/arithmetic-agent: the openai SDK with stock OpenTelemetry
// instrumentation, reporting reward()) as a worker of the rollout queue; then runs APO with ACTIVE evaluation
// on generated arithmetic word problems starting from a deliberately weak prompt, and prints the baseline and
// best validation reward, the rollouts spent, the prompt diff, and how to look at the data.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { diffLines } from 'diff';
import { parseApoConfig, type ApoConfigInput } from '../algorithms/apo/config.js';
import type { ApoResult } from '../algorithms/apo/run.js';
import { runJob } from '../algorithms/jobs/run-job.js';
import type { JobDefinition } from '../algorithms/jobs/spec.js';
import { startSimulatedModel, type SimulatedModelServer } from '../examples/simulated-model/index.js';
import { generateTasks } from '../examples/arithmetic-agent/tasks.js';
import { startServer, type RunningServer } from '../server/server.js';
import { JobRunStore } from '../store/job-runs.js';
import { ResourceStore } from '../store/resources.js';
import { DEFAULT_DATA_DIR } from '../store/index.js';
import { progress } from './apo-progress.js';
import { intArg } from './args.js';
import { chosenFormat, CliError, formatOption, renderObject, type OutputFormat } from './output.js';
import { portsFor } from './apo-ports.js';

export const DEMO_RESOURCE = 'arithmetic-prompt';
/** Deliberately weak: no output format, no request to reason. */
export const WEAK_PROMPT = 'Solve this math problem: {{question}}';

interface DemoOptions {
  format?: string;
  data?: string;
  port: number;
  train: number;
  validation: number;
  test: number;
  budget: number;
  rounds: number;
  promote?: boolean;
  concurrency: number;
}

function workerEntry(): { file: string; args: string[] } {
  const js = fileURLToPath(new URL('../examples/arithmetic-agent/worker.js', import.meta.url));
  if (existsSync(js)) return { file: js, args: [js] };
  // Running from source (tsx): the worker is TypeScript too.
  const ts = fileURLToPath(new URL('../examples/arithmetic-agent/worker.ts', import.meta.url));
  return { file: ts, args: ['--import', 'tsx', ts] };
}

function startWorker(env: NodeJS.ProcessEnv, log: (s: string) => void): { proc: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
  const entry = workerEntry();
  const proc = spawn(process.execPath, entry.args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr?.setEncoding('utf8').on('data', (c: string) => {
    err += c;
    if (err.length > 20_000) err = err.slice(-10_000);
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  void exited.then((code) => {
    if (code !== 0 && code !== null && !proc.killed) log(`the agent worker exited with code ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`);
  });
  return { proc, exited, stderr: () => err };
}

function promptDiff(a: string, b: string): string {
  const out: string[] = [];
  for (const part of diffLines(a.endsWith('\n') ? a : `${a}\n`, b.endsWith('\n') ? b : `${b}\n`)) {
    const mark = part.added ? '+ ' : part.removed ? '- ' : '  ';
    for (const line of part.value.replace(/\n$/, '').split('\n')) out.push(`${mark}${line}`);
  }
  return out.join('\n');
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the whole loop, nothing configured: tracelight + a simulated model + an example agent + APO on arithmetic word problems')
    .addOption(formatOption('table', 'jsonl: one JSON object per event, the last ("event": "summary") the summary; json: the summary'))
    .addOption(new Option('--data <dir>', 'embedded store directory').default(DEFAULT_DATA_DIR).env('TRACELIGHT_DATA'))
    .addOption(new Option('--port <port>', 'port for tracelight (OTLP/HTTP + REST); 0 picks a free one').default(0).argParser(intArg('--port', 0, 65535)))
    .addOption(new Option('--train <n>', 'train problems').default(40).argParser(intArg('--train', 1, 10_000)))
    .addOption(new Option('--validation <n>', 'validation problems').default(40).argParser(intArg('--validation', 1, 10_000)))
    .addOption(
      new Option('--test <n>', 'test problems: the weak prompt and the winner are scored on them, outside the budget (0: none)')
        .default(40)
        .argParser(intArg('--test', 0, 10_000)),
    )
    .addOption(new Option('--budget <n>', 'rollout budget of the search').default(600).argParser(intArg('--budget', 1, 1_000_000)))
    .addOption(new Option('--rounds <n>', 'search rounds').default(3).argParser(intArg('--rounds', 1, 100)))
    .addOption(new Option('--concurrency <n>', 'rollouts the agent worker runs at once').default(8).argParser(intArg('--concurrency', 1, 256)))
    .option('--promote', 'also move the production label to the winner')
    .action(async (o: DemoOptions) => {
      const format: OutputFormat = chosenFormat(o.format ?? 'table');
      const say = (s: string): void => {
        if (format === 'table') process.stdout.write(`${s}\n`);
      };
      const t0 = Date.now();
      const real = Boolean(process.env.OPENAI_BASE_URL?.trim());
      let sim: SimulatedModelServer | null = null;
      let server: RunningServer | null = null;
      let worker: ReturnType<typeof startWorker> | null = null;
      try {
        let baseURL: string;
        let agentModel: string;
        let optimizerModel: string;
        let modelLabel: string;
        if (real) {
          baseURL = (process.env.OPENAI_BASE_URL as string).trim();
          agentModel = process.env.OPENAI_MODEL?.trim() || 'gpt-4.1-mini';
          optimizerModel = process.env.OPTIMIZER_MODEL?.trim() || agentModel;
          modelLabel = `${agentModel} at ${baseURL}`;
        } else {
          sim = await startSimulatedModel({ port: 0 });
          baseURL = sim.url;
          agentModel = 'sim-small';
          optimizerModel = 'sim-large';
          modelLabel = 'sim-small, simulated (a stand-in for an LLM, not a real model)';
        }
        say(`tracelight demo: prompt optimization of an arithmetic agent`);
        say(`  model      ${modelLabel}`);
        try {
          server = await startServer({ host: '127.0.0.1', port: o.port, grpcPort: null, store: { dataDir: o.data } });
        } catch (err) {
          const msg = (err as Error).message;
          throw new CliError(
            /lock|owns|in use|EADDRINUSE/i.test(msg) ? `${msg} (is \`tracelight serve\` running on ${o.data}? stop it or pass --data DIR)` : msg,
          );
        }
        say(`  tracelight ${server.httpUrl} (embedded store in ${o.data})`);

        // The weak starting prompt: reuse its version when this store already has it.
        const rs = new ResourceStore(server.store.driver);
        let startVersion: number | null = null;
        try {
          const hist = await rs.history(DEMO_RESOURCE, { limit: 1000 });
          startVersion = hist.versions.find((v) => (v.content as { template?: string }).template === WEAK_PROMPT)?.version ?? null;
        } catch {
          startVersion = null;
        }
        if (startVersion === null) {
          const v = await rs.createVersion(DEMO_RESOURCE, {
            kind: 'prompt_template',
            content: { template: WEAK_PROMPT },
            parent: null,
            metrics: {},
            labels: [],
            author: 'tracelight demo',
          });
          startVersion = v.version;
        }
        const labels = await rs.labels(DEMO_RESOURCE);
        if (labels.production === undefined) await rs.moveLabel(DEMO_RESOURCE, 'production', startVersion, 'tracelight demo');

        // One draw for validation and test keeps them disjoint from each other and from train.
        const tasks = generateTasks({ seed: 7, train: o.train, validation: o.validation + o.test });
        const { train } = tasks;
        const validation = tasks.validation.slice(0, o.validation);
        const test = tasks.validation.slice(o.validation).map((t, i) => ({ ...t, id: `test-${String(i).padStart(2, '0')}` }));
        const asExample = (t: (typeof train)[number]) => ({ id: t.id, vars: { question: t.question }, input: t, expected: t.answer });
        say(
          `  tasks      ${train.length} train / ${validation.length} validation / ${test.length} test arithmetic word problems; starting prompt v${startVersion}: "${WEAK_PROMPT}"`,
        );

        worker = startWorker(
          {
            OTEL_EXPORTER_OTLP_ENDPOINT: server.httpUrl,
            OTEL_SERVICE_NAME: 'arithmetic-agent',
            OPENAI_BASE_URL: baseURL,
            OPENAI_API_KEY: process.env.OPENAI_API_KEY?.trim() || 'unused',
            OPENAI_MODEL: agentModel,
            PROMPT_RESOURCE: DEMO_RESOURCE,
            AGENT_CONCURRENCY: String(o.concurrency),
          },
          (s) => process.stderr.write(`tracelight demo: ${s}\n`),
        );
        say(`  agent      examples/arithmetic-agent (openai SDK + OpenTelemetry), ${o.concurrency} rollouts at once, pid ${worker.proc.pid}`);
        say('');

        const raw: ApoConfigInput = {
          name: 'demo-apo',
          resource: DEMO_RESOURCE,
          start: startVersion,
          optimizer: { base_url: baseURL, model: optimizerModel, ...(real ? {} : { max_retries: 0 }) },
          evaluation: { mode: 'active', rollout_mode: 'train', timeout_ms: 120_000, telemetry_wait_ms: 3000 },
          data: {
            train: { examples: train.map(asExample) },
            validation: { examples: validation.map(asExample) },
            ...(test.length > 0 ? { test: { examples: test.map(asExample) } } : {}),
          },
          search: { beam_width: 2, branch: 3, rounds: o.rounds, minibatch: 12, max_failures: 5 },
          budget: { rollouts: o.budget },
          promote: { always: o.promote === true },
        };
        const job: JobDefinition = {
          name: 'demo-apo',
          algorithm: 'apo',
          schedule: null,
          config: parseApoConfig(raw, 'demo'),
          baseDir: process.cwd(),
          raw: {
            ...raw,
            data: {
              train: `${train.length} generated`,
              validation: `${validation.length} generated`,
              ...(test.length > 0 ? { test: `${test.length} generated` } : {}),
            },
          },
        };
        const p = progress(format);
        const outcome = await runJob<ApoResult>(job, new JobRunStore(server.store.driver), portsFor(server), {
          trigger: 'demo',
          emit: p.emit,
          promote: o.promote === true,
        });
        p.done();
        if (outcome.run.status !== 'succeeded' || !outcome.result) {
          const tail = worker.stderr().trim().split('\n').slice(-3).join(' | ');
          throw new CliError(`the APO run ${outcome.run.status}: ${outcome.run.error}${tail ? ` (agent worker: ${tail})` : ''}`);
        }
        const r = outcome.result;
        const seconds = Math.round((Date.now() - t0) / 100) / 10;
        const someRollout = await server.store.driver
          .query<{ rollout_id: string }>(`SELECT rollout_id FROM rewards WHERE source = 'rollout-complete' AND value = 0 ORDER BY time LIMIT 1`)
          .then((rows) => rows[0]?.rollout_id ?? '<rollout-id>')
          .catch(() => '<rollout-id>');
        const dataFlag = o.data === DEFAULT_DATA_DIR ? '' : ` --data ${o.data}`;

        if (format !== 'table') {
          const summary = {
            ...(format === 'jsonl' ? { event: 'summary' } : {}),
            baseline: r.baseline,
            best: r.best,
            rollouts: r.rollouts,
            budget: o.budget,
            start_version: r.startVersion,
            best_version: r.bestVersion,
            labels: r.labels,
            run_id: outcome.run.run_id,
            model: real ? agentModel : `${agentModel} (simulated)`,
            train: train.length,
            validation: validation.length,
            test: r.test,
            seconds,
          };
          process.stdout.write(renderObject(summary, format, () => ''));
        } else {
          say('');
          say(`baseline validation reward  ${(r.baseline ?? 0).toFixed(3)}   (v${r.startVersion}, the weak prompt)`);
          say(`best validation reward      ${(r.best ?? 0).toFixed(3)}   (v${r.bestVersion}, labelled ${Object.keys(r.labels).join(' + ')})`);
          if (r.test) {
            say(
              `test reward                 ${r.test.baseline.toFixed(3)} → ${r.test.best.toFixed(3)}   (${r.test.examples} problems the search never saw; ${r.test.rollouts} rollouts outside the budget)`,
            );
          }
          say(
            `rollouts spent              ${r.rollouts} of a budget of ${o.budget}, ${r.metrics.optimizer_calls ?? 0} optimizer calls, ${seconds} s${real ? '' : ' (simulated model)'}`,
          );
          say('');
          say(`prompt diff (v${r.startVersion} → v${r.bestVersion}):`);
          say(promptDiff(r.startText, r.bestText));
          say('');
          say('look at the data:');
          say(`  npx tracelight triplets --rollout ${someRollout}${dataFlag}      # a rollout of the weak prompt that failed: (prompt, response, reward)`);
          say(`  npx tracelight rollouts show ${someRollout}${dataFlag}          # its readable transcript`);
          say(`  npx tracelight resources diff ${DEMO_RESOURCE} ${r.startVersion} ${r.bestVersion}${dataFlag}    # the prompt the run found`);
          say(`  npx tracelight train runs${dataFlag}                                   # the run's record (metrics, versions written)`);
          say(`  npx tracelight serve${dataFlag}, then open http://localhost:4318/       # the web UI: the run's chart, transcripts, versions and their diff`);
        }
      } finally {
        if (worker) {
          worker.proc.kill('SIGTERM');
          const killer = setTimeout(() => worker?.proc.kill('SIGKILL'), 5000);
          await worker.exited;
          clearTimeout(killer);
        }
        await server?.close().catch(() => undefined);
        await sim?.close().catch(() => undefined);
      }
    });
}
