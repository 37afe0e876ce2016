// `serve --no-raw`, for a Collector that fans out to ClickHouse and to tracelight: the Collector's exporter
// stores the raw spans, so tracelight stores only what it derives, says so at start, and training works the same
// (triplets, rewards, even a reward that names only the call's span).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, queryServer, startCliServer, type CliServer } from '../support/cli-process.js';

const TRACE = '5b8efff798038103d269b633813fc60c';
const ROOT = 'a000000000000001';
const CALL = 'a000000000000002';
const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const msgs = (role: string, content: string) => JSON.stringify([{ role, parts: [{ type: 'text', content }] }]);

const payload = {
  resourceSpans: [
    {
      resource: { attributes: [str('service.name', 'fan-out-agent')] },
      scopeSpans: [
        {
          spans: [
            {
              traceId: TRACE,
              spanId: ROOT,
              name: 'agent run',
              kind: 1,
              startTimeUnixNano: '1764670000000000000',
              endTimeUnixNano: '1764670002000000000',
              attributes: [str('tracelight.rollout.id', 'ro-fan')],
            },
            {
              traceId: TRACE,
              spanId: CALL,
              parentSpanId: ROOT,
              name: 'chat sim-small',
              kind: 3,
              startTimeUnixNano: '1764670000100000000',
              endTimeUnixNano: '1764670000900000000',
              attributes: [
                str('gen_ai.operation.name', 'chat'),
                str('gen_ai.request.model', 'sim-small'),
                str('gen_ai.input.messages', msgs('user', 'What is 2 + 2?')),
                str('gen_ai.output.messages', msgs('assistant', '4')),
              ],
            },
          ],
        },
      ],
    },
  ],
};

let dir: string;
let server: CliServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-no-raw-'));
  if (cliBuilt()) server = await startCliServer({ dataDir: join(dir, 'data'), args: ['--no-raw'] });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(cliBuilt())('serve --no-raw', () => {
  it('says at start that raw spans are left to the Collector', () => {
    expect(server.stdout()).toMatch(/raw spans\s+not stored \(--no-raw\)/);
  });

  it('stores no raw span or log record, and the triplet with its reward is there all the same', async () => {
    const post = await fetch(`${server.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
    expect(post.status).toBe(200);
    // A reward naming only the call's span: found through the call, since there is no raw span to look in.
    const reward = await fetch(`${server.httpUrl}/api/v1/rewards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ span_id: CALL, name: 'correct', value: 1 }),
    });
    expect(reward.status, await reward.clone().text()).toBe(201);
    const [counts] = await queryServer<{ spans: string; logs: string; calls: string }>(
      server.httpUrl,
      'SELECT (SELECT count() FROM otel_traces) AS spans, (SELECT count() FROM otel_logs) AS logs, (SELECT count() FROM llm_calls) AS calls',
    );
    expect(counts).toEqual({ spans: '0', logs: '0', calls: '1' });
    const res = await fetch(`${server.httpUrl}/api/v1/triplets?rollout=ro-fan`);
    const { triplets } = (await res.json()) as { triplets: { reward: number | null; response: { parts: { content: string }[] } }[] };
    expect(triplets).toHaveLength(1);
    expect(triplets[0]!.response.parts[0]!.content).toBe('4');
    expect(triplets[0]!.reward).toBe(1);
  });
});
