// OTLP/HTTP ingest bench: starts the built server (`node dist/cli/main.js serve`) as a child process on
// free ports with a fresh data directory, optionally pinned to one core, and drives it from this process
// with pre-encoded GenAI span batches (application/x-protobuf POSTs to /v1/traces over keep-alive
// connections). Prints throughput, latency, back-pressure responses and the server's peak RSS, and checks
// that the stored span count equals the acknowledged one. It prints figures; it asserts no timings.
//
//   node dist/bench/ingest.js                      closed loop, max throughput, 8 exporters, 20 s
//   node dist/bench/ingest.js --rate 30000         open loop at 30k spans/s (latency below saturation)
//   node dist/bench/ingest.js --sweep              open loop at 10k..50k spans/s, a table of p50/p99
//   node dist/bench/ingest.js --server-cores 0     server pinned to core 0 (taskset), bench to the rest
//   node dist/bench/ingest.js --profile            node --cpu-prof on the server; prints the hot spots
//
// The HTTP client is node:http with a keep-alive Agent (the same wire behaviour as fetch/undici, less CPU
// in the load generator, which matters when it shares a small machine with the server).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatProfile, summariseProfile, type ProfileSummary } from './cpuprofile.js';
import { DEFAULT_PAYLOAD_OPTIONS, RequestPool } from './genai-spans.js';

const HELP = `usage: node dist/bench/ingest.js [flags]     (or: npm run bench:ingest -- [flags])

load
  --seconds S              measured duration (default 20)
  --warmup S               warm-up before measuring (default 3)
  --concurrency N          concurrent exporters / keep-alive connections (default 8); in open-loop mode
                           this is the starting pool, grown on demand up to --max-connections
  --rate R                 open loop at R spans/s (default: closed loop, max throughput)
  --sweep                  open-loop series at rising rates; prints rate -> achieved, p50, p99
  --sweep-rates LIST       comma-separated spans/s (default 10000,20000,30000,40000,50000)
  --sweep-seconds S        measured seconds per step (default 6)
  --sweep-warmup S         warm-up seconds per step (default 2)
  --max-connections N      open-loop connection cap (default 256)
  --backoff-ms MS          closed loop: pause of an exporter after a 429/503/error (default 50)
  --timeout-ms MS          per-request timeout (default 30000)

payload
  --spans-per-request N    spans per export request (default 100)
  --spans-per-trace N      agent root + N-1 chat spans (default 4)
  --content-bytes N        prompt + response characters per span (default 2048)
  --pool N                 distinct pre-encoded bodies (default 64)

server
  --server-cores LIST      pin the server with taskset -c LIST (e.g. 0); the bench goes to the other cores
  --client-cores LIST      pin the bench itself (default: the cores not given to the server)
  --server-node-args "..." extra node flags for the server (e.g. "--cpu-prof --max-old-space-size=4096")
  --server-args "..."      extra \`serve\` flags (e.g. "--batch-rows 50000 --batch-interval-ms 20")
  --profile                run the server under node --cpu-prof and print its hot spots at the end
  --profile-top N          rows per profile table (default 25)
  --keep-data              keep the temporary data (and profile) directory

output
  --json                   print a one-line JSON summary at the end
  --help
`;

// ---------------------------------------------------------------- options

interface Options {
  seconds: number;
  warmup: number;
  concurrency: number;
  rate: number | null;
  sweep: boolean;
  sweepRates: number[];
  sweepSeconds: number;
  sweepWarmup: number;
  maxConnections: number;
  backoffMs: number;
  timeoutMs: number;
  spansPerRequest: number;
  spansPerTrace: number;
  contentBytes: number;
  pool: number;
  serverCores: string | null;
  clientCores: string | null;
  serverNodeArgs: string[];
  serverArgs: string[];
  profile: boolean;
  profileTop: number;
  keepData: boolean;
  json: boolean;
}

class UsageError extends Error {}

function num(v: string | undefined, name: string, def: number, min: number, max: number, integer = true): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${v}"`);
  }
  return n;
}

function cpuList(v: string | undefined, name: string): string | null {
  if (v === undefined) return null;
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v)) throw new UsageError(`${name} must be a CPU list like 0 or 0-1 or 0,2, got "${v}"`);
  return v;
}

function expandCpuList(list: string): number[] {
  const out = new Set<number>();
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number) as [number, number | undefined];
    for (let i = a; i <= (b ?? a); i++) out.add(i);
  }
  return [...out].sort((x, y) => x - y);
}

function words(v: string | undefined): string[] {
  return v === undefined ? [] : v.split(/\s+/).filter(Boolean);
}

