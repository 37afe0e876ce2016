// Shared setup of the Python interop suites (test/interop/python/*.test.ts): a real tracelight server (OTLP/HTTP
// and OTLP/gRPC on free ports), the simulated OpenAI-compatible model (NOT a real LLM) behind a recording proxy,
// and a runner for the Python agent scripts beside this file, each in a venv with pinned requirements
// (requirements/<name>.txt, created from PyPI by pythonEnv on first use).
//
// The expected triplets are built from what really went over the wire between the agent's `openai` client and
// the model: the prompt is the request's messages, the response the returned choice, usage the response's usage,
// token ids what the model returned. So each test checks that tracelight turned the instrumentation's spans back
// into exactly the exchange that happened.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { startSimulatedModel, type SimulatedModelServer } from '../../../examples/simulated-model/index.js';
import type { Message, MessagePart } from '../../../schemas/genai.js';
import { startServer, type RunningServer } from '../../../server/server.js';
import type { Triplet } from '../../../training/triplets.js';
import { recordCompat, type CompatRow } from '../compat.js';
import { modelCalls, startRecordingProxy, type ModelCall, type RecordingProxy } from '../harness.js';

export const SCRIPTS_DIR = fileURLToPath(new URL('.', import.meta.url));

/** The agents' prompts (agent_common.py). */
export const SYSTEM_PROMPT = 'You are a concise geography tutor.';
export const USER_QUESTION = 'What is the capital of France?';
export const TOOL_SYSTEM_PROMPT = 'You solve arithmetic with the calculator tool.';
export const TOOL_QUESTION = 'What is (3 + 4) * 6?';

export { interopRequirements as requirements } from '../../support/python-env.js';

export type Protocol = 'grpc' | 'http/protobuf';
export type Transport = 'grpc' | 'http';

export interface AgentRun {
  /** What the script printed last (JSON). */
  result: { answer: string; reward?: number };
  /** The generation requests it made to the model, in order. */
  calls: ModelCall[];
  /** Spans / log records tracelight accepted during the run, by transport. */
  accepted: Record<'spans' | 'logs', Record<Transport, number>>;
  stderr: string;
}

export interface PythonInterop {
  tracelight: RunningServer;
  httpUrl: string;
  grpcPort: number;
  model: RecordingProxy;
  /** Runs `python <script> <scenario>` with the standard OTel / OpenAI environment variables (plus `env`). */
  runAgent(
    python: string,
    script: string,
    scenario: 'single' | 'tools',
    opts: { protocol: Protocol; serviceName: string; env?: Record<string, string> },
  ): Promise<AgentRun>;
  triplets(rollout: string, policy?: 'final' | 'last-call' | 'per-span'): Promise<Triplet[]>;
  /**
   * With TRACELIGHT_INTEROP_CAPTURE=DIR set, writes what one run left (its service's spans and log records as
   * stored, the model exchanges, the triplets) to DIR/<name>/, for studying a new instrumentation; else nothing.
   */
  capture(name: string, service: string, rollout: string, run: AgentRun): Promise<void>;
  close(): Promise<void>;
}

const AGENT_TIMEOUT_MS = 120_000;

