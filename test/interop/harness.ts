// Shared setup of the interop suites: a real tracelight server, the simulated OpenAI-compatible model (NOT a
// real LLM), and a real OpenTelemetry SDK pipeline (TracerProvider + LoggerProvider, OTLP/HTTP protobuf
// exporters) that a third-party instrumentation reports through. Each test file starts one environment (chDB
// allows one data directory per process, and vitest runs every file in its own process).
//
// Two small recording proxies sit on the wires:
//  - model side: every request and response body the instrumented client exchanged with the model, so a test can
//    compare a triplet with what really went over the wire (prompt = request messages, usage = response usage);
//  - OTLP side: every export request the SDK sent to tracelight, byte for byte, so a test can re-send a batch.
//
// Set TL_INTEROP_DUMP=1 to print every span and log record the instrumentation produced.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, logs, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { expect } from 'vitest';
import { startSimulatedModel, type SimulatedModelServer } from '../../examples/simulated-model/index.js';
import type { Message } from '../../schemas/genai.js';
import { startServer, type RunningServer } from '../../server/server.js';
import type { Triplet } from '../../training/triplets.js';

// ------------------------------------------------------------------ recording proxy

export interface Exchange {
  method: string;
  path: string;
  requestHeaders: Record<string, string>;
  /** Raw request body. */
  body: Buffer;
  status: number;
  /** Raw response body (for a stream: the whole SSE text). */
  response: Buffer;
}

export interface RecordingProxy {
  url: string;
  exchanges: Exchange[];
  close(): Promise<void>;
}

