// `tracelight export` end to end: agent runs arrive over OTLP (current OTel GenAI convention, tool use, tool
// definitions, the proxy's token ids), rewards over REST; the built CLI writes every export through the server;
// Python then reads each file with the readers the target trainers use (pyarrow and `datasets` for verl's
// Parquet and the JSONL files) and checks OpenAI's chat fine-tuning rules line by line.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/server.js';
import { CLI_PATH, cliBuilt, REPO_ROOT } from '../support/cli-process.js';
import { encodeJsonRequest, randomSpanId, randomTraceId, type SpanSpec } from '../support/otlp-payloads.js';
import { pythonEnv } from '../support/python-env.js';

const run = promisify(execFile);
const T0 = 1_765_000_000_000_000_000n;
const TASKS = ['What is 6*7?', 'What is 12+30?', 'What is 50-8?'];
const ROLLOUTS_PER_TASK = 4;
const CALC = {
  type: 'function',
  name: 'calc',
  description: 'evaluates arithmetic',
  parameters: { type: 'object', properties: { expr: { type: 'string' } }, required: ['expr'] },
};

let server: RunningServer;
let dir: string;

const ints = (xs: number[]) => ({ arrayValue: { values: xs.map((x) => ({ intValue: String(x) })) } });
const doubles = (xs: number[]) => ({ arrayValue: { values: xs.map((x) => ({ doubleValue: x })) } });
const s = (v: string) => ({ stringValue: v });

/** One agent run: a tool call, then the answer (right or wrong), each call with token ids as the proxy records them. */
function agentRun(task: string, rollout: string, right: boolean, t: bigint): SpanSpec[] {
  const traceId = randomTraceId();
  const user = { role: 'user', parts: [{ type: 'text', content: task }] };
  const call = {
    role: 'assistant',
    parts: [{ type: 'tool_call', id: `c-${rollout}`, name: 'calc', arguments: { expr: right ? task : `${task} - 1` } }],
    finish_reason: 'tool_call',
  };
  const result = { role: 'tool', parts: [{ type: 'tool_call_response', id: `c-${rollout}`, response: '42' }] };
  const answer = { role: 'assistant', parts: [{ type: 'text', content: right ? 'The answer is 42.' : 'The answer is 41.' }], finish_reason: 'stop' };
  const chat = (i: number, input: unknown[], output: unknown): SpanSpec => ({
    traceId,
    spanId: randomSpanId(),
    name: 'chat sim-small',
    kind: 3,
    startTimeUnixNano: t + BigInt(i) * 1_000_000n,
    endTimeUnixNano: t + BigInt(i) * 1_000_000n + 500_000n,
    raw: {
      attributes: Object.entries({
        'gen_ai.operation.name': s('chat'),
        'gen_ai.provider.name': s('openai'),
        'gen_ai.request.model': s('sim-small'),
        'gen_ai.system_instructions': s(JSON.stringify([{ type: 'text', content: 'Use the calc tool, then answer.' }])),
        'gen_ai.input.messages': s(JSON.stringify(input)),
        'gen_ai.output.messages': s(JSON.stringify([output])),
        'gen_ai.tool.definitions': s(JSON.stringify([CALC])),
        'tracelight.rollout.id': s(rollout),
        'tracelight.llm.prompt_token_ids': ints([1, 2, 3, i]),
        'tracelight.llm.response_token_ids': ints([10 + i, 11 + i]),
        'tracelight.llm.response_logprobs': doubles([-0.25, -0.5]),
      }).map(([key, value]) => ({ key, value })),
    },
  });
  return [chat(0, [user], call), chat(1, [user, call, result], answer)];
}