/** `--server-args "--batch-rows 5"`: values that start with "-" are fine for these two flags. */
function joinPassThrough(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if ((a === '--server-args' || a === '--server-node-args') && i + 1 < argv.length) out.push(`${a}=${argv[++i] as string}`);
    else out.push(a);
  }
  return out;
}

function parseOptions(argv: string[]): Options | null {
  const { values: v } = parseArgs({
    args: joinPassThrough(argv),
    strict: true,
    allowPositionals: false,
    options: {
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      concurrency: { type: 'string' },
      rate: { type: 'string' },
      sweep: { type: 'boolean' },
      'sweep-rates': { type: 'string' },
      'sweep-seconds': { type: 'string' },
      'sweep-warmup': { type: 'string' },
      'max-connections': { type: 'string' },
      'backoff-ms': { type: 'string' },
      'timeout-ms': { type: 'string' },
      'spans-per-request': { type: 'string' },
      'spans-per-trace': { type: 'string' },
      'content-bytes': { type: 'string' },
      pool: { type: 'string' },
      'server-cores': { type: 'string' },
      'client-cores': { type: 'string' },
      'server-node-args': { type: 'string' },
      'server-args': { type: 'string' },
      profile: { type: 'boolean' },
      'profile-top': { type: 'string' },
      'keep-data': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) return null;
  const sweepRates = (v['sweep-rates'] ?? '10000,20000,30000,40000,50000').split(',').map((s) => num(s.trim(), '--sweep-rates', 0, 1, 10_000_000));
  const o: Options = {
    seconds: num(v.seconds, '--seconds', 20, 0.5, 3600, false),
    warmup: num(v.warmup, '--warmup', 3, 0, 600, false),
    concurrency: num(v.concurrency, '--concurrency', 8, 1, 4096),
    rate: v.rate === undefined ? null : num(v.rate, '--rate', 0, 1, 10_000_000),
    sweep: v.sweep ?? false,
    sweepRates,
    sweepSeconds: num(v['sweep-seconds'], '--sweep-seconds', 6, 0.5, 600, false),
    sweepWarmup: num(v['sweep-warmup'], '--sweep-warmup', 2, 0, 600, false),
    maxConnections: num(v['max-connections'], '--max-connections', 256, 1, 16_384),
    backoffMs: num(v['backoff-ms'], '--backoff-ms', 50, 0, 60_000),
    timeoutMs: num(v['timeout-ms'], '--timeout-ms', 30_000, 100, 600_000),
    spansPerRequest: num(v['spans-per-request'], '--spans-per-request', DEFAULT_PAYLOAD_OPTIONS.spansPerRequest, 1, 100_000),
    spansPerTrace: num(v['spans-per-trace'], '--spans-per-trace', DEFAULT_PAYLOAD_OPTIONS.spansPerTrace, 1, 10_000),
    contentBytes: num(v['content-bytes'], '--content-bytes', DEFAULT_PAYLOAD_OPTIONS.contentBytes, 64, 1_000_000),
    pool: num(v.pool, '--pool', DEFAULT_PAYLOAD_OPTIONS.poolSize, 1, 10_000),
    serverCores: cpuList(v['server-cores'], '--server-cores'),
    clientCores: cpuList(v['client-cores'], '--client-cores'),
    serverNodeArgs: words(v['server-node-args']),
    serverArgs: words(v['server-args']),
    profile: v.profile ?? false,
    profileTop: num(v['profile-top'], '--profile-top', 25, 1, 500),
    keepData: v['keep-data'] ?? false,
    json: v.json ?? false,
  };
  o.maxConnections = Math.max(o.maxConnections, o.concurrency);
  return o;
}

// ---------------------------------------------------------------- small helpers

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const now = (): number => performance.now();

function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const fmtMs = (n: number): string => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)) : '-');
const round = (n: number, d = 1): number => (Number.isFinite(n) ? Math.round(n * 10 ** d) / 10 ** d : NaN);

function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir || '.', cmd);
    if (existsSync(p)) return p;
  }
  return null;
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}
const CLK_TCK = clockTicks();

// ---------------------------------------------------------------- /proc sampling of the server

/** utime + stime in clock ticks from a /proc/.../stat line, or null. */
function statTicks(text: string): { comm: string; ticks: number } | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text.slice(close + 2).split(' ');
  return { comm, ticks: Number(f[11]) + Number(f[12]) };
}

class ProcSampler {
  peakRssKb = 0;
  hwmKb = 0;
  private timer: NodeJS.Timeout;

