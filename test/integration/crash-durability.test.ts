// Durability of acknowledged data, against the BUILT CLI (`node dist/cli/main.js serve`): several
// concurrent senders stream protobuf span batches with unique span ids and record every id whose request
// was answered 2xx; the server is killed mid-stream (SIGKILL, then SIGTERM in a second run), restarted on
// the same data directory, and every acknowledged span must be in otel_traces. Counts are printed;
// only behaviour is asserted, never timings.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { decodeTraceResponse } from '../../receiver/codec/index.js';
import { CLI_PATH, cliBuilt, queryServer, startCliServer, type CliServer } from '../support/cli-process.js';
import { protoSpanRequest } from '../support/otlp-payloads.js';

const SENDERS = 6;
const SPANS_PER_REQUEST = 50;
/** How long the senders stream before the server is stopped under them. */
const INGEST_MS = 3000;

const built = cliBuilt();
if (!built) console.warn(`crash-durability: SKIPPED — ${CLI_PATH} is missing; run "npm run build" first`);

interface IngestStats {
  run: string;
  /** Span ids whose request got a 2xx with no rejected spans. */
  acked: Set<string>;
  okRequests: number;
  /** 2xx answers that rejected spans (none are expected: every span sent is valid). */
  partialRequests: number;
  /** Answers other than 2xx (429/503 back-pressure, or anything else). */
  refusedRequests: number;
  statuses: Record<number, number>;
  /** Requests that got no answer (connection refused or reset). */
  failedRequests: number;
}

/** Streams requests from `SENDERS` concurrent senders until `stop()`; resolves with what was acknowledged. */
function startIngest(httpUrl: string, run: string): { stats: IngestStats; stop(): Promise<IngestStats> } {
  const stats: IngestStats = { run, acked: new Set(), okRequests: 0, partialRequests: 0, refusedRequests: 0, statuses: {}, failedRequests: 0 };
  let stopping = false;
  const sender = async (): Promise<void> => {
    while (!stopping) {
      const { body, spanIds } = protoSpanRequest({ count: SPANS_PER_REQUEST, run, contentBytes: 2048 });
      let status: number;
      let payload: Uint8Array;
      try {
        const res = await fetch(`${httpUrl}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        status = res.status;
        payload = new Uint8Array(await res.arrayBuffer());
      } catch {
        // No complete answer: the server is gone (or going). Nothing was acknowledged.
        stats.failedRequests++;
        await sleep(10);
        continue;
      }
      stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
      if (status >= 200 && status < 300) {
        const rejected = Number(decodeTraceResponse(payload).partialSuccess?.rejectedSpans ?? 0);
        if (rejected > 0) {
          stats.partialRequests++;
          continue;
        }
        stats.okRequests++;
        for (const id of spanIds) stats.acked.add(id);
      } else {
        stats.refusedRequests++;
        await sleep(50);
      }
    }
  };
  const senders = Array.from({ length: SENDERS }, sender);
  return {
    stats,
    stop: async () => {
      stopping = true;
      await Promise.all(senders);
      return stats;
    },
  };
}

/** Span ids of a run stored in otel_traces, read through the server's query API. */
async function storedSpanIds(httpUrl: string, run: string): Promise<Set<string>> {
  const rows = await queryServer<{ SpanId: string }>(httpUrl, "SELECT SpanId FROM otel_traces WHERE SpanAttributes['test.run'] = {run:String}", { run });
  return new Set(rows.map((r) => r.SpanId));
}

function report(label: string, stats: IngestStats, stored: Set<string>, missing: string[]): void {
  console.log(
    `${label}: ${SENDERS} senders x ${SPANS_PER_REQUEST} spans/request; ${stats.okRequests} requests acknowledged (${stats.acked.size} spans), ` +
      `${stats.refusedRequests} refused ${JSON.stringify(stats.statuses)}, ${stats.failedRequests} unanswered; ` +
      `${stored.size} spans stored after restart (${stored.size - stats.acked.size} unacknowledged extras), ${missing.length} acknowledged spans missing`,
  );
}

const running: CliServer[] = [];
const dataDirs: string[] = [];

async function start(dataDir: string): Promise<CliServer> {
  const cli = await startCliServer({ dataDir });
  running.push(cli);
  return cli;
}

afterEach(async () => {
  // A failed test must not leave a server behind.
  for (const cli of running.splice(0)) await cli.stop('SIGKILL');
});

afterAll(() => {
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
});

function newDataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tracelight-crash-'));
  dataDirs.push(d);
  return d;
}

/** The restarted server has every acknowledged span, still ingests, and stops cleanly. */
async function verifyAfterRestart(label: string, dataDir: string, stats: IngestStats): Promise<void> {
  const restarted = await start(dataDir);
  const stored = await storedSpanIds(restarted.httpUrl, stats.run);
  const missing = [...stats.acked].filter((id) => !stored.has(id));
  report(label, stats, stored, missing);
  expect(missing.slice(0, 20), `${missing.length} acknowledged span ids are missing after the restart`).toEqual([]);

  const after = protoSpanRequest({ count: 5, run: `${stats.run}-after-restart` });
  const res = await fetch(`${restarted.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: after.body });
  expect(res.status).toBe(200);
  expect(await restarted.stop('SIGTERM')).toEqual({ code: 0, signal: null });
}

describe.skipIf(!built)(built ? 'crash durability (built CLI)' : 'crash durability — SKIPPED: dist/cli/main.js missing, run "npm run build"', () => {
  it('kill -9 mid-stream: every acknowledged span is stored after a restart', { timeout: 180_000 }, async () => {
    const dataDir = newDataDir();
    const server = await start(dataDir);
    const ingest = startIngest(server.httpUrl, 'sigkill');
    await sleep(INGEST_MS);
    expect(ingest.stats.acked.size, 'the senders got acknowledgements before the kill').toBeGreaterThan(0);

    // Killed with requests in flight: senders keep sending until the process is gone.
    server.proc.kill('SIGKILL');
    expect(await server.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const stats = await ingest.stop();
    expect(stats.partialRequests).toBe(0);

    await verifyAfterRestart('kill -9', dataDir, stats);
  });

  it('SIGTERM mid-stream: exits 0 after draining, and every acknowledged span is stored after a restart', { timeout: 180_000 }, async () => {
    const dataDir = newDataDir();
    const server = await start(dataDir);
    const ingest = startIngest(server.httpUrl, 'sigterm');
    await sleep(INGEST_MS);
    expect(ingest.stats.acked.size, 'the senders got acknowledgements before SIGTERM').toBeGreaterThan(0);

    server.proc.kill('SIGTERM');
    const exit = await server.exited;
    const stats = await ingest.stop();
    expect(exit, `tracelight serve exit after SIGTERM; stderr:\n${server.stderr()}`).toEqual({ code: 0, signal: null });
    expect(server.stdout()).toContain('SIGTERM: draining buffered data into the store');
    expect(stats.partialRequests).toBe(0);

    await verifyAfterRestart('SIGTERM', dataDir, stats);
  });
});
