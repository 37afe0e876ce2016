// An agent framework's trace through the built server: the agent and event-loop spans around each model request
// repeat its gen_ai.* keys, a tool span sits between, and one span names an operation tracelight does not know.
// A user checks that only the model request is a call, that /metrics names the unknown operation, and that the
// triplet carries the cache and reasoning token counts and the finish reason in the OTel vocabulary (the span says
// Bedrock's `end_turn`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, queryServer, startCliServer, type CliServer } from '../support/cli-process.js';

const TRACE = '6c9efff798038103d269b633813fc60d';
const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const int = (key: string, v: number) => ({ key, value: { intValue: String(v) } });
const msgs = (role: string, content: string) => JSON.stringify([{ role, parts: [{ type: 'text', content }] }]);
const common = [
  str('gen_ai.request.model', 'sim-small'),
  str('gen_ai.input.messages', msgs('user', 'What is 2 + 2?')),
  str('gen_ai.output.messages', msgs('assistant', '4')),
];
const at = (ms: number): string => String(1764670000000000000n + BigInt(ms) * 1_000_000n);

const spans = [
  {
    spanId: 'b000000000000001',
    name: 'invoke_agent solver',
    attributes: [...common, str('gen_ai.operation.name', 'invoke_agent'), str('tracelight.rollout.id', 'ro-framework')],
  },
  {
    spanId: 'b000000000000002',
    parentSpanId: 'b000000000000001',
    name: 'execute_event_loop_cycle',
    attributes: [...common, str('gen_ai.operation.name', 'execute_event_loop_cycle')],
  },
  {
    spanId: 'b000000000000003',
    parentSpanId: 'b000000000000002',
    name: 'chat sim-small',
    attributes: [
      ...common,
      str('gen_ai.operation.name', 'chat'),
      int('gen_ai.usage.input_tokens', 120),
      int('gen_ai.usage.output_tokens', 30),
      int('gen_ai.usage.cache_read.input_tokens', 96),
      int('gen_ai.usage.cache_creation.input_tokens', 0),
      int('gen_ai.usage.reasoning_tokens', 12),
      { key: 'gen_ai.usage.cost', value: { doubleValue: 0.00042 } },
      { key: 'gen_ai.response.finish_reasons', value: { arrayValue: { values: [{ stringValue: 'end_turn' }] } } },
    ],
  },
  { spanId: 'b000000000000004', parentSpanId: 'b000000000000002', name: 'execute_tool calculator', attributes: [str('gen_ai.operation.name', 'execute_tool')] },
  { spanId: 'b000000000000005', parentSpanId: 'b000000000000001', name: 'reflect', attributes: [...common, str('gen_ai.operation.name', 'reflect_on_answer')] },
].map((s, i) => ({ traceId: TRACE, kind: 1, startTimeUnixNano: at(i * 10), endTimeUnixNano: at(i * 10 + 5), ...s }));

let dir: string;
let server: CliServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-framework-spans-'));
  if (cliBuilt()) server = await startCliServer({ dataDir: join(dir, 'data') });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(cliBuilt())('an agent framework trace', () => {
  it('becomes one call with its usage details and a normalized finish reason; the unknown operation is on /metrics', async () => {
    const body = JSON.stringify({ resourceSpans: [{ resource: { attributes: [str('service.name', 'framework-agent')] }, scopeSpans: [{ spans }] }] });
    const post = await fetch(`${server.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(post.status).toBe(200);

    const calls = await queryServer<{ span_id: string; cache_read_input_tokens: number; reasoning_tokens: number; cost_usd: number; finish_reasons: string[] }>(
      server.httpUrl,
      'SELECT span_id, cache_read_input_tokens, reasoning_tokens, cost_usd, finish_reasons FROM llm_calls FINAL',
    );
    expect(calls).toEqual([{ span_id: 'b000000000000003', cache_read_input_tokens: 96, reasoning_tokens: 12, cost_usd: 0.00042, finish_reasons: ['stop'] }]);

    const res = await fetch(`${server.httpUrl}/api/v1/triplets?rollout=ro-framework`);
    const { triplets } = (await res.json()) as { triplets: { span_id: string; usage: Record<string, number | null>; finish_reason: string }[] };
    expect(triplets).toHaveLength(1);
    // A reported zero (no cache writes) is stored, but the triplet carries only counts that say something.
    expect(triplets[0]).toMatchObject({ span_id: 'b000000000000003', finish_reason: 'stop' });
    expect(triplets[0]!.usage).toEqual({ input_tokens: 120, output_tokens: 30, cache_read_input_tokens: 96, reasoning_tokens: 12, cost_usd: 0.00042 });

    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^tracelight_unknown_operations_total\{source="gen_ai\.operation\.name",operation="reflect_on_answer"\} 1$/m);
    expect(metrics).not.toMatch(/operation="execute_event_loop_cycle"/);
  });
});
