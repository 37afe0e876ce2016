// The built CLI end to end, as a user runs it: a real `tracelight serve` process, real HTTP, and the
// other commands run as separate processes against it (and directly on the data directory once it stops).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, cliBuilt, REPO_ROOT, startCliServer, type CliServer } from '../support/cli-process.js';

const run = promisify(execFile);

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI_PATH, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const ROOT = '00f067aa0ba902b7';
const ROLLOUT = 'rollout-cli-1';
const T0 = 1_760_000_000_000_000_000n;
const ms = (n: number): string => (T0 + BigInt(n) * 1_000_000n).toString();
const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const int = (key: string, v: number) => ({ key, value: { intValue: String(v) } });

/** A tool-using agent run in the current OTel GenAI convention: three chat calls with tool results between, and a final reward. */
function agentRun(): string {
  const sys = { role: 'system', parts: [{ type: 'text', content: 'You solve arithmetic with the calculator tool.' }] };
  const user = { role: 'user', parts: [{ type: 'text', content: 'What is (3 + 4) * 6?' }] };
  const call1 = {
    role: 'assistant',
    parts: [{ type: 'tool_call', id: 'c1', name: 'calculator', arguments: { expression: '3 + 4' } }],
    finish_reason: 'tool_call',
  };
  const res1 = { role: 'tool', parts: [{ type: 'tool_call_response', id: 'c1', response: '7' }] };
  const call2 = {
    role: 'assistant',
    parts: [{ type: 'tool_call', id: 'c2', name: 'calculator', arguments: { expression: '7 * 6' } }],
    finish_reason: 'tool_call',
  };
  const res2 = { role: 'tool', parts: [{ type: 'tool_call_response', id: 'c2', response: '42' }] };
  const answer = { role: 'assistant', parts: [{ type: 'text', content: 'The answer is 42.' }], finish_reason: 'stop' };
  const inputs = [[user], [user, call1, res1], [user, call1, res1, call2, res2]];
  const outputs = [call1, call2, answer];
  const chat = (i: number) => ({
    traceId: TRACE,
    spanId: `10000000000000${i}0`,
    parentSpanId: ROOT,
    name: 'chat sim-small',
    kind: 3,
    startTimeUnixNano: ms(100 * i + 10),
    endTimeUnixNano: ms(100 * i + 60),
    attributes: [
      str('gen_ai.operation.name', 'chat'),
      str('gen_ai.provider.name', 'openai'),
      str('gen_ai.request.model', 'sim-small'),
      str('gen_ai.response.model', 'sim-small-2026'),
      int('gen_ai.usage.input_tokens', 20 + i),
      int('gen_ai.usage.output_tokens', 5 + i),
      str('gen_ai.system_instructions', JSON.stringify(sys.parts)),
      str('gen_ai.input.messages', JSON.stringify(inputs[i])),
      str('gen_ai.output.messages', JSON.stringify([outputs[i]])),
    ],
  });
  const root = {
    traceId: TRACE,
    spanId: ROOT,
    name: 'invoke_agent calculator-agent',
    kind: 1,
    startTimeUnixNano: ms(0),
    endTimeUnixNano: ms(400),
    attributes: [
      str('gen_ai.operation.name', 'invoke_agent'),
      str('gen_ai.agent.name', 'calculator-agent'),
      str('tracelight.rollout.id', ROLLOUT),
      str('tracelight.attempt.id', 'attempt-1'),
    ],
    events: [
      {
        timeUnixNano: ms(390),
        name: 'gen_ai.evaluation.result',
        attributes: [
          str('gen_ai.evaluation.name', 'correct'),
          { key: 'gen_ai.evaluation.score.value', value: { doubleValue: 1 } },
          str('gen_ai.evaluation.explanation', '42 is right'),
        ],
      },
    ],
  };
  return JSON.stringify({
    resourceSpans: [
      { resource: { attributes: [str('service.name', 'calc-agent')] }, scopeSpans: [{ scope: { name: 'test' }, spans: [chat(0), chat(1), chat(2), root] }] },
    ],
  });
}