async function cli(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [CLI_PATH, ...args, '--server', server.httpUrl], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-exports-'));
  server = await startServer({ host: '127.0.0.1', port: 0, grpcPort: null, store: { dataDir: join(dir, 'data'), batch: { flushIntervalMs: 10 } } });
  const spans: SpanSpec[] = [];
  const rewards: { rollout_id: string; value: number; primary: boolean }[] = [];
  TASKS.forEach((task, ti) => {
    for (let k = 0; k < ROLLOUTS_PER_TASK; k++) {
      const id = `ro-${ti}-${k}`;
      const right = k % 2 === 0;
      spans.push(...agentRun(task, id, right, T0 + BigInt(ti * 100 + k * 10) * 1_000_000_000n));
      rewards.push({ rollout_id: id, value: right ? 1 : 0, primary: true });
    }
  });
  const res = await fetch(`${server.httpUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: encodeJsonRequest(spans, 'calc-agent'),
  });
  expect(res.status).toBe(200);
  const posted = await fetch(`${server.httpUrl}/api/v1/rewards`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rewards),
  });
  expect(posted.status).toBe(201);
  await server.store.writer.drain();
}, 120_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!cliBuilt())('tracelight export', () => {
  it('writes SFT (OpenAI, TRL), DPO, verl and GRPO files that the trainers’ readers load', async () => {
    const f = (name: string) => join(dir, name);
    expect(await cli(['export', 'sft', '--format', 'openai', '--min-reward', '1', '--out', f('sft.jsonl')])).toMatch(
      /^wrote 12 examples to .*sft\.jsonl \(3 tasks\)/,
    );
    await cli(['export', 'sft', '--format', 'trl', '--top-percent', '50', '--out', f('sft-trl.jsonl')]);
    expect(await cli(['export', 'dpo', '--out', f('dpo.jsonl')])).toMatch(/^wrote \d+ pairs/);
    expect(await cli(['export', 'verl', '--out', f('verl.parquet')])).toMatch(/^wrote 3 tasks/);
    expect(await cli(['export', 'grpo', '--out', f('grpo.jsonl')])).toMatch(/^wrote 24 samples .*\(3 of 3 groups\)/);

    // The first OpenAI line: the whole tool exchange, the answer last, the tool definition attached.
    const first = JSON.parse(readFileSync(f('sft.jsonl'), 'utf8').split('\n')[1]!) as { messages: { role: string; tool_call_id?: string }[]; tools: unknown[] };
    expect(first.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant']);
    expect(first.tools).toEqual([{ type: 'function', function: { name: 'calc', description: CALC.description, parameters: CALC.parameters } }]);

    const python = await pythonEnv('exports', ['pyarrow==22.0.0', 'datasets==5.0.1']);
    const { stdout } = await run(
      python,
      [join(REPO_ROOT, 'test/integration/python/check_exports.py'), f('sft.jsonl'), f('sft-trl.jsonl'), f('dpo.jsonl'), f('verl.parquet'), f('grpo.jsonl')],
      {
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, HF_DATASETS_OFFLINE: '1', HF_HUB_OFFLINE: '1', HF_HOME: join(dir, 'hf') },
      },
    );
    const got = JSON.parse(stdout) as Record<string, unknown>;
    expect(got).toMatchObject({
      sft_openai_lines: 12,
      sft_openai_with_tools: 12,
      sft_openai_datasets_rows: 12,
      sft_trl_columns: ['completion', 'prompt', 'reward', 'rollout_id', 'tools'],
      sft_trl_rows: 12,
      dpo_columns: ['chosen', 'prompt', 'rejected', 'score_chosen', 'score_rejected', 'tools'],
      verl_rows: 3,
      verl_first_prompt_roles: ['system', 'user'],
      verl_first_ground_truth: 'The answer is 42.',
      grpo_samples: 24,
    });
    // Only calls that saw the same prompt pair up: each task's opening call (later prompts carry each run's own tool-call ids).
    expect(got.dpo_rows).toBe(3);
    expect((got.verl_schema as Record<string, string>).prompt).toMatch(/^list<.*struct<role: string.*, content: string/);
    // Normalized advantages sum to zero within each group.
    expect(Math.abs(got.grpo_advantage_sum as number)).toBeLessThan(1e-6);
  }, 900_000);
});