/** The environment of an agent process: the machine's, minus any OTel / OpenAI / Traceloop settings of its own. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(OTEL_|OPENAI_|TRACELOOP_|AGENTOPS_|PYTHON)/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

async function acceptedCounts(httpUrl: string): Promise<AgentRun['accepted']> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  const out: AgentRun['accepted'] = { spans: { grpc: 0, http: 0 }, logs: { grpc: 0, http: 0 } };
  for (const m of text.matchAll(/^tracelight_accepted_total\{signal="(spans|logs)",transport="(grpc|http)"\} (\d+)/gm)) {
    out[m[1] as 'spans' | 'logs'][m[2] as Transport] = Number(m[3]);
  }
  return out;
}

export async function startPythonInterop(): Promise<PythonInterop> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tl-interop-py-'));
  // The agents' working directory (AgentOps writes agentops.log into it).
  const workDir = mkdtempSync(join(tmpdir(), 'tl-interop-py-cwd-'));
  const tracelight = await startServer({ host: '127.0.0.1', port: 0, grpcPort: 0, store: { dataDir } });
  const sim: SimulatedModelServer = await startSimulatedModel({ port: 0 });
  const model = await startRecordingProxy(sim.url.replace(/\/v1$/, ''));
  const grpcPort = tracelight.grpcPort;
  if (grpcPort === null) throw new Error('tracelight started without OTLP/gRPC');

  const env: PythonInterop = {
    tracelight,
    httpUrl: tracelight.httpUrl,
    grpcPort,
    model,
    async runAgent(python, script, scenario, opts) {
      const before = model.exchanges.length;
      const acceptedBefore = await acceptedCounts(tracelight.httpUrl);
      const childEnv: Record<string, string> = {
        ...baseEnv(),
        PYTHONUNBUFFERED: '1',
        PYTHONDONTWRITEBYTECODE: '1',
        OPENAI_BASE_URL: `${model.url}/v1`,
        OPENAI_API_KEY: 'unused',
        OTEL_EXPORTER_OTLP_PROTOCOL: opts.protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: opts.protocol === 'grpc' ? `http://127.0.0.1:${grpcPort}` : tracelight.httpUrl,
        OTEL_SERVICE_NAME: opts.serviceName,
        ...opts.env,
      };
      const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
        execFile(
          python,
          [join(SCRIPTS_DIR, script), scenario],
          { cwd: workDir, env: childEnv, timeout: AGENT_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
          (err, out, errOut) => {
            if (err) reject(new Error(`${script} ${scenario} failed (${err.message.split('\n')[0]}):\n${errOut.split('\n').slice(-40).join('\n')}`));
            else resolve({ stdout: out, stderr: errOut });
          },
        );
      });
      const last = stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .pop();
      if (!last) throw new Error(`${script} ${scenario} printed no result:\n${stdout}\n${stderr}`);
      const acceptedAfter = await acceptedCounts(tracelight.httpUrl);
      const accepted: AgentRun['accepted'] = { spans: { grpc: 0, http: 0 }, logs: { grpc: 0, http: 0 } };
      for (const signal of ['spans', 'logs'] as const) {
        for (const t of ['grpc', 'http'] as const) accepted[signal][t] = acceptedAfter[signal][t] - acceptedBefore[signal][t];
      }
      return { result: JSON.parse(last) as AgentRun['result'], calls: modelCalls({ ...model, exchanges: model.exchanges.slice(before) }), accepted, stderr };
    },
    async triplets(rollout, policy = 'final') {
      const res = await fetch(`${tracelight.httpUrl}/api/v1/triplets?rollout=${encodeURIComponent(rollout)}&policy=${policy}`);
      if (res.status !== 200) throw new Error(`GET triplets: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { triplets: Triplet[] }).triplets;
    },
    async capture(name, service, rollout, run) {
      const root = process.env.TRACELIGHT_INTEROP_CAPTURE;
      if (!root) return;
      const dir = join(root, name);
      mkdirSync(dir, { recursive: true });
      const query = async (sql: string): Promise<unknown[]> => {
        const body = JSON.stringify({ sql, params: { service } });
        const res = await fetch(`${tracelight.httpUrl}/api/v1/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        if (res.status !== 200) throw new Error(`POST /api/v1/query: ${res.status} ${await res.text()}`);
        return ((await res.json()) as { rows: unknown[] }).rows;
      };
      writeFileSync(
        join(dir, 'spans.json'),
        JSON.stringify(
          await query(
            `SELECT Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ScopeName, SpanAttributes, Events.Name, Events.Attributes, ResourceAttributes FROM otel_traces WHERE ServiceName = {service:String} ORDER BY Timestamp`,
          ),
          null,
          2,
        ),
      );
      writeFileSync(
        join(dir, 'logs.json'),
        JSON.stringify(await query('SELECT * FROM otel_logs WHERE ServiceName = {service:String} ORDER BY Timestamp'), null, 2),
      );
      writeFileSync(join(dir, 'wire.json'), JSON.stringify(run.calls, null, 2));
      writeFileSync(join(dir, 'triplets.json'), JSON.stringify(await this.triplets(rollout), null, 2));
    },
    async close() {
      await model.close();
      await sim.close();
      await tracelight.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(workDir, { recursive: true, force: true });
    },
  };
  return env;
}

// ------------------------------------------------------------------ the wire → the triplet tracelight must build

type WireMessage = {
  role: string;
  content?: string | null;
  tool_call_id?: string;
  tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
};

function toolCallParts(calls: WireMessage['tool_calls']): MessagePart[] {
  return (calls ?? []).map((tc) => ({ type: 'tool_call', id: tc.id, name: tc.function.name, arguments: JSON.parse(tc.function.arguments) as unknown }));
}

/** A chat-completions request message in tracelight's message shape. */
export function wireMessage(m: WireMessage): Message {
  if (m.role === 'tool') return { role: 'tool', parts: [{ type: 'tool_call_response', id: m.tool_call_id, response: m.content }] };
  const parts: MessagePart[] = [];
  if (m.content) parts.push({ type: 'text', content: m.content });
  parts.push(...toolCallParts(m.tool_calls));
  return { role: m.role, parts };
}