  constructor(readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 250);
    this.timer.unref();
  }

  sample(): void {
    try {
      const s = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const rss = Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0);
      const hwm = Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0);
      this.peakRssKb = Math.max(this.peakRssKb, rss, hwm);
      this.hwmKb = Math.max(this.hwmKb, hwm);
    } catch {
      /* the process is gone */
    }
  }

  /** CPU seconds used by the whole process (all threads) so far. */
  cpuSeconds(): number {
    try {
      return (statTicks(readFileSync(`/proc/${this.pid}/stat`, 'utf8'))?.ticks ?? 0) / CLK_TCK;
    } catch {
      return NaN;
    }
  }

  /** CPU ticks per live thread: tid -> {comm, ticks}. */
  threads(): Map<string, { comm: string; ticks: number }> {
    const out = new Map<string, { comm: string; ticks: number }>();
    try {
      for (const tid of readdirSync(`/proc/${this.pid}/task`)) {
        try {
          const t = statTicks(readFileSync(`/proc/${this.pid}/task/${tid}/stat`, 'utf8'));
          if (t) out.set(tid, tid === String(this.pid) ? { ...t, comm: `${t.comm} main thread (JS)` } : t);
        } catch {
          /* thread exited */
        }
      }
    } catch {
      /* process gone */
    }
    return out;
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}

/** CPU seconds by thread name between two snapshots (threads that exited in between are not counted). */
function threadCpu(
  before: Map<string, { comm: string; ticks: number }>,
  after: Map<string, { comm: string; ticks: number }>,
): { name: string; threads: number; seconds: number }[] {
  const by = new Map<string, { threads: number; ticks: number }>();
  for (const [tid, a] of after) {
    const d = a.ticks - (before.get(tid)?.ticks ?? 0);
    const e = by.get(a.comm) ?? { threads: 0, ticks: 0 };
    e.threads++;
    e.ticks += d;
    by.set(a.comm, e);
  }
  return [...by.entries()]
    .map(([name, e]) => ({ name, threads: e.threads, seconds: e.ticks / CLK_TCK }))
    .filter((e) => e.seconds > 0)
    .sort((a, b) => b.seconds - a.seconds);
}

// ---------------------------------------------------------------- the server child process

interface Server {
  child: ChildProcess;
  pid: number;
  port: number;
  command: string[];
  stderrTail: string[];
  exited: Promise<number | null>;
}

let serverRef: Server | null = null;
let stopRequested = false;
const cleanupPaths: string[] = [];

function startServer(o: Options, dataDir: string, profileDir: string | null, taskset: string | null): Promise<Server> {
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  const nodeArgs = [...o.serverNodeArgs];
  if (profileDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  const serveArgs = ['serve', '--host', '127.0.0.1', '--port', '0', '--grpc-port', '0', '--data', dataDir, ...o.serverArgs];
  const command = [process.execPath, ...nodeArgs, cli, ...serveArgs];
  if (o.serverCores !== null && taskset) command.unshift('taskset', '-c', o.serverCores);
  const child = spawn(command[0] as string, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } });
  const stderrTail: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderrTail.push(...d.split('\n').filter(Boolean));
    if (stderrTail.length > 40) stderrTail.splice(0, stderrTail.length - 40);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      if (serverRef?.child === child && !stopRequested)
        process.stderr.write(`\nthe server exited unexpectedly (code ${code}, signal ${signal})\n${stderrTail.slice(-10).join('\n')}\n`);
      resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : null));
    }),
  );
  return new Promise<Server>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not print "tracelight listening" within 60 s:\n${out}\n${stderrTail.join('\n')}`));
    }, 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start the server (${command[0]}): ${err.message}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before listening:\n${out}\n${stderrTail.join('\n')}`));
    });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      if (serverRef?.child === child) {
        // After start-up: keep the tail, for the report.
        stderrTail.push(
          ...d
            .split('\n')
            .filter(Boolean)
            .map((l) => `[stdout] ${l}`),
        );
        if (stderrTail.length > 40) stderrTail.splice(0, stderrTail.length - 40);
        return;
      }
      if (out.length > 100_000) return;
      out += d;
      const m = /OTLP\/HTTP\s+http:\/\/[^\s:]+:(\d+)/.exec(out);
      if (out.includes('tracelight listening') && m) {
        clearTimeout(timer);
        const s: Server = { child, pid: child.pid as number, port: Number(m[1]), command, stderrTail, exited };
        serverRef = s;
        resolve(s);
      }
    });
  });
}

async function stopServer(s: Server, graceMs: number): Promise<number | null> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return s.exited;
  stopRequested = true;
  s.child.kill('SIGTERM');
  const code = await Promise.race([s.exited, sleep(graceMs).then(() => 'timeout' as const)]);
  if (code === 'timeout') {
    process.stderr.write(`server did not exit ${graceMs} ms after SIGTERM; killing it\n`);
    s.child.kill('SIGKILL');
    return s.exited;
  }
  return code;
}

