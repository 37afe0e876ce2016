// The built CLI on a store holding a Collector's tables: `serve --source clickhouse` derives their triplets
// incrementally, and `import clickhouse` backfills a range (again: nothing changes).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../store/index.js';
import { CLI_PATH, cliBuilt, startCliServer } from '../support/cli-process.js';
import { span, T0, TRACE } from '../support/span-builders.js';

const run = promisify(execFile);
const msgs = (role: string, content: string) => JSON.stringify([{ role, parts: [{ type: 'text', content }] }]);
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-collector-cli-'));
  if (!cliBuilt()) return;
  // What a Collector would have written: raw rows in its own database, nothing derived.
  const store = await Store.open({ dataDir: dir });
  try {
    const spans = [
      span({ spanId: 'b000000000000001', name: 'agent run', kind: 1, attributes: { 'tracelight.rollout.id': 'ro-collector' } }),
      span({
        spanId: 'b000000000000002',
        parentSpanId: 'b000000000000001',
        name: 'chat sim-small',
        start: T0 + 1_000_000n,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'sim-small',
          'gen_ai.input.messages': msgs('user', 'What is 2 + 2?'),
          'gen_ai.output.messages': msgs('assistant', '4'),
        },
        events: [{ name: 'gen_ai.evaluation.result', attributes: { 'gen_ai.evaluation.name': 'correct', 'gen_ai.evaluation.score.value': 1 } }],
      }),
    ];
    await store.writeTelemetry(spans, []);
    await store.driver.exec('CREATE DATABASE collector');
    for (const t of ['otel_traces', 'otel_logs']) {
      await store.driver.exec(`CREATE TABLE collector.${t} AS default.${t}`);
      await store.driver.exec(`INSERT INTO collector.${t} SELECT * FROM default.${t}`);
      await store.driver.exec(`TRUNCATE TABLE default.${t}`);
    }
  } finally {
    await store.close();
  }
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(cliBuilt())('--source clickhouse and import clickhouse (built CLI)', () => {
  it('serve --source clickhouse says what it reads and derives the triplet with its reward', async () => {
    const server = await startCliServer({
      dataDir: dir,
      args: ['--no-raw', '--source', 'clickhouse', '--source-database', 'collector', '--source-interval-s', '1'],
    });
    try {
      expect(server.stdout()).toMatch(/source\s+collector\.otel_traces \+ otel_logs every 1 s \(look-back 10 min\)/);
      let triplets: { rollout_id: string; reward: number | null; response: { parts: { content: string }[] } }[] = [];
      for (let i = 0; i < 50 && triplets.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 200));
        triplets = ((await (await fetch(`${server.httpUrl}/api/v1/triplets?rollout=ro-collector`)).json()) as { triplets: typeof triplets }).triplets;
      }
      expect(triplets).toHaveLength(1);
      expect(triplets[0]).toMatchObject({ rollout_id: 'ro-collector', reward: 1 });
      expect(triplets[0]!.response.parts[0]!.content).toBe('4');
      expect(server.stderr()).toBe('');
    } finally {
      await server.stop();
    }
  });

  it('import clickhouse backfills a range; importing it again changes nothing', async () => {
    const since = new Date(Number(T0 / 1_000_000n) - 60_000).toISOString();
    const until = new Date(Number(T0 / 1_000_000n) + 60_000).toISOString();
    const args = [CLI_PATH, 'import', 'clickhouse', '--data', dir, '--since', since, '--until', until, '--source-database', 'collector'];
    for (let i = 0; i < 2; i++) {
      const { stdout } = await run(process.execPath, args);
      expect(stdout).toBe('imported 2 spans and 0 log records: 1 LLM calls, 1 rewards\n');
    }
    const { stdout } = await run(process.execPath, [CLI_PATH, 'triplets', '--data', dir, '--format', 'jsonl']);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ rollout_id: 'ro-collector', trace_id: TRACE, reward: 1 });
  });
});