describe.skipIf(!cliBuilt())('tracelight CLI (built)', () => {
  let dir: string;
  let server: CliServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-cli-'));
    server = await startCliServer({ dataDir: join(dir, 'data') });
  });
  afterAll(async () => {
    await server?.stop('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  it('has --help for every command and fails with one clear line and a non-zero code', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['serve', 'migrate', 'sql', 'triplets', 'rollouts']) expect(help.stdout).toContain(c);
    for (const c of [['serve'], ['migrate'], ['sql'], ['triplets'], ['rollouts', 'show']]) {
      const r = await cli([...c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: tracelight /);
    }
    const bad = await cli(['sql', 'SELECT 1', '--format', 'xml', '--server', server.httpUrl]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toEqual(['tracelight: --format must be one of jsonl, json, table, got "xml"']);
    const write = await cli(['sql', 'DROP TABLE otel_traces', '--server', server.httpUrl]);
    expect(write.code).not.toBe(0);
    expect(write.stderr.trim()).toMatch(/^tracelight: only read-only statements are allowed/);
    const port = await cli(['serve', '--port', 'abc']);
    expect(port.code).not.toBe(0);
    expect(port.stderr).toMatch(/--port must be an integer/);
  });

  it('turns an agent run into triplets, applies late rewards, and ignores a re-sent batch', async () => {
    const post = async (): Promise<number> =>
      (await fetch(`${server.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: agentRun() })).status;
    expect(await post()).toBe(200);
    const triplets = async (policy: string): Promise<any[]> => {
      const r = await cli(['triplets', '--rollout', ROLLOUT, '--policy', policy, '--format', 'jsonl', '--server', server.httpUrl]);
      expect(r.stderr).toBe('');
      return r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    };
    const finals = await triplets('final');
    expect(finals.map((t) => [t.rollout_id, t.attempt_id, t.step, t.agent, t.model, t.reward])).toEqual([
      [ROLLOUT, 'attempt-1', 0, 'calculator-agent', 'sim-small-2026', 1],
      [ROLLOUT, 'attempt-1', 1, 'calculator-agent', 'sim-small-2026', 1],
      [ROLLOUT, 'attempt-1', 2, 'calculator-agent', 'sim-small-2026', 1],
    ]);
    expect(finals[0].trace_id).toBe(TRACE);
    expect(finals[0].prompt[0]).toEqual({ role: 'system', parts: [{ type: 'text', content: 'You solve arithmetic with the calculator tool.' }] });
    expect(finals[2].prompt.at(-1)).toEqual({ role: 'tool', parts: [{ type: 'tool_call_response', id: 'c2', response: '42' }] });
    expect(finals[0].response.parts[0]).toMatchObject({ type: 'tool_call', name: 'calculator', arguments: { expression: '3 + 4' } });
    expect(finals[2].response).toEqual({ role: 'assistant', parts: [{ type: 'text', content: 'The answer is 42.' }], finish_reason: 'stop' });
    expect(finals[1].usage).toEqual({ input_tokens: 21, output_tokens: 6 });
    expect((await triplets('per-span')).map((t) => t.reward)).toEqual([null, null, null]);
    expect((await triplets('last-call')).map((t) => t.reward)).toEqual([null, null, 1]);

    // A human grader's score arrives later through the API and becomes the primary reward.
    const late = await fetch(`${server.httpUrl}/api/v1/rewards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rollout_id: ROLLOUT, name: 'human', value: 0.25, primary: true, explanation: 'verbose' }),
    });
    expect(late.status).toBe(201);
    expect((await triplets('final')).map((t) => t.reward)).toEqual([0.25, 0.25, 0.25]);

    // The exporter retries the same batch: nothing changes.
    expect(await post()).toBe(200);
    const again = await triplets('final');
    expect(again.length).toBe(3);
    expect(again.map((t) => t.rewards)).toEqual([
      { correct: 1, human: 0.25 },
      { correct: 1, human: 0.25 },
      { correct: 1, human: 0.25 },
    ]);
  });

  it('rejects bad reward posts with a message naming the field', async () => {
    const res = await fetch(`${server.httpUrl}/api/v1/rewards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', value: 'high' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/value/);
    const none = await fetch(`${server.httpUrl}/api/v1/rewards`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: 1 }),
    });
    expect(((await none.json()) as { error: string }).error).toMatch(/rollout_id, trace_id or span_id/);
  });

  it('prints a readable transcript with tool use and rewards', async () => {
    const r = await cli(['rollouts', 'show', ROLLOUT, '--server', server.httpUrl]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`rollout ${ROLLOUT}`);
    expect(r.stdout).toContain('3 LLM calls, 2 rewards, primary reward human = 0.25');
    expect(r.stdout).toContain('user:\n       What is (3 + 4) * 6?');
    expect(r.stdout).toContain('→ tool call calculator({"expression":"3 + 4"})');
    expect(r.stdout).toContain('← tool result [c2]: 42');
    expect(r.stdout).toContain('The answer is 42.');
    expect(r.stdout).toMatch(/★ correct = 1 .*\n\s+42 is right/);
    const missing = await cli(['rollouts', 'show', 'nope', '--server', server.httpUrl]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no LLM calls or rewards are stored for rollout nope/);
  });

  it('queries SQL through the server, and directly on the data directory once the server is gone', async () => {
    const via = await cli(['sql', 'SELECT count() AS n FROM llm_calls FINAL', '--format', 'json', '--server', server.httpUrl]);
    expect(JSON.parse(via.stdout)).toEqual([{ n: '3' }]);
    // On the server's data directory, a client command goes through the server that recorded itself there.
    const viaDir = await cli(['sql', 'SELECT count() AS n FROM llm_calls FINAL', '--format', 'json', '--data', join(dir, 'data')]);
    expect(JSON.parse(viaDir.stdout)).toEqual([{ n: '3' }]);
    // A command that must open the store itself is told who holds it.
    const busy = await cli(['migrate', '--data', join(dir, 'data')]);
    expect(busy.code).not.toBe(0);
    expect(busy.stderr).toMatch(/in use by process \d+/);
    const exit = await server.stop('SIGTERM');
    expect(exit.code).toBe(0);
    const direct = await cli([
      'sql',
      'SELECT SpanName FROM otel_traces WHERE SpanId = {s:String} LIMIT 1',
      '--param',
      `s=${ROOT}`,
      '--data',
      join(dir, 'data'),
      '--format',
      'jsonl',
    ]);
    expect(direct.stdout).toBe('{"SpanName":"invoke_agent calculator-agent"}\n');
    const trip = await cli(['triplets', '--data', join(dir, 'data'), '--format', 'table']);
    expect(trip.stdout).toContain('The answer is 42.');
    expect(trip.stdout).toContain('(3 rows)');
    const migrate = await cli(['migrate', '--data', join(dir, 'data')]);
    expect(migrate.stdout).toMatch(/is up to date/);
  });
});
