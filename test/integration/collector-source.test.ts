// Training data from a Collector's tables: spans and log records as the Collector's ClickHouse exporter stores
// them (the same schema tracelight writes) are read back and normalized, and give the very triplets live
// ingest gave. Late and duplicated inserts change nothing; a row older than the look-back waits for a backfill.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedModel, type SimulatedModelServer } from '../../examples/simulated-model/index.js';
import { init, reward, withRollout, type TracelightHandle } from '../../instrumentation/sdk/index.js';
import { CollectorSource, importCollectorWindow } from '../../receiver/collector-source.js';
import { startServer, type RunningServer } from '../../server/server.js';
import { queryTriplets } from '../../training/training-data.js';

const DERIVED = ['llm_calls', 'llm_contents', 'rewards', 'trace_identities', 'trace_resources'];
const tables = { database: 'collector', traces: 'otel_traces', logs: 'otel_logs' };

let dir: string;
let server: RunningServer;
let sim: SimulatedModelServer;
let otel: TracelightHandle;

async function allTriplets(): Promise<unknown[]> {
  const page = await queryTriplets(server.store.driver, { policy: 'final', limit: 1000 });
  return page.triplets.map((t) => ({ ...t })).sort((a, b) => a.span_id.localeCompare(b.span_id));
}

async function count(table: string): Promise<number> {
  const rows = await server.store.driver.query<{ n: string }>(`SELECT toString(count()) AS n FROM ${table}`);
  return Number(rows[0]?.n);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-collector-source-'));
  server = await startServer({ port: 0, grpcPort: null, store: { dataDir: dir } });
  sim = await startSimulatedModel({ port: 0 });
  otel = init({ endpoint: server.httpUrl, serviceName: 'collector-agent', instrumentOpenAI: OpenAI, exportIntervalMs: 50 });
}, 60_000);

afterAll(async () => {
  await otel?.shutdown();
  await sim?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('--source clickhouse: triplets from a Collector’s tables', () => {
  let live: unknown[];

  it('live ingest first: the real OpenAI instrumentation, spans and content log events, rewards', async () => {
    const client = new OpenAI({ baseURL: sim.url, apiKey: 'unused' });
    for (const [i, q] of ['What is 6 * 7?', 'What is 100 - 58?', 'Tom has 3 boxes of 12 apples and gives away 7. How many are left?'].entries()) {
      await withRollout({ rolloutId: `ro-col-${i}`, attemptId: 'at-1' }, async () => {
        const first = await client.chat.completions.create({ model: 'sim-small', messages: [{ role: 'user', content: q }] });
        await client.chat.completions.create({
          model: 'sim-small',
          messages: [
            { role: 'user', content: q },
            { role: 'assistant', content: first.choices[0]?.message.content ?? '' },
            { role: 'user', content: 'Answer with only the number.' },
          ],
        });
        reward(i === 1 ? 0 : 1, { name: 'correct' });
      });
    }
    await otel.forceFlush();
    live = await allTriplets();
    expect(live).toHaveLength(6);
    expect(await count('otel_logs')).toBeGreaterThan(0);
  });

  it('the same spans and logs, as the Collector stored them (twice for some), give the same triplets', async () => {
    const db = server.store.driver;
    await db.exec('CREATE DATABASE IF NOT EXISTS collector');
    for (const t of ['otel_traces', 'otel_logs']) {
      await db.exec(`CREATE TABLE collector.${t} AS default.${t}`);
      await db.exec(`INSERT INTO collector.${t} SELECT * FROM default.${t}`);
    }
    // A Collector retry: the first spans inserted a second time.
    await db.exec('INSERT INTO collector.otel_traces SELECT * FROM default.otel_traces ORDER BY Timestamp LIMIT 3');
    for (const t of DERIVED) await db.exec(`TRUNCATE TABLE ${t}`);
    expect(await allTriplets()).toEqual([]);

    // A minute from now, so the grace period (rows this recent wait for the next pass) is behind the data.
    const source = new CollectorSource(server.store, { tables, now: () => Date.now() + 60_000 });
    const counts = await source.pass();
    expect(counts.calls).toBeGreaterThanOrEqual(6);
    expect(await allTriplets()).toEqual(live);
    // A second pass re-reads its look-back: nothing changes.
    await source.pass();
    expect(await allTriplets()).toEqual(live);
  });

  it('a row inserted late (within the look-back) is picked up; one older than the look-back waits for a backfill', async () => {
    const db = server.store.driver;
    const copyOf = async (rollout: string, shiftMinutes: number, newRollout: string): Promise<void> => {
      // Another trace: the spans of one rollout, with new ids and times moved back, inserted only now.
      await db.exec(
        `INSERT INTO collector.otel_traces
         SELECT Timestamp - INTERVAL {m:UInt32} MINUTE, lower(hex(MD5(concat(TraceId, {r:String})))), SpanId, ParentSpanId, TraceState, SpanName, SpanKind,
                ServiceName, ResourceAttributes, ScopeName, ScopeVersion,
                mapApply((k, v) -> (k, if(k = 'tracelight.rollout.id', {r:String}, v)), SpanAttributes),
                Duration, StatusCode, StatusMessage, Events.Timestamp, Events.Name, Events.Attributes, Links.TraceId, Links.SpanId, Links.TraceState, Links.Attributes
         FROM collector.otel_traces WHERE TraceId IN (SELECT TraceId FROM collector.otel_traces WHERE SpanAttributes['tracelight.rollout.id'] = {old:String})
         LIMIT 1 BY TraceId, SpanId`,
        { m: shiftMinutes, r: newRollout, old: rollout },
      );
    };
    const source = new CollectorSource(server.store, { tables, lookbackMs: 30 * 60_000, now: () => Date.now() + 60_000 });
    await source.pass();
    await copyOf('ro-col-0', 20, 'ro-late');
    await copyOf('ro-col-0', 24 * 60, 'ro-too-late');
    await source.pass();
    const rollouts = async (): Promise<Set<string>> => new Set(((await allTriplets()) as { rollout_id: string }[]).map((t) => t.rollout_id));
    expect(await rollouts()).toContain('ro-late');
    expect(await rollouts()).not.toContain('ro-too-late');
    await importCollectorWindow(server.store, { tables, sinceNs: 0n, untilNs: BigInt(Date.now()) * 1_000_000n });
    expect(await rollouts()).toContain('ro-too-late');
  });
});
