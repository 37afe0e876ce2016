// Rollout queue bench: starts the built server (`node dist/cli/main.js serve`) as a child process on a free
// port with a fresh data directory, and drives it from this process like a training loop does: a producer
// enqueues rollouts in batches while N workers claim (long poll), optionally heart-beat, and complete them
// with a reward. Prints rollouts/s through enqueue → claim → complete, and the latency of claims,
// completions and enqueue batches; checks that every rollout completed exactly once. It prints figures;
// it asserts no timings.
//
//   node dist/bench/queue.js                        8 workers, 2000 rollouts
//   node dist/bench/queue.js --workers 32 --rollouts 10000
//   npm run bench:queue -- --workers 1
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HELP = `usage: node dist/bench/queue.js [flags]     (or: npm run bench:queue -- [flags])

  --workers N          concurrent workers (default 8)
  --rollouts N         rollouts in the measured run (default 2000)
  --warmup N           rollouts run first, not measured (default 200)
  --enqueue-batch N    rollouts per enqueue request (default 100)
  --heartbeats N       heartbeats each worker sends per attempt before completing (default 1)
  --no-reward          complete without a reward (no write to the rewards table)
  --wait-ms MS         claim long-poll wait (default 1000)
  --server-args "..."  extra \`serve\` flags
  --keep-data          keep the temporary data directory
  --json               print a one-line JSON summary at the end
  --help
`;

interface Options {
  workers: number;
  rollouts: number;
  warmup: number;
  enqueueBatch: number;
  heartbeats: number;
  reward: boolean;
  waitMs: number;
  serverArgs: string[];
  keepData: boolean;
  json: boolean;
}

function num(v: string | undefined, name: string, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}

function parseOptions(argv: string[]): Options | null {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      workers: { type: 'string' },
      rollouts: { type: 'string' },
      warmup: { type: 'string' },
      'enqueue-batch': { type: 'string' },
      heartbeats: { type: 'string' },
      'no-reward': { type: 'boolean' },
      'wait-ms': { type: 'string' },
      'server-args': { type: 'string' },
      'keep-data': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (v.help) return null;
  return {
    workers: num(v.workers, 'workers', 8, 1, 10_000),
    rollouts: num(v.rollouts, 'rollouts', 2000, 1, 10_000_000),
    warmup: num(v.warmup, 'warmup', 200, 0, 1_000_000),
    enqueueBatch: num(v['enqueue-batch'], 'enqueue-batch', 100, 1, 10_000),
    heartbeats: num(v.heartbeats, 'heartbeats', 1, 0, 1000),
    reward: !v['no-reward'],
    waitMs: num(v['wait-ms'], 'wait-ms', 1000, 0, 60_000),
    serverArgs: (v['server-args'] ?? '').split(/\s+/).filter(Boolean),
    keepData: v['keep-data'] ?? false,
    json: v.json ?? false,
  };
}

// ---------------------------------------------------------------- server

interface Server {
  child: ChildProcess;
  url: URL;
}

function startServer(dataDir: string, extra: string[]): Promise<Server> {
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  const child = spawn(process.execPath, [cli, 'serve', '--host', '127.0.0.1', '--port', '0', '--no-grpc', '--data', dataDir, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  let out = '';
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within 60 s\n${out}\n${err}`)), 60_000);
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /OTLP\/HTTP\s+(http:\/\/\S+)/.exec(out);
      if (m && /OTLP\/gRPC/.test(out)) {
        clearTimeout(timer);
        resolve({ child, url: new URL(m[1] as string) });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (code ${code}) before listening\n${out}\n${err}`));
    });
  });
}

async function stopServer(s: Server): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise<void>((r) => s.child.once('exit', () => r()));
  s.child.kill('SIGTERM');
  await exited;
}

// ---------------------------------------------------------------- client

function client(url: URL, maxSockets: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return (method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: any }> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(
        { agent, host: url.hostname, port: url.port, method, path, headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {} },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(data);
    });
}

type Call = ReturnType<typeof client>;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

interface RunResult {
  rollouts: number;
  seconds: number;
  rolloutsPerSecond: number;
  claimMs: number[];
  completeMs: number[];
  enqueueMs: number[];
  duplicateClaims: number;
  failedCompletes: number;
  emptyClaims: number;
  finalSucceeded: number;
}