export interface Expectation {
  rollout: string;
  attempt?: string;
  agent: string;
  reward: { name: string; value: number } | null;
  /** Whether the triplets carry the token ids the model returned. */
  tokenIds?: boolean;
  /** Whether the response message carries its finish reason (OpenInference reports it for the span only). */
  messageFinish?: boolean;
  /** Whether the instrumentation records a finish reason at all (the OpenAI Agents SDK's generation spans do not). */
  finishReported?: boolean;
  /** The README compatibility row this run proves, recorded once every check below has passed. */
  compat?: Omit<CompatRow, 'language' | 'content' | 'toolCalls' | 'usage' | 'rewards' | 'callCount'>;
}

/**
 * Checks each triplet against the model exchange it came from, field by field: prompt = request messages,
 * response = returned message and finish reason, usage, model, identity, reward, token ids.
 */
export function expectTripletsMatchWire(triplets: Triplet[], calls: ModelCall[], x: Expectation): void {
  expect(triplets).toHaveLength(calls.length);
  const traceIds = new Set(triplets.map((t) => t.trace_id));
  expect(traceIds.size).toBe(1);
  expect(new Set(triplets.map((t) => t.span_id)).size).toBe(triplets.length);
  triplets.forEach((t, i) => {
    const call = calls[i] as ModelCall;
    const choice = call.response.choices[0] as { message: WireMessage; finish_reason: string; token_ids?: number[] };
    // tracelight names finish reasons in the OTel vocabulary: OpenAI's tool_calls is tool_call.
    const finish = x.finishReported === false ? null : choice.finish_reason === 'tool_calls' ? 'tool_call' : choice.finish_reason;
    expect(t.rollout_id).toBe(x.rollout);
    expect(t.attempt_id).toBe(x.attempt ?? '');
    expect(t.step).toBe(i);
    expect(t.agent).toBe(x.agent);
    expect(t.model).toBe(call.response.model);
    expect(t.prompt).toEqual((call.request.messages as WireMessage[]).map(wireMessage));
    expect(t.response).toEqual(
      x.messageFinish === false || finish === null ? wireMessage(choice.message) : { ...wireMessage(choice.message), finish_reason: finish },
    );
    expect(t.finish_reason).toBe(finish);
    expect(t.usage).toEqual({ input_tokens: call.response.usage.prompt_tokens, output_tokens: call.response.usage.completion_tokens });
    expect(t.reward).toBe(x.reward ? x.reward.value : null);
    expect(t.reward_name).toBe(x.reward ? x.reward.name : null);
    expect(t.rewards).toEqual(x.reward ? { [x.reward.name]: x.reward.value } : {});
    if (x.tokenIds) {
      expect(call.response.prompt_token_ids?.length).toBeGreaterThan(0);
      expect(t.token_ids).toEqual({ prompt: call.response.prompt_token_ids, response: choice.token_ids });
    } else {
      expect(t.token_ids).toBeUndefined();
    }
  });
  if (x.compat) {
    const toolCalls = triplets.some((t) => t.prompt.some((m) => m.parts.some((p) => p.type === 'tool_call_response')));
    recordCompat({ ...x.compat, language: 'Python', content: true, toolCalls, usage: true, rewards: x.reward !== null, callCount: true });
  }
}

/** The single-turn scenario, literally: system prompt, user question, the model's one-word answer. */
export function expectSingleTurn(triplets: Triplet[], messageFinish = true): void {
  expect(triplets).toHaveLength(1);
  const [t] = triplets as [Triplet];
  expect(t.prompt).toEqual([
    { role: 'system', parts: [{ type: 'text', content: SYSTEM_PROMPT }] },
    { role: 'user', parts: [{ type: 'text', content: USER_QUESTION }] },
  ]);
  const answer = { role: 'assistant', parts: [{ type: 'text', content: 'Paris' }] };
  expect(t.response).toEqual(messageFinish ? { ...answer, finish_reason: 'stop' } : answer);
  expect(t.finish_reason).toBe('stop');
}

