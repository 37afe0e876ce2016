// Hardening figures: starts the built server (`node dist/cli/main.js serve`) as a child process with a fresh
// data directory and measures, from this process, (1) OTLP acknowledgement latency while a long user SQL
// query runs against the same store, beside the same latency with no query running, and (2) the server's
// resident memory after the largest request the item cap accepts. It prints figures; it asserts nothing.
//
//   node dist/bench/hardening.js                   30 s query, 20,000-span request (the default cap)
//   npm run bench:hardening -- --query-s 10 --items 50000
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_PAYLOAD_OPTIONS, RequestPool } from './genai-spans.js';

const { values: args } = parseArgs({
  options: { 'query-s': { type: 'string', default: '30' }, items: { type: 'string', default: '20000' }, requests: { type: 'string', default: '200' } },
});
const QUERY_S = Number(args['query-s']);
const ITEMS = Number(args.items);
const REQUESTS = Number(args.requests);

const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const dir = mkdtempSync(join(os.tmpdir(), 'tl-bench-hardening-'));
const port = 20000 + Math.floor(Math.random() * 20000);
const server = spawn(
  process.execPath,
  [cli, 'serve', '--data', dir, '--port', String(port), '--no-grpc', '--sql-timeout-s', String(QUERY_S + 5), '--max-items', String(ITEMS)],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const url = `http://127.0.0.1:${port}`;

async function waitUp(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not yet listening
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the server did not start');
}

function lenField(field: number, payload: Buffer): Buffer {
  const head: number[] = [(field << 3) | 2];
  for (let n = payload.length; ; n >>>= 7) {
    if (n < 0x80) {
      head.push(n);
      break;
    }
    head.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from(head), payload]);
}

/** An ExportTraceServiceRequest of `n` minimal spans (ids, name, times), written straight to the wire:
 * tiny spans, so the item cap, not the body limit, is what bounds the request. */
function tiny(n: number, seed: number): Buffer {
  const spans: Buffer[] = [];
  const times = Buffer.alloc(18);
  times[0] = (7 << 3) | 1;
  times.writeBigUInt64LE(BigInt(Date.now()) * 1_000_000n, 1);
  times[9] = (8 << 3) | 1;
  times.writeBigUInt64LE(BigInt(Date.now()) * 1_000_000n + 1000n, 10);
  for (let i = 0; i < n; i++) {
    const trace = Buffer.alloc(16);
    trace.writeUInt32BE(seed, 0);
    trace.writeUInt32BE(i + 1, 12);
    const span = Buffer.alloc(8);
    span.writeUInt32BE(i + 1, 4);
    spans.push(lenField(2, Buffer.concat([lenField(1, trace), lenField(2, span), lenField(5, Buffer.from('s')), times])));
  }
  return lenField(1, lenField(2, Buffer.concat(spans)));
}

function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return Math.round(kb / 1024);
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const small = new RequestPool({ ...DEFAULT_PAYLOAD_OPTIONS, spansPerRequest: 10, poolSize: 16 });

async function ackLatencies(n: number, stopAt?: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n && (stopAt === undefined || Date.now() < stopAt); i++) {
    const { body } = small.next();
    const t = performance.now();
    const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`ingest answered ${res.status}`);
    out.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 20));
  }
  return out.sort((a, b) => a - b);
}

function line(label: string, l: number[]): string {
  return `${label.padEnd(34)} n=${String(l.length).padStart(4)}  p50 ${pct(l, 50).toFixed(1)} ms  p99 ${pct(l, 99).toFixed(1)} ms  max ${(l[l.length - 1] ?? NaN).toFixed(1)} ms`;
}

try {
  await waitUp();
  const idle = await ackLatencies(REQUESTS);
  const started = Date.now();
  const query = fetch(`${url}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql: `SELECT count() FROM numbers_mt(1e13) WHERE sipHash64(number) % 7 = 1` }),
  }).then(async (r) => ({ status: r.status, body: await r.text(), seconds: (Date.now() - started) / 1000 }));
  await new Promise((r) => setTimeout(r, 500));
  const during = await ackLatencies(100_000, started + QUERY_S * 1000);
  const q = await query;
  console.log(`OTLP acknowledgements (10 GenAI spans a request, sequential), embedded store, ${os.cpus().length} cores`);
  console.log(line('no user query', idle));
  console.log(line(`during a ${QUERY_S} s user query`, during));
  console.log(`the user query ended after ${q.seconds.toFixed(1)} s: ${q.status} ${q.body.slice(0, 100)}`);

  const before = rssMb(server.pid as number);
  const big = tiny(ITEMS, 7);
  const t = performance.now();
  const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: big });
  await res.arrayBuffer();
  const ms = performance.now() - t;
  console.log(
    `largest accepted request: ${ITEMS} spans, ${(big.length / 1024 / 1024).toFixed(1)} MB → ${res.status} in ${(ms / 1000).toFixed(1)} s; server RSS ${before} MB before, ${rssMb(server.pid as number)} MB after`,
  );
  const over = tiny(ITEMS + 1, 8);
  const r2 = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: over });
  console.log(`one span over the cap: ${r2.status} (${(await r2.text()).replace(/[^\x20-\x7e]/g, '').slice(0, 90)})`);
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