async function run(call: Call, o: Options, total: number): Promise<RunResult> {
  const claimMs: number[] = [];
  const completeMs: number[] = [];
  const enqueueMs: number[] = [];
  const claimed = new Set<string>();
  const ids: string[] = [];
  let duplicateClaims = 0;
  let failedCompletes = 0;
  let emptyClaims = 0;
  let completed = 0;
  const t0 = performance.now();

  const producer = async (): Promise<void> => {
    for (let start = 0; start < total; start += o.enqueueBatch) {
      const n = Math.min(o.enqueueBatch, total - start);
      const items = Array.from({ length: n }, (_, i) => ({ input: { task: `problem ${start + i}`, expected: (start + i) % 97 }, mode: 'train' }));
      const t = performance.now();
      const res = await call('POST', '/api/v1/rollouts', items);
      enqueueMs.push(performance.now() - t);
      if (res.status !== 201) throw new Error(`enqueue answered ${res.status}: ${JSON.stringify(res.body)}`);
      for (const r of res.body as { rollout_id: string }[]) ids.push(r.rollout_id);
    }
  };

  const worker = async (name: string): Promise<void> => {
    while (completed < total) {
      const t = performance.now();
      const c = await call('POST', '/api/v1/rollouts/claim', { worker_id: name, wait_ms: o.waitMs });
      if (c.status === 204) {
        emptyClaims++;
        continue;
      }
      if (c.status !== 200) throw new Error(`claim answered ${c.status}: ${JSON.stringify(c.body)}`);
      claimMs.push(performance.now() - t);
      const { rollout_id: r, attempt_id: a } = c.body as { rollout_id: string; attempt_id: string };
      if (claimed.has(r)) duplicateClaims++;
      claimed.add(r);
      for (let i = 0; i < o.heartbeats; i++) await call('POST', `/api/v1/rollouts/${r}/attempts/${a}/heartbeat`, {});
      const tc = performance.now();
      const done = await call(
        'POST',
        `/api/v1/rollouts/${r}/attempts/${a}/complete`,
        o.reward ? { status: 'succeeded', reward: Math.random() } : { status: 'succeeded' },
      );
      completeMs.push(performance.now() - tc);
      if (done.status === 200) completed++;
      else failedCompletes++;
    }
  };

  await Promise.all([producer(), ...Array.from({ length: o.workers }, (_, w) => worker(`bench-worker-${w}`))]);
  const seconds = (performance.now() - t0) / 1000;
  let finalSucceeded = 0;
  for (let i = 0; i < ids.length; i += 5000) {
    const res = await call('POST', '/api/v1/rollouts/wait', { rollout_ids: ids.slice(i, i + 5000), timeout_ms: 0 });
    finalSucceeded += (res.body.rollouts as { status: string; attempts: unknown[] }[]).filter(
      (r) => r.status === 'succeeded' && r.attempts.length === 1,
    ).length;
  }
  const sort = (a: number[]): number[] => a.sort((x, y) => x - y);
  return {
    rollouts: total,
    seconds,
    rolloutsPerSecond: total / seconds,
    claimMs: sort(claimMs),
    completeMs: sort(completeMs),
    enqueueMs: sort(enqueueMs),
    duplicateClaims,
    failedCompletes,
    emptyClaims,
    finalSucceeded,
  };
}

const ms = (v: number): string => (Number.isNaN(v) ? '-' : `${v.toFixed(1)} ms`);

async function main(): Promise<number> {
  let o: Options | null;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${HELP}`);
    return 2;
  }
  if (!o) {
    process.stdout.write(HELP);
    return 0;
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'tl-bench-queue-'));
  const server = await startServer(join(dir, 'data'), o.serverArgs);
  try {
    const call = client(server.url, o.workers + 4);
    if (o.warmup > 0) await run(call, { ...o, rollouts: o.warmup }, o.warmup);
    const r = await run(call, o, o.rollouts);
    const lines = [
      `rollout queue bench: ${o.workers} workers, ${r.rollouts} rollouts (enqueue batches of ${o.enqueueBatch}, ${o.heartbeats} heartbeat(s) per attempt, reward ${o.reward ? 'on' : 'off'}); server on ${os.cpus().length} cores, embedded chDB`,
      `  throughput   ${r.rolloutsPerSecond.toFixed(0)} rollouts/s  (enqueue → claim → complete, ${r.seconds.toFixed(2)} s)`,
      `  claim        p50 ${ms(percentile(r.claimMs, 50))}  p90 ${ms(percentile(r.claimMs, 90))}  p99 ${ms(percentile(r.claimMs, 99))}  max ${ms(r.claimMs.at(-1) ?? NaN)}  (${r.emptyClaims} long polls ended empty)`,
      `  complete     p50 ${ms(percentile(r.completeMs, 50))}  p99 ${ms(percentile(r.completeMs, 99))}`,
      `  enqueue      p50 ${ms(percentile(r.enqueueMs, 50))}  p99 ${ms(percentile(r.enqueueMs, 99))}  per batch of ${o.enqueueBatch}`,
      `  check        ${r.finalSucceeded}/${r.rollouts} succeeded with one attempt; ${r.duplicateClaims} rollouts claimed twice; ${r.failedCompletes} completions refused`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    if (o.json) {
      process.stdout.write(
        JSON.stringify({
          workers: o.workers,
          rollouts: r.rollouts,
          rollouts_per_second: Math.round(r.rolloutsPerSecond),
          claim_p50_ms: percentile(r.claimMs, 50),
          claim_p99_ms: percentile(r.claimMs, 99),
          complete_p50_ms: percentile(r.completeMs, 50),
          complete_p99_ms: percentile(r.completeMs, 99),
          exactly_once: r.finalSucceeded === r.rollouts && r.duplicateClaims === 0,
        }) + '\n',
      );
    }
    return r.finalSucceeded === r.rollouts && r.duplicateClaims === 0 ? 0 : 1;
  } finally {
    await stopServer(server);
    if (!o.keepData) rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