/** The calculator scenario, literally: three calls, 3 + 4 then 7 * 6 through the tool, then the answer 42. */
export function expectToolAgent(triplets: Triplet[], toolFinish: string | null = 'tool_call', stopFinish: string | null = 'stop'): void {
  expect(triplets).toHaveLength(3);
  const [first, second, last] = triplets as [Triplet, Triplet, Triplet];
  const system = { role: 'system', parts: [{ type: 'text', content: TOOL_SYSTEM_PROMPT }] };
  const user = { role: 'user', parts: [{ type: 'text', content: TOOL_QUESTION }] };
  expect(first.prompt).toEqual([system, user]);
  const call = (t: Triplet): { id?: string; name: string; arguments: unknown } => {
    expect(t.response?.parts).toHaveLength(1);
    const part = t.response?.parts[0] as { type: string; id?: string; name: string; arguments: unknown };
    expect(part.type).toBe('tool_call');
    return part;
  };
  const c1 = call(first);
  expect([c1.name, c1.arguments, first.finish_reason]).toEqual(['calculator', { expression: '3 + 4' }, toolFinish]);
  const c2 = call(second);
  expect([c2.name, c2.arguments, second.finish_reason]).toEqual(['calculator', { expression: '7 * 6' }, toolFinish]);
  expect(c1.id).toMatch(/^call_/);
  expect(c2.id).not.toBe(c1.id);
  expect(second.prompt).toEqual([
    system,
    user,
    { role: 'assistant', parts: [{ type: 'tool_call', id: c1.id, name: 'calculator', arguments: { expression: '3 + 4' } }] },
    { role: 'tool', parts: [{ type: 'tool_call_response', id: c1.id, response: '7' }] },
  ]);
  expect(last.prompt).toEqual([
    ...second.prompt,
    { role: 'assistant', parts: [{ type: 'tool_call', id: c2.id, name: 'calculator', arguments: { expression: '7 * 6' } }] },
    { role: 'tool', parts: [{ type: 'tool_call_response', id: c2.id, response: '42' }] },
  ]);
  expect(last.response?.role).toBe('assistant');
  expect(last.response?.parts).toHaveLength(1);
  expect(last.response?.parts[0]).toMatchObject({ type: 'text' });
  expect((last.response!.parts[0] as { content: string }).content).toContain('42');
  expect(last.finish_reason).toBe(stopFinish);
  // Usage grows with the conversation.
  expect(first.usage.input_tokens).toBeGreaterThan(0);
  expect(second.usage.input_tokens).toBeGreaterThan(first.usage.input_tokens ?? 0);
  expect(last.usage.input_tokens).toBeGreaterThan(second.usage.input_tokens ?? 0);
}

/** A fresh rollout id per run, so reruns against a kept data directory never mix. */
export function rolloutId(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}`;
}

// ------------------------------------------------------------------ folding the wire into the harness's form

type Json = Record<string, any>;

/** A request message whose content is a single text part, as the plain string it stands for. */
function plainContent(m: Json): Json {
  const c = m.content;
  if (Array.isArray(c) && c.length === 1 && c[0]?.type === 'text' && typeof c[0].text === 'string') return { ...m, content: c[0].text };
  return m;
}

/** The chat.completion object a streamed call's chunks add up to (content, tool calls, finish reason, usage). */
function unstreamed(chunks: Json[]): Json {
  let content = '';
  let finish: string | null = null;
  const calls: Array<{ id: string; type: string; function: { name: string; arguments: string } }> = [];
  for (const ch of chunks) {
    const choice = ch.choices?.[0];
    if (!choice) continue;
    if (typeof choice.delta?.content === 'string') content += choice.delta.content;
    for (const d of (choice.delta?.tool_calls ?? []) as Json[]) {
      const tc = (calls[d.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
      if (d.id) tc.id = d.id;
      if (d.function?.name) tc.function.name += d.function.name;
      if (d.function?.arguments) tc.function.arguments += d.function.arguments;
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  const first = chunks[0] ?? {};
  const message: Json = { role: 'assistant', content: content || null };
  if (calls.length > 0) message.tool_calls = calls;
  return { id: first.id, model: first.model, choices: [{ index: 0, message, finish_reason: finish }], usage: chunks.find((ch) => ch.usage)?.usage };
}

/**
 * The exchanges in the form the wire checks read: a request content of one text part as that text, and a streamed
 * response as the message its chunks add up to. Frameworks that send content-part arrays or stream by default
 * (strands-agents, LlamaIndex, smolagents) are then checked against what they really sent.
 */
export function chatWire(calls: ModelCall[]): ModelCall[] {
  return calls.map((c) => ({
    ...c,
    request: { ...c.request, messages: (c.request.messages as Json[]).map(plainContent) },
    response: c.stream ? (unstreamed(c.response as unknown as Json[]) as ModelCall['response']) : c.response,
    stream: false,
  }));
}