const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/** An HTTP proxy that forwards every request unchanged to `target` and records both bodies. */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const exchanges: Exchange[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && !HOP_HEADERS.has(k)) headers[k] = v;
      const method = req.method ?? 'GET';
      fetch(`${target}${req.url ?? '/'}`, { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : body })
        .then(async (r) => {
          const out = Buffer.from(await r.arrayBuffer());
          exchanges.push({ method, path: req.url ?? '', requestHeaders: headers, body, status: r.status, response: out });
          const resHeaders: Record<string, string> = {};
          r.headers.forEach((v, k) => {
            if (!HOP_HEADERS.has(k) && k !== 'content-encoding') resHeaders[k] = v;
          });
          res.writeHead(r.status, resHeaders);
          res.end(out);
        })
        .catch((err: Error) => {
          res.writeHead(502);
          res.end(err.message);
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ------------------------------------------------------------------ the model's side of the wire

export interface ModelCall {
  path: string;
  request: Record<string, any>;
  /** Parsed JSON response; for a stream, the parsed `data:` events in order. */
  response: any;
  stream: boolean;
}

/** The generation requests the client made to the simulated model (from exchange `since` on), decoded. */
export function modelCalls(proxy: RecordingProxy, since = 0): ModelCall[] {
  return proxy.exchanges
    .slice(since)
    .filter((e) => e.method === 'POST' && /\/v1\/(chat\/completions|responses|completions)$/.test(e.path.split('?')[0] ?? ''))
    .map((e) => {
      const request = JSON.parse(e.body.toString('utf8')) as Record<string, any>;
      const text = e.response.toString('utf8');
      const stream = request.stream === true;
      const response = stream
        ? text
            .split('\n')
            .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
            .map((l) => JSON.parse(l.slice(6)))
        : JSON.parse(text);
      return { path: e.path, request, response, stream };
    });
}

const isResponses = (c: ModelCall): boolean => c.path.split('?')[0]!.endsWith('/responses');

/** The final Responses API object of a call (streamed: the `response.completed` event's). */
function responsesObject(c: ModelCall): any {
  return c.stream ? (c.response as any[]).find((e) => e.type === 'response.completed')?.response : c.response;
}

/** The assistant text the model returned. */
export function wireText(c: ModelCall): string {
  if (isResponses(c)) {
    return (responsesObject(c).output as any[])
      .filter((o) => o.type === 'message')
      .flatMap((o) => o.content as any[])
      .filter((p) => p.type === 'output_text')
      .map((p) => p.text as string)
      .join('');
  }
  if (c.stream) return (c.response as any[]).map((ch) => ch.choices?.[0]?.delta?.content ?? '').join('');
  return c.response.choices[0].message.content ?? '';
}

/** The ids of the tool calls the model asked for (chat `tool_calls[].id`, Responses `function_call.call_id`). */
export function wireToolCallIds(c: ModelCall): string[] {
  if (isResponses(c)) return (responsesObject(c).output as any[]).filter((o) => o.type === 'function_call').map((o) => o.call_id as string);
  if (c.stream)
    return (c.response as any[])
      .flatMap((ch) => (ch.choices?.[0]?.delta?.tool_calls ?? []) as any[])
      .filter((tc) => tc.id)
      .map((tc) => tc.id as string);
  return ((c.response.choices[0].message.tool_calls ?? []) as any[]).map((tc) => tc.id as string);
}

/** Token usage the model reported for a call. */
export function wireUsage(c: ModelCall): { input_tokens: number; output_tokens: number } {
  if (isResponses(c)) {
    const u = responsesObject(c).usage;
    return { input_tokens: u.input_tokens, output_tokens: u.output_tokens };
  }
  const u = c.stream ? (c.response as any[]).find((ch) => ch.usage)?.usage : c.response.usage;
  return { input_tokens: u.prompt_tokens, output_tokens: u.completion_tokens };
}

// ------------------------------------------------------------------ the environment

export interface InteropEnv {
  tracelight: RunningServer;
  /** tracelight's HTTP base URL (OTLP + REST API). */
  httpUrl: string;
  /** The simulated model behind the recording proxy, ending in /v1 (an OpenAI client's baseURL). */
  modelUrl: string;
  model: RecordingProxy;
  /** The OTLP export requests, recorded on their way to tracelight. */
  otlp: RecordingProxy;
  tracerProvider: TracerProvider;
  loggerProvider: LoggerProvider;
  /** The test's own tracer (root spans, rewards). */
  tracer: Tracer;
  /** What the SDK produced, kept in memory for debugging dumps. */
  memory: { spans: InMemorySpanExporter; logs: InMemoryLogRecordExporter };
  /** Exports everything pending (spans and logs) and waits until tracelight acknowledged it. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

let contextManagerSet = false;

export interface InteropOptions {
  serviceName: string;
  /** Extra resource attributes. */
  resource?: Attributes;
}

export async function startInterop(opts: InteropOptions): Promise<InteropEnv> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tl-interop-'));
  const tracelight = await startServer({ host: '127.0.0.1', port: 0, grpcPort: null, store: { dataDir } });
  const sim: SimulatedModelServer = await startSimulatedModel({ port: 0 });
  const model = await startRecordingProxy(sim.url.replace(/\/v1$/, ''));
  const otlp = await startRecordingProxy(tracelight.httpUrl);

  if (!contextManagerSet) {
    // startActiveSpan's context must follow the agent's awaits into the instrumentation's spans.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    contextManagerSet = true;
  }
  const resource = resourceFromAttributes({ 'service.name': opts.serviceName, ...opts.resource });
  const memory = { spans: new InMemorySpanExporter(), logs: new InMemoryLogRecordExporter() };
  const tracerProvider = new TracerProvider({
    resource,
    spanProcessors: [
      // Flushed explicitly: a whole agent run goes out in one export request.
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `${otlp.url}/v1/traces` }),
        scheduledDelayMillis: 60_000,
        maxExportBatchSize: 10_000,
        maxQueueSize: 20_000,
      }),
      new SimpleSpanProcessor({ exporter: memory.spans }),
    ],
  });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [
      new BatchLogRecordProcessor({
        exporter: new OTLPLogExporter({ url: `${otlp.url}/v1/logs` }),
        scheduledDelayMillis: 60_000,
        maxExportBatchSize: 10_000,
        maxQueueSize: 20_000,
      }),
      new SimpleLogRecordProcessor({ exporter: memory.logs }),
    ],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  logs.setGlobalLoggerProvider(loggerProvider);

  const env: InteropEnv = {
    tracelight,
    httpUrl: tracelight.httpUrl,
    modelUrl: `${model.url}/v1`,
    model,
    otlp,
    tracerProvider,
    loggerProvider,
    tracer: tracerProvider.getTracer('tracelight-interop-test'),
    memory,
    async flush() {
      await tracerProvider.forceFlush();
      await loggerProvider.forceFlush();
      const failed = otlp.exchanges.filter((e) => e.status !== 200);
      if (failed.length > 0)
        throw new Error(`tracelight refused an export: ${failed.map((e) => `${e.path} ${e.status} ${e.response.toString('utf8')}`).join('; ')}`);
      if (process.env.TL_INTEROP_DUMP) dumpTelemetry(env);
    },
    async close() {
      await tracerProvider.shutdown().catch(() => undefined);
      await loggerProvider.shutdown().catch(() => undefined);
      trace.disable();
      logs.disable();
      await otlp.close();
      await model.close();
      await sim.close();
      await tracelight.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return env;
}

/** Prints what the instrumentation emitted (spans with attributes and events, log records with bodies). */
export function dumpTelemetry(env: InteropEnv): void {
  const show = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  for (const s of env.memory.spans.getFinishedSpans()) {
    console.log(`SPAN ${s.name} [${s.spanContext().spanId} ← ${s.parentSpanContext?.spanId ?? ''}] scope=${s.instrumentationScope.name}`);
    for (const [k, v] of Object.entries(s.attributes)) console.log(`   ${k} = ${show(v)}`);
    for (const e of s.events) console.log(`   EVENT ${e.name} ${show(e.attributes ?? {})}`);
  }
  for (const l of env.memory.logs.getFinishedLogRecords()) {
    console.log(`LOG ${l.eventName ?? ''} [${l.spanContext?.spanId ?? ''}] attrs=${show(l.attributes)} body=${show(l.body)}`);
  }
}

// ------------------------------------------------------------------ rollouts and rewards

export interface RewardSpec {
  name: string;
  value: number;
  explanation?: string;
}

/**
 * Runs `fn` under a root span `agent-run` that declares the rollout (`tracelight.rollout.id`) and, when given,
 * ends with the reward as the OTel GenAI event `gen_ai.evaluation.result` on that root span.
 */
export async function runRollout<T>(env: InteropEnv, rolloutId: string, fn: () => Promise<T>, reward?: RewardSpec): Promise<T> {
  return env.tracer.startActiveSpan('agent-run', { attributes: { 'tracelight.rollout.id': rolloutId } }, async (span: Span) => {
    try {
      const out = await fn();
      if (reward) {
        // As an evaluator would, score after the run: the JS SDK starts spans on a millisecond clock and times
        // their ends from that start, so an event added within the same millisecond as the last call ended could
        // carry an earlier timestamp than that end, and the last-call policy orders by time.
        await new Promise((resolve) => setTimeout(resolve, 5));
        const attrs: Attributes = { 'gen_ai.evaluation.name': reward.name, 'gen_ai.evaluation.score.value': reward.value };
        if (reward.explanation) attrs['gen_ai.evaluation.explanation'] = reward.explanation;
        span.addEvent('gen_ai.evaluation.result', attrs);
      }
      return out;
    } finally {
      span.end();
    }
  });
}

/** runRollout, and the model calls the run made (decoded from the wire). */
export async function recordRollout<T>(env: InteropEnv, rolloutId: string, fn: () => Promise<T>, reward?: RewardSpec): Promise<{ out: T; wire: ModelCall[] }> {
  const since = env.model.exchanges.length;
  const out = await runRollout(env, rolloutId, fn, reward);
  return { out, wire: modelCalls(env.model, since) };
}

/** The reward every suite's tool agent gets on its root span. */
export const REWARD: RewardSpec = { name: 'correct', value: 1, explanation: '(3 + 4) * 6 = 42' };

/** The fields every triplet of a rollout shares, and the step numbering. */
export function expectRolloutFields(
  ts: Triplet[],
  f: { rollout: string; agent: string; model: string; reward: number | null; rewardName?: string | null; rewards?: Record<string, number> },
): void {
  expect(ts.map((t) => t.step)).toEqual(ts.map((_t, i) => i));
  for (const t of ts) {
    expect(t.rollout_id).toBe(f.rollout);
    expect(t.trace_id).toBe(ts[0]!.trace_id);
    expect(t.agent).toBe(f.agent);
    expect(t.model).toBe(f.model);
    expect(t.reward).toBe(f.reward);
    expect(t.reward_name).toBe(f.rewardName ?? (f.reward === null ? null : REWARD.name));
    expect(t.rewards).toEqual(f.rewards ?? (f.reward === null ? {} : { [REWARD.name]: f.reward }));
    expect(t.span_id).toMatch(/^[0-9a-f]{16}$/);
  }
  expect(new Set(ts.map((t) => t.span_id)).size).toBe(ts.length);
}

export type Policy = 'final' | 'last-call' | 'per-span';

export async function getTriplets(env: InteropEnv, rollout: string, policy: Policy = 'final'): Promise<Triplet[]> {
  const res = await fetch(`${env.httpUrl}/api/v1/triplets?rollout=${encodeURIComponent(rollout)}&policy=${policy}`);
  if (res.status !== 200) throw new Error(`GET triplets: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { triplets: Triplet[] }).triplets;
}

export async function postReward(env: InteropEnv, body: Record<string, unknown>): Promise<number> {
  const res = await fetch(`${env.httpUrl}/api/v1/rewards`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  return res.status;
}

// ------------------------------------------------------------------ the scenarios every suite runs

export const SYSTEM_PROMPT = 'You are a concise geography tutor.';
export const USER_QUESTION = 'What is the capital of France?';

export const TOOL_SYSTEM_PROMPT = 'You solve arithmetic with the calculator tool.';
export const TOOL_QUESTION = 'What is (3 + 4) * 6?';
export const CALCULATOR_DESCRIPTION = 'Evaluate an arithmetic expression and return the result.';
export const CALCULATOR_PARAMETERS = {
  type: 'object',
  properties: { expression: { type: 'string', description: 'The arithmetic expression, e.g. 2 + 2' } },
  required: ['expression'],
  additionalProperties: false,
} as const;

/** The calculator the agents run: + - * / and parentheses on decimal numbers (a small recursive-descent parser). */
export function calculate(expression: string): string {
  const tokens = expression.match(/\d+(?:\.\d+)?|[-+*/()]/g) ?? [];
  if (tokens.join('') !== expression.replace(/\s+/g, '')) throw new Error(`not an arithmetic expression: ${expression}`);
  let pos = 0;
  const peek = (): string | undefined => tokens[pos];
  const atom = (): number => {
    const tok = tokens[pos++];
    if (tok === '(') {
      const v = sum();
      if (tokens[pos++] !== ')') throw new Error(`unbalanced parentheses: ${expression}`);
      return v;
    }
    if (tok === '-') return -atom();
    if (tok === undefined || !/^\d/.test(tok)) throw new Error(`unexpected ${tok ?? 'end'} in ${expression}`);
    return Number(tok);
  };
  const product = (): number => {
    let v = atom();
    while (peek() === '*' || peek() === '/') v = tokens[pos++] === '*' ? v * atom() : v / atom();
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (peek() === '+' || peek() === '-') v = tokens[pos++] === '+' ? v + product() : v - product();
    return v;
  };
  const value = sum();
  if (pos !== tokens.length) throw new Error(`unexpected ${peek()} in ${expression}`);
  return String(value);
}

// ------------------------------------------------------------------ expected triplets

export const text = (role: string, content: string): Message => ({ role, parts: [{ type: 'text', content }] });

function withFinish(m: Message, finish: string | undefined): Message {
  return finish ? { ...m, finish_reason: finish } : m;
}

/** (a): the system prompt and the question in, the model's answer out. */
export function singleTurnConversation(answer: string, finish?: string): { prompt: Message[]; response: Message } {
  return { prompt: [text('system', SYSTEM_PROMPT), text('user', USER_QUESTION)], response: withFinish(text('assistant', answer), finish) };
}

export interface ToolLoopShape {
  /** The two tool-call ids, as the model returned them; undefined where the instrumentation records none. */
  ids: Array<string | undefined>;
  /** The model's final answer. */
  answer: string;
  /** finish_reason on each response message, as the instrumentation reports it (undefined: none on the message). */
  finish: Array<string | undefined>;
}

/**
 * (b): the calculator agent's three calls, as the simulated model plays them: calculator(3 + 4) → 7,
 * calculator(7 * 6) → 42, then the answer. Prompts grow by the assistant's tool call and the tool result each turn.
 */
export function calculatorConversation(shape: ToolLoopShape): { prompts: Message[][]; responses: Message[] } {
  const expressions = ['3 + 4', '7 * 6'];
  const results = ['7', '42'];
  const idOf = (i: number): { id?: string } => (shape.ids[i] ? { id: shape.ids[i] } : {});
  const call = (i: number): Message => ({
    role: 'assistant',
    parts: [{ type: 'tool_call', ...idOf(i), name: 'calculator', arguments: { expression: expressions[i] } }],
  });
  const result = (i: number): Message => ({ role: 'tool', parts: [{ type: 'tool_call_response', ...idOf(i), response: results[i] }] });
  const sys = text('system', TOOL_SYSTEM_PROMPT);
  const user = text('user', TOOL_QUESTION);
  return {
    prompts: [
      [sys, user],
      [sys, user, call(0), result(0)],
      [sys, user, call(0), result(0), call(1), result(1)],
    ],
    responses: [withFinish(call(0), shape.finish[0]), withFinish(call(1), shape.finish[1]), withFinish(text('assistant', shape.answer), shape.finish[2])],
  };
}