function cleanup(): void {
  const s = serverRef;
  if (s && s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  for (const p of cleanupPaths.splice(0)) rmSync(p, { recursive: true, force: true });
}

// ---------------------------------------------------------------- HTTP client

interface Reply {
  status: number;
  error?: string;
}

function makeClient(port: number, maxSockets: number, timeoutMs: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
  const post = (body: Buffer): Promise<Reply> =>
    new Promise<Reply>((resolve) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/traces',
        agent,
        headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
      req.on('response', (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', (err) => resolve({ status: 0, error: err.message }));
      });
      req.on('error', (err) => resolve({ status: 0, error: err.message }));
      req.end(body);
    });
  const json = (method: string, path: string, payload?: unknown): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const body = payload === undefined ? undefined : Buffer.from(JSON.stringify(payload));
      const req = http.request({
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: body ? { 'content-type': 'application/json', 'content-length': body.length } : {},
      });
      req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${path}: no response within 60 s`)));
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  return { post, json, close: () => agent.destroy() };
}
type Client = ReturnType<typeof makeClient>;

// ---------------------------------------------------------------- load phases

interface Sample {
  intended: number;
  start: number;
  done: number;
  status: number;
  spans: number;
  bytes: number;
}

interface PhaseSpec {
  label: string;
  /** spans/s for open loop; null = closed loop. */
  rate: number | null;
  warmupMs: number;
  measureMs: number;
}

interface PhaseResult {
  label: string;
  mode: 'closed' | 'open';
  targetSpansPerSec: number | null;
  windowSeconds: number;
  requestsOk: number;
  spansPerSec: number;
  mbPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; n: number };
  status429: number;
  status503: number;
  otherErrors: number;
  errorExamples: string[];
  notSent: number;
  peakConnections: number;
  serverCpuCores: number;
  clientCpuCores: number;
  /** 2xx spans over the whole phase (warm-up and tail included): what the store must hold. */
  ackedSpans: number;
  /** Same for non-2xx: spans the server refused (or whose fate is unknown, on transport errors). */
  unackedSpans: number;
}

interface Ctx {
  o: Options;
  pool: RequestPool;
  client: Client;
  sampler: ProcSampler;
}

async function runPhase(ctx: Ctx, spec: PhaseSpec): Promise<PhaseResult> {
  const { o, pool, client, sampler } = ctx;
  const samples: Sample[] = [];
  const t0 = now();
  const wStart = t0 + spec.warmupMs;
  const wEnd = wStart + spec.measureMs;
  const dropAfter = wEnd + 10_000;
  let inflight = 0;
  let peak = 0;
  let notSent = 0;
  const errorExamples = new Set<string>();

  // CPU snapshots at the window edges.
  let cpuA = { at: wStart, server: NaN, client: process.cpuUsage() };
  let cpuB = { at: wEnd, server: NaN, client: process.cpuUsage() };
  const snap = () => ({ at: now(), server: sampler.cpuSeconds(), client: process.cpuUsage() });
  const tA = setTimeout(() => (cpuA = snap()), Math.max(0, wStart - now()));
  const tB = setTimeout(() => (cpuB = snap()), Math.max(0, wEnd - now()));

  const send = async (intended: number): Promise<Reply> => {
    const { body, spans } = pool.next();
    inflight++;
    if (inflight > peak) peak = inflight;
    const start = now();
    const r = await client.post(body);
    inflight--;
    samples.push({ intended, start, done: now(), status: r.status, spans, bytes: body.length });
    if (r.error && errorExamples.size < 5) errorExamples.add(r.error);
    else if (r.status !== 0 && (r.status < 200 || r.status >= 300) && r.status !== 429 && r.status !== 503 && errorExamples.size < 5)
      errorExamples.add(`HTTP ${r.status}`);
    return r;
  };

  const progress = setInterval(() => {
    const t = now();
    const recent = samples.filter((s) => s.done > t - 5000 && s.status >= 200 && s.status < 300).reduce((n, s) => n + s.spans, 0) / 5;
    process.stderr.write(`  [${spec.label}] t=${((t - t0) / 1000).toFixed(0)}s  ~${fmtInt(recent)} spans/s (last 5 s)  in flight ${inflight}\n`);
  }, 5000);

  if (spec.rate === null) {
    // Closed loop: every exporter sends its next batch as soon as the previous one is answered.
    const exporter = async (): Promise<void> => {
      while (now() < wEnd) {
        const r = await send(now());
        if ((r.status < 200 || r.status >= 300) && o.backoffMs > 0) await sleep(o.backoffMs);
      }
    };
    await Promise.all(Array.from({ length: o.concurrency }, exporter));
  } else {
    // Open loop: requests are due at fixed intervals whether or not earlier ones were answered; latency is
    // measured from the due time (no coordinated omission). Connections grow up to --max-connections.
    const intervalMs = (1000 * o.spansPerRequest) / spec.rate;
    const total = Math.floor((spec.warmupMs + spec.measureMs) / intervalMs);
    const due: number[] = [];
    let head = 0;
    let k = 0;
    let wake: (() => void) | null = null;
    const pump = (): void => {
      while (head < due.length && inflight < o.maxConnections) {
        const intended = due[head++] as number;
        if (now() > dropAfter) {
          notSent++;
          continue;
        }
        void send(intended).then(() => {
          pump();
          if (wake && head === due.length && inflight === 0) wake();
        });
      }
    };
    while (k < total) {
      const t = now();
      while (k < total && t0 + k * intervalMs <= t) due.push(t0 + k++ * intervalMs);
      pump();
      if (k < total) await sleep(Math.max(0, Math.min(5, t0 + k * intervalMs - now())));
    }
    if (head < due.length || inflight > 0) await new Promise<void>((r) => (wake = r));
  }
  clearInterval(progress);
  clearTimeout(tA);
  clearTimeout(tB);
  if (!Number.isFinite(cpuB.server)) cpuB = snap();
  if (!Number.isFinite(cpuA.server)) cpuA = cpuB;

  const windowSeconds = (wEnd - wStart) / 1000;
  const ok = (s: Sample): boolean => s.status >= 200 && s.status < 300;
  let okSpans = 0;
  let okBytes = 0;
  let requestsOk = 0;
  for (const s of samples) {
    if (ok(s) && s.done >= wStart && s.done <= wEnd) {
      okSpans += s.spans;
      okBytes += s.bytes;
      requestsOk++;
    }
  }
  const inWindow = samples.filter((s) => s.intended >= wStart && s.intended < wEnd);
  const lat = inWindow
    .filter(ok)
    .map((s) => s.done - s.intended)
    .sort((a, b) => a - b);
  const cpuWindow = Math.max(1e-9, (cpuB.at - cpuA.at) / 1000);
  const clientUs = cpuB.client.user + cpuB.client.system - cpuA.client.user - cpuA.client.system;
  return {
    label: spec.label,
    mode: spec.rate === null ? 'closed' : 'open',
    targetSpansPerSec: spec.rate,
    windowSeconds,
    requestsOk,
    spansPerSec: okSpans / windowSeconds,
    mbPerSec: okBytes / windowSeconds / 1e6,
    latencyMs: {
      p50: percentile(lat, 50),
      p90: percentile(lat, 90),
      p99: percentile(lat, 99),
      max: lat.length ? (lat[lat.length - 1] as number) : NaN,
      n: lat.length,
    },
    status429: inWindow.filter((s) => s.status === 429).length,
    status503: inWindow.filter((s) => s.status === 503).length,
    otherErrors: inWindow.filter((s) => !ok(s) && s.status !== 429 && s.status !== 503).length,
    errorExamples: [...errorExamples],
    notSent,
    peakConnections: peak,
    serverCpuCores: cpuB.at > cpuA.at ? (cpuB.server - cpuA.server) / cpuWindow : NaN,
    clientCpuCores: cpuB.at > cpuA.at ? clientUs / 1e6 / cpuWindow : NaN,
    ackedSpans: samples.filter(ok).reduce((n, s) => n + s.spans, 0),
    unackedSpans: samples.filter((s) => !ok(s)).reduce((n, s) => n + s.spans, 0),
  };
}

// ---------------------------------------------------------------- reporting

function printPhase(r: PhaseResult): void {
  const lines = [
    `${r.label}: ${r.mode === 'closed' ? 'closed loop (max throughput)' : `open loop at ${fmtInt(r.targetSpansPerSec ?? 0)} spans/s`}, ${round(r.windowSeconds, 1)} s measured`,
    `  accepted (2xx)     ${fmtInt(r.spansPerSec)} spans/s   ${r.mbPerSec.toFixed(1)} MB/s of protobuf payload   ${fmtInt(r.requestsOk / r.windowSeconds)} req/s`,
    `  latency (2xx)      p50 ${fmtMs(r.latencyMs.p50)} ms   p90 ${fmtMs(r.latencyMs.p90)} ms   p99 ${fmtMs(r.latencyMs.p99)} ms   max ${fmtMs(r.latencyMs.max)} ms   (${r.latencyMs.n} requests${r.mode === 'open' ? ', from due time' : ''})`,
    `  refused            429: ${r.status429}   503: ${r.status503}   other errors: ${r.otherErrors}${r.notSent ? `   not sent (client backlog): ${r.notSent}` : ''}${r.errorExamples.length ? `   e.g. ${r.errorExamples.join('; ')}` : ''}`,
    `  cpu                server ${r.serverCpuCores.toFixed(2)} cores (${fmtInt(r.spansPerSec / r.serverCpuCores)} spans per server CPU-second)   bench ${r.clientCpuCores.toFixed(2)} cores   peak connections ${r.peakConnections}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

function printSweep(rows: PhaseResult[]): void {
  const head = ['target/s', 'achieved/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', '429', '503', 'err', 'srv cpu', 'conns'];
  const body = rows.map((r) => [
    fmtInt(r.targetSpansPerSec ?? 0),
    fmtInt(r.spansPerSec),
    fmtMs(r.latencyMs.p50),
    fmtMs(r.latencyMs.p90),
    fmtMs(r.latencyMs.p99),
    fmtMs(r.latencyMs.max),
    String(r.status429),
    String(r.status503),
    String(r.otherErrors + r.notSent),
    r.serverCpuCores.toFixed(2),
    String(r.peakConnections),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(w[i] as number)).join('  ');
  process.stdout.write(
    ['', 'sweep (open loop; latency from due time, 2xx only):', line(head), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n') + '\n',
  );
}

function metricValue(text: string, name: string, labels: string): number {
  for (const l of text.split('\n')) {
    if (l.startsWith(name) && l.includes(labels)) return Number(l.slice(l.lastIndexOf(' ') + 1));
  }
  return NaN;
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  let o: Options | null;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`ingest bench: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (!o) {
    process.stdout.write(HELP);
    return 0;
  }
  const script = relative(process.cwd(), process.argv[1] ?? '') || (process.argv[1] ?? '');
  const cmdline = ['node', ...process.execArgv, script, ...process.argv.slice(2)].map(shellQuote).join(' ');
  process.stdout.write(`command: ${cmdline}\n`);
  process.stdout.write(
    `machine: ${os.cpus()[0]?.model ?? 'unknown cpu'} x${os.availableParallelism()}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, load average ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(' ')}\n`,
  );

  // Pinning.
  const taskset = o.serverCores !== null || o.clientCores !== null ? which('taskset') : null;
  let clientCores = o.clientCores;
  if ((o.serverCores !== null || o.clientCores !== null) && !taskset) {
    process.stdout.write('pinning: taskset not found on PATH (util-linux); running unpinned\n');
  } else if (taskset) {
    let allowed: number[] = [];
    try {
      const m = /list:\s*([\d,-]+)/.exec(execFileSync(taskset, ['-c', '-p', String(process.pid)], { encoding: 'utf8' }));
      allowed = m ? expandCpuList(m[1] as string) : [];
    } catch {
      /* keep empty */
    }
    if (o.serverCores !== null) {
      const server = expandCpuList(o.serverCores);
      const missing = server.filter((c) => !allowed.includes(c));
      if (allowed.length && missing.length)
        throw new Error(`--server-cores ${o.serverCores}: CPU ${missing.join(',')} is not available (allowed: ${allowed.join(',')})`);
      if (clientCores === null) {
        const rest = allowed.filter((c) => !server.includes(c));
        clientCores = rest.length ? rest.join(',') : null;
      }
    }
    if (clientCores !== null) {
      execFileSync(taskset, ['-a', '-c', '-p', clientCores, String(process.pid)], { stdio: 'ignore' });
    }
    process.stdout.write(
      `pinning: server on CPU ${o.serverCores ?? '(any)'}, bench on CPU ${clientCores ?? "(any; shares the server's cores)"} (allowed: ${allowed.join(',') || '?'})\n`,
    );
  }

  // Payload, before anything is timed.
  const genStart = now();
  const pool = new RequestPool({
    spansPerRequest: o.spansPerRequest,
    spansPerTrace: o.spansPerTrace,
    contentBytes: o.contentBytes,
    poolSize: o.pool,
    seed: DEFAULT_PAYLOAD_OPTIONS.seed,
  });
  const first = pool.bodies[0];
  if (!first || RequestPool.decode(first.body).resourceSpans === undefined) throw new Error('bench payload does not decode');
  process.stdout.write(
    `payload: ${o.pool} pre-encoded ExportTraceServiceRequest bodies, ${o.spansPerRequest} spans each (${o.spansPerTrace} per trace: invoke_agent + chat), ` +
      `${fmtInt(pool.avgBodyBytes)} B per body, ${fmtInt(pool.bytesPerSpan)} B per span; built in ${fmtInt(now() - genStart)} ms\n`,
  );

  // Server.
  const work = mkdtempSync(join(os.tmpdir(), 'tracelight-bench-'));
  if (!o.keepData) cleanupPaths.push(work);
  const profileDir = o.profile ? join(work, 'cpuprofile') : null;
  const server = await startServer(o, join(work, 'data'), profileDir, taskset);
  process.stdout.write(
    `server: pid ${server.pid}, http://127.0.0.1:${server.port}, data ${join(work, 'data')}\n  ${server.command.map(shellQuote).join(' ')}\n`,
  );
  const sampler = new ProcSampler(server.pid);
  const threadsBefore = sampler.threads();
  const client = makeClient(server.port, o.maxConnections, o.timeoutMs);
  const ctx: Ctx = { o, pool, client, sampler };

  const results: PhaseResult[] = [];
  if (o.sweep) {
    for (const rate of o.sweepRates) {
      const r = await runPhase(ctx, { label: `sweep ${fmtInt(rate)}/s`, rate, warmupMs: o.sweepWarmup * 1000, measureMs: o.sweepSeconds * 1000 });
      results.push(r);
      process.stdout.write(
        `  ${fmtInt(rate)} spans/s -> ${fmtInt(r.spansPerSec)} accepted, p50 ${fmtMs(r.latencyMs.p50)} ms, p99 ${fmtMs(r.latencyMs.p99)} ms, 429 ${r.status429}, 503 ${r.status503}, errors ${r.otherErrors}${r.notSent ? `, not sent ${r.notSent}` : ''}, server cpu ${r.serverCpuCores.toFixed(2)}${r.errorExamples.length ? ` (e.g. ${r.errorExamples.join('; ')})` : ''}\n`,
      );
      await sleep(1000);
    }
    printSweep(results);
  } else {
    const r = await runPhase(ctx, { label: 'run', rate: o.rate, warmupMs: o.warmup * 1000, measureMs: o.seconds * 1000 });
    results.push(r);
    printPhase(r);
  }
  const threadsAfter = sampler.threads();

  // Verification: every acknowledged span must be stored (an ack means durably written).
  const acked = results.reduce((n, r) => n + r.ackedSpans, 0);
  const unacked = results.reduce((n, r) => n + r.unackedSpans, 0);
  let stored = NaN;
  try {
    const q = await client.json('POST', '/api/v1/query', { sql: 'SELECT count() AS n FROM otel_traces' });
    stored = Number((JSON.parse(q.text) as { rows: { n: string | number }[] }).rows[0]?.n);
  } catch (err) {
    process.stdout.write(`verify: query failed: ${(err as Error).message}\n`);
  }
  // Transport errors leave a request's fate unknown, so stored may exceed acked by up to `unacked`.
  const verified = stored === acked;
  process.stdout.write(
    `verify: stored ${fmtInt(stored)} spans in otel_traces, acknowledged ${fmtInt(acked)}` +
      (verified
        ? ' -> match\n'
        : ` -> MISMATCH (${stored > acked ? `${fmtInt(stored - acked)} more stored than acknowledged; ${fmtInt(unacked)} spans were in refused/failed requests` : `${fmtInt(acked - stored)} acknowledged spans are missing`})\n`),
  );

  // ClickHouse's own counters: how much merge work the inserts caused (each insert makes a part).
  let merge: { merges: number; mergedRows: number; insertedRows: number; mergeMs: number; activeParts: number } | null = null;
  try {
    const q = await client.json('POST', '/api/v1/query', {
      sql:
        "SELECT sumIf(value, event = 'Merge') AS merges, sumIf(value, event = 'MergedRows') AS merged_rows, sumIf(value, event = 'InsertedRows') AS inserted_rows, " +
        "sumIf(value, event = 'MergesTimeMilliseconds') AS merge_ms, (SELECT count() FROM system.parts WHERE active AND table = 'otel_traces') AS parts FROM system.events",
    });
    const row = (JSON.parse(q.text) as { rows: Record<string, string | number>[] }).rows[0];
    if (row)
      merge = {
        merges: Number(row.merges),
        mergedRows: Number(row.merged_rows),
        insertedRows: Number(row.inserted_rows),
        mergeMs: Number(row.merge_ms),
        activeParts: Number(row.parts),
      };
  } catch {
    /* not essential */
  }
  if (merge && Number.isFinite(merge.merges)) {
    process.stdout.write(
      `server merges: ${fmtInt(merge.merges)} merges rewrote ${fmtInt(merge.mergedRows)} rows (${(merge.mergedRows / Math.max(1, merge.insertedRows)).toFixed(1)}x the ${fmtInt(merge.insertedRows)} inserted rows, all tables), ` +
        `${fmtInt(merge.mergeMs)} ms merging; ${merge.activeParts} active otel_traces parts\n`,
    );
  }

  let metrics = '';
  try {
    metrics = (await client.json('GET', '/metrics')).text;
  } catch {
    /* reported as NaN below */
  }
  const batches = metricValue(metrics, 'tracelight_store_insert_seconds_count', 'table="otel_traces"');
  const insertSum = metricValue(metrics, 'tracelight_store_insert_seconds_sum', 'table="otel_traces"');
  const rowsSum = metricValue(metrics, 'tracelight_store_batch_rows_sum', 'table="otel_traces"');
  process.stdout.write(
    `server store writer: ${fmtInt(batches)} inserts into otel_traces, ${fmtInt(rowsSum / batches)} rows per insert on average, ${fmtMs((1000 * insertSum) / batches)} ms per insert on average\n`,
  );

  sampler.sample();
  const peakRssMb = sampler.peakRssKb / 1024;
  process.stdout.write(`server peak RSS: ${peakRssMb.toFixed(0)} MiB (VmHWM ${(sampler.hwmKb / 1024).toFixed(0)} MiB)\n`);
  const threads = threadCpu(threadsBefore, threadsAfter);
  const threadTotal = threads.reduce((n, t) => n + t.seconds, 0);
  process.stdout.write(`server CPU by thread name during the load (${threadTotal.toFixed(1)} CPU-s in all):\n`);
  for (const t of threads.slice(0, 10))
    process.stdout.write(
      `  ${t.seconds.toFixed(1).padStart(7)} s  ${((100 * t.seconds) / Math.max(threadTotal, 1e-9)).toFixed(0).padStart(3)}%  ${t.name} (${t.threads} thread${t.threads === 1 ? '' : 's'})\n`,
    );

  client.close();
  const stopStart = now();
  const exitCode = await stopServer(server, 120_000);
  sampler.stop();
  process.stdout.write(`server stopped with exit code ${exitCode} after ${fmtInt(now() - stopStart)} ms (SIGTERM, drain)\n`);
  const tail = exitCode === 0 ? server.stderrTail.filter((l) => !l.startsWith('[stdout] ')) : server.stderrTail;
  if (tail.length) process.stdout.write(`server output (last lines):\n  ${tail.slice(-10).join('\n  ')}\n`);

  let profile: ProfileSummary | null = null;
  if (profileDir) {
    const files = existsSync(profileDir) ? readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')) : [];
    if (files.length === 0) process.stdout.write('profile: no .cpuprofile was written (the server must exit normally)\n');
    else {
      const file = join(profileDir, files[0] as string);
      profile = summariseProfile(file, o.profileTop);
      process.stdout.write(`\nserver CPU profile (${o.keepData ? file : 'keep it with --keep-data'}):\n${formatProfile(profile)}\n`);
    }
  }
  if (o.keepData) process.stdout.write(`kept ${work}\n`);

  if (o.json) {
    const phase = (r: PhaseResult) => ({
      label: r.label,
      mode: r.mode,
      target_spans_per_sec: r.targetSpansPerSec,
      spans_per_sec: Math.round(r.spansPerSec),
      mb_per_sec: round(r.mbPerSec, 2),
      latency_ms: {
        p50: round(r.latencyMs.p50, 2),
        p90: round(r.latencyMs.p90, 2),
        p99: round(r.latencyMs.p99, 2),
        max: round(r.latencyMs.max, 2),
        n: r.latencyMs.n,
      },
      status_429: r.status429,
      status_503: r.status503,
      other_errors: r.otherErrors,
      server_cpu_cores: round(r.serverCpuCores, 2),
      client_cpu_cores: round(r.clientCpuCores, 2),
      peak_connections: r.peakConnections,
    });
    const summary = {
      bench: 'ingest',
      command: cmdline,
      node: process.version,
      cpus: os.availableParallelism(),
      server_cores: o.serverCores,
      client_cores: clientCores,
      spans_per_request: o.spansPerRequest,
      bytes_per_span: Math.round(pool.bytesPerSpan),
      concurrency: o.concurrency,
      ...(o.sweep ? { sweep: results.map(phase) } : phase(results[0] as PhaseResult)),
      server_peak_rss_mb: Math.round(peakRssMb),
      verify: { stored, acknowledged: acked, match: verified },
      store_inserts: { count: batches, avg_rows: Math.round(rowsSum / batches), avg_ms: round((1000 * insertSum) / batches, 1) },
      merges: merge ?? undefined,
      profile_top: profile?.selfByFunction.slice(0, 10) ?? undefined,
    };
    process.stdout.write(JSON.stringify(summary) + '\n');
  }
  return verified && exitCode === 0 ? 0 : 1;
}

process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    process.stderr.write(`\n${sig}: stopping the server\n`);
    const s = serverRef;
    const done = (): never => process.exit(130);
    if (!s) done();
    else void stopServer(s, 10_000).then(done, done);
  });
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`ingest bench: ${err.message}\n`);
    process.exit(1);
  },
);
