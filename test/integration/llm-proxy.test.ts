// The LLM proxy end to end, with real parts: a tracelight server (fastify + embedded chDB) with scoped API keys
// receiving the proxy's spans, the simulated OpenAI-compatible model (a stand-in for vLLM, labelled simulated, with
// vLLM's token-id extension) as the upstream, and the `openai` npm client as the agent. What reaches tracelight is
// read back through its REST API (triplets) and its tables, never from the proxy's memory. Where the test needs to
// see the upstream's own bytes it puts a recording pass-through (a plain node:http relay) between proxy and model.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { startSimulatedModel, type SimulatedModelServer } from '../../examples/simulated-model/index.js';
import { resourceRoute, startLlmProxy, type LlmProxy, type LlmProxyOptions } from '../../instrumentation/proxy/index.js';
import { startServer, type RunningServer } from '../../server/server.js';

const KEYS = { admin: 'admin-key-p1', ingest: 'ingest-key-p2', worker: 'worker-key-p3' };
const SYSTEM = 'Answer with only the number.';

let dataDir: string;
let server: RunningServer;
let sim: SimulatedModelServer;
let proxy: LlmProxy;
const cleanup: Array<() => Promise<unknown>> = [];

async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { authorization: `Bearer ${KEYS.admin}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server.httpUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

interface Part {
  type: string;
  content?: string;
  name?: string;
  arguments?: unknown;
}
interface TripletRow {
  rollout_id: string;
  attempt_id: string;
  trace_id: string;
  span_id: string;
  model: string;
  prompt: Array<{ role: string; parts: Part[] }>;
  response: { role: string; parts: Part[]; finish_reason?: string } | null;
  usage: { input_tokens: number | null; output_tokens: number | null };
  finish_reason: string | null;
  resources: Record<string, string>;
  token_ids?: { prompt: number[]; response: number[] };
  logprobs?: number[];
  tools?: unknown[];
}

/** The stored calls of a rollout, once `count` of them have arrived (the proxy exports in batches). */
async function tripletsOf(rolloutId: string, count = 1): Promise<TripletRow[]> {
  return eventually(
    async () => {
      const r = await api<{ triplets: TripletRow[] }>('GET', `/api/v1/triplets?rollout=${encodeURIComponent(rolloutId)}`);
      return r.status === 200 && r.body.triplets.length >= count ? r.body.triplets : null;
    },
    `${count} call(s) of rollout ${rolloutId}`,
    20_000,
    50,
  );
}

const text = (m: { parts: Part[] } | null | undefined): string =>
  (m?.parts ?? [])
    .filter((p) => p.type === 'text')
    .map((p) => p.content ?? '')
    .join('');

/** What the model varies between two identical calls: the response id (a per-server counter) and `created`. */
function withoutVarying<T>(v: T): unknown {
  const copy = JSON.parse(JSON.stringify(v)) as Record<string, unknown>;
  delete copy.id;
  delete copy.created;
  return copy;
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const t = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(t);
  } catch {
    json = null;
  }
  return { status: res.status, text: t, json };
}

async function postBytes(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Buffer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  return Buffer.from(await res.arrayBuffer());
}

/** The `data:` payloads of an SSE body, parsed (the final `[DONE]` kept as the string). */
function sseEvents(bytes: Buffer): unknown[] {
  return bytes
    .toString('utf8')
    .split('\n\n')
    .filter((b) => b.startsWith('data: '))
    .map((b) => b.slice(6))
    .map((d) => (d === '[DONE]' ? d : JSON.parse(d)));
}

/** Drops exactly the fields `return_token_ids` adds to a stream, and what varies between two calls. */
function withoutTokenIds(events: unknown[]): unknown[] {
  return events.map((e) => {
    if (typeof e === 'string') return e;
    const c = withoutVarying(e) as Record<string, unknown>;
    delete c.prompt_token_ids;
    for (const choice of (c.choices as Record<string, unknown>[]) ?? []) delete choice.token_ids;
    return c;
  });
}

/** A relay that forwards to `targetPort` unchanged and keeps the bytes of every answer, to compare with what the agent got. */
async function startRecordingRelay(targetPort: number): Promise<{ url: string; answers: Buffer[]; requests: unknown[]; close(): Promise<void> }> {
  const answers: Buffer[] = [];
  const requests: unknown[] = [];
  const relay: Server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(body);
      if (raw.length > 0) requests.push(JSON.parse(raw.toString('utf8')));
      const up = httpRequest({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        const chunks: Buffer[] = [];
        upRes.on('data', (c: Buffer) => {
          chunks.push(c);
          res.write(c);
        });
        upRes.on('end', () => {
          answers.push(Buffer.concat(chunks));
          res.end();
        });
      });
      up.end(raw);
    });
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const port = (relay.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/v1`, answers, requests, close: () => new Promise<void>((resolve) => relay.close(() => resolve())) };
}

async function proxyFor(options: LlmProxyOptions): Promise<LlmProxy> {
  const p = await startLlmProxy({ port: 0, otlpEndpoint: server.httpUrl, apiKey: KEYS.ingest, exportIntervalMs: 50, ...options });
  cleanup.push(() => p.close());
  return p;
}

function agent(baseURL: string, headers: Record<string, string> = {}): OpenAI {
  return new OpenAI({ baseURL, apiKey: 'agent-key', defaultHeaders: headers, maxRetries: 0 });
}

const question = (q: string) => [
  { role: 'system' as const, content: SYSTEM },
  { role: 'user' as const, content: q },
];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tl-llm-proxy-'));
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    grpcPort: null,
    apiKeys: [KEYS.admin, `ingest:${KEYS.ingest}`, `worker:${KEYS.worker}`],
    store: { dataDir, batch: { flushIntervalMs: 10 } },
  });
  sim = await startSimulatedModel({ port: 0 });
  proxy = await proxyFor({ upstream: sim.url });
});

afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
  await sim?.close();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('token ids', () => {
  it('records the prompt and response token ids and logprobs the model returns when asked directly', async () => {
    const req = { model: 'sim-small', messages: question('What is 12 * (3 + 4)?'), seed: 7 };
    const direct = await postJson(`${sim.url}/chat/completions`, { ...req, return_token_ids: true, logprobs: true });
    expect(direct.status).toBe(200);
    const promptIds: number[] = direct.json.prompt_token_ids;
    const responseIds: number[] = direct.json.choices[0].token_ids;
    const logprobs: number[] = direct.json.choices[0].logprobs.content.map((e: { logprob: number }) => e.logprob);
    expect(promptIds.length).toBeGreaterThan(0);
    expect(responseIds.length).toBeGreaterThan(0);

    const res = await agent(proxy.url, { 'x-tracelight-rollout-id': 'r-ids', 'x-tracelight-attempt-id': 'a-ids' }).chat.completions.create(req);
    await proxy.flush();
    const [t] = await tripletsOf('r-ids');
    expect(t!.attempt_id).toBe('a-ids');
    expect(t!.token_ids).toEqual({ prompt: promptIds, response: responseIds });
    // Stored as Float32, as the llm_calls column holds them.
    expect(t!.logprobs).toHaveLength(logprobs.length);
    t!.logprobs!.forEach((v, i) => expect(v).toBeCloseTo(logprobs[i]!, 5));
    expect(t!.prompt.map((m) => [m.role, text(m)])).toEqual([
      ['system', SYSTEM],
      ['user', 'What is 12 * (3 + 4)?'],
    ]);
    expect(text(t!.response)).toBe(res.choices[0]!.message.content);
    expect(t!.model).toBe('sim-small');
    expect(t!.finish_reason).toBe('stop');
    expect(t!.usage).toEqual({ input_tokens: res.usage!.prompt_tokens, output_tokens: res.usage!.completion_tokens });
  });

  it('answers the agent exactly as the model does without the proxy (apart from the id and timestamp the model varies)', async () => {
    const req = { model: 'sim-small', messages: question('A farmer has 3 boxes of 12 eggs and sells 5. How many are left?'), seed: 11 };
    const direct = await agent(sim.url).chat.completions.create(req);
    const viaProxy = await agent(proxy.url, { 'x-tracelight-rollout-id': 'r-same' }).chat.completions.create(req);
    expect(withoutVarying(viaProxy)).toEqual(withoutVarying(direct));
    expect(viaProxy).not.toHaveProperty('prompt_token_ids');
    expect(viaProxy.choices[0]).not.toHaveProperty('token_ids');
    expect(viaProxy.choices[0]!.logprobs).toBeNull();
    // An agent that asks for the extension itself gets it.
    const asked = await postJson(`${proxy.url}/chat/completions`, { ...req, return_token_ids: true, logprobs: true });
    expect(asked.json.prompt_token_ids.length).toBeGreaterThan(0);
    expect(asked.json.choices[0].logprobs.content.length).toBeGreaterThan(0);

    // Legacy completions too: ids per choice, logprobs as a count.
    const creq = { model: 'sim-small', prompt: 'What is 7 + 8?', max_tokens: 32, seed: 2 };
    const cdirect = await agent(sim.url).completions.create(creq);
    const cproxy = await agent(proxy.url, { 'x-tracelight-rollout-id': 'r-legacy' }).completions.create(creq);
    expect(withoutVarying(cproxy)).toEqual(withoutVarying(cdirect));
    const ids = await postJson(`${sim.url}/completions`, { ...creq, return_token_ids: true });
    await proxy.flush();
    const [t] = await tripletsOf('r-legacy');
    expect(t!.token_ids).toEqual({ prompt: ids.json.choices[0].prompt_token_ids, response: ids.json.choices[0].token_ids });
    expect(text(t!.response)).toBe(cdirect.choices[0]!.text);
  });
});

describe('streaming', () => {
  const streamReq = { model: 'sim-small', messages: question('What is 15 divided by 3?'), stream: true, stream_options: { include_usage: true }, seed: 5 };

  it('passes the upstream stream through byte for byte, and records it with its token ids', async () => {
    const relay = await startRecordingRelay(sim.port);
    cleanup.push(() => relay.close());
    const relayed = await proxyFor({ upstream: relay.url });
    const got = await postBytes(`${relayed.url}/chat/completions`, streamReq, { 'x-tracelight-rollout-id': 'r-stream' });
    // What the agent received is exactly what the upstream sent.
    expect(relay.answers).toHaveLength(1);
    expect(got.equals(relay.answers[0]!)).toBe(true);
    // The proxy asked for token ids (streamTokenIds) and nothing else: no logprobs on streams the agent did not ask for.
    expect(relay.requests[0]).toEqual({ ...streamReq, return_token_ids: true });

    // Against a direct call without the proxy: the same events once the two token-id fields it asked for are removed.
    const direct = await postBytes(`${sim.url}/chat/completions`, streamReq);
    const events = sseEvents(got);
    expect(events.at(-1)).toBe('[DONE]');
    expect(withoutTokenIds(events)).toEqual(withoutTokenIds(sseEvents(direct)));
    expect((events[0] as { prompt_token_ids?: number[] }).prompt_token_ids?.length).toBeGreaterThan(0);

    // The span holds the streamed text and the exact ids the model streams when asked directly.
    const withIds = sseEvents(await postBytes(`${sim.url}/chat/completions`, { ...streamReq, return_token_ids: true })).filter(
      (e): e is { prompt_token_ids?: number[]; choices: { delta?: { content?: string }; token_ids?: number[] }[] } => typeof e !== 'string',
    );
    const content = withIds.flatMap((e) => e.choices.map((c) => c.delta?.content ?? '')).join('');
    await relayed.flush();
    const [t] = await tripletsOf('r-stream');
    expect(text(t!.response)).toBe(content);
    expect(t!.token_ids).toEqual({ prompt: withIds[0]!.prompt_token_ids, response: withIds.flatMap((e) => e.choices.flatMap((c) => c.token_ids ?? [])) });
    expect(t!.finish_reason).toBe('stop');
    expect(t!.usage.output_tokens).toBeGreaterThan(0);
  });

  it('with streamTokenIds off, a stream is byte-identical to a direct call (the model is deterministic but for id and created)', async () => {
    const plain = await proxyFor({ upstream: sim.url, streamTokenIds: false });
    const normalize = (b: Buffer) =>
      b
        .toString('utf8')
        .replace(/"id":"chatcmpl-sim[0-9a-f]+"/g, '"id":"X"')
        .replace(/"created":\d+/g, '"created":0');
    const a = await postBytes(`${sim.url}/chat/completions`, streamReq);
    const b = await postBytes(`${sim.url}/chat/completions`, streamReq);
    expect(normalize(a)).toBe(normalize(b)); // the premise: two direct calls differ only there
    const got = await postBytes(`${plain.url}/chat/completions`, streamReq, { 'x-tracelight-rollout-id': 'r-stream-plain' });
    expect(normalize(got)).toBe(normalize(a));
    await plain.flush();
    const [t] = await tripletsOf('r-stream-plain');
    expect(t!.token_ids).toBeUndefined();
    expect(text(t!.response)).not.toBe('');
  });

  it('rebuilds streamed tool calls from their deltas', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'calculator',
          description: 'Evaluate an arithmetic expression',
          parameters: { type: 'object', properties: { expression: { type: 'string' } } },
        },
      },
    ];
    const stream = await agent(proxy.url, { 'x-tracelight-rollout-id': 'r-tools' }).chat.completions.create({
      model: 'sim-small',
      messages: [{ role: 'user', content: 'Use the calculator: what is 12 * 7?' }],
      tools,
      stream: true,
    });
    let args = '';
    let name = '';
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) {
        name ||= tc.function?.name ?? '';
        args += tc.function?.arguments ?? '';
      }
    }
    expect(name).toBe('calculator');
    await proxy.flush();
    const [t] = await tripletsOf('r-tools');
    const call = t!.response!.parts.find((p) => p.type === 'tool_call');
    expect(call).toMatchObject({ name: 'calculator', arguments: JSON.parse(args) });
    expect(t!.finish_reason).toBe('tool_call');
    expect(t!.tools).toEqual([{ type: 'function', ...tools[0]!.function }]);
    expect(t!.token_ids?.response.length).toBeGreaterThan(0);
  });
});

describe('rollout attribution', () => {
  it('takes the ids from the URL prefix, before the headers', async () => {
    const res = await agent(proxy.rolloutUrl('r-url', 'a-url'), { 'x-tracelight-rollout-id': 'r-not-this' }).chat.completions.create({
      model: 'sim-small',
      messages: question('What is 2 + 2?'),
    });
    expect(res.choices[0]!.message.content).toBeTruthy();
    await proxy.flush();
    const [t] = await tripletsOf('r-url');
    expect([t!.rollout_id, t!.attempt_id]).toEqual(['r-url', 'a-url']);
    const stray = await api<{ triplets: TripletRow[] }>('GET', '/api/v1/triplets?rollout=r-not-this');
    expect(stray.body.triplets).toEqual([]);
  });

  it('takes them from the headers, and joins the agent trace from traceparent with the ids in baggage', async () => {
    const res = await agent(proxy.url, { 'x-tracelight-rollout-id': 'r-head', 'x-tracelight-attempt-id': 'a-head' }).chat.completions.create({
      model: 'sim-small',
      messages: question('What is 3 + 3?'),
    });
    expect(res.choices[0]!.message.content).toBeTruthy();

    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentSpanId = '00f067aa0ba902b7';
    const viaBaggage = await postJson(
      `${proxy.url}/chat/completions`,
      { model: 'sim-small', messages: question('What is 4 + 4?') },
      { traceparent: `00-${traceId}-${parentSpanId}-01`, baggage: 'tracelight.rollout.id=r-bag,tracelight.attempt.id=a-bag' },
    );
    expect(viaBaggage.status).toBe(200);
    await proxy.flush();
    const [h] = await tripletsOf('r-head');
    expect(h!.attempt_id).toBe('a-head');
    const [b] = await tripletsOf('r-bag');
    expect([b!.attempt_id, b!.trace_id]).toEqual(['a-bag', traceId]);
    const rows = await server.store.driver.query<{ parent: string; kind: string; name: string }>(
      'SELECT ParentSpanId AS parent, SpanKind AS kind, SpanName AS name FROM otel_traces WHERE SpanId = {s:String}',
      { s: b!.span_id },
    );
    expect(rows).toEqual([{ parent: parentSpanId, kind: 'Client', name: 'chat sim-small' }]);
  });
});

describe('routing by resource', () => {
  it('follows the label: after it moves, the next call goes to the new version, and the span says which', async () => {
    const simB = await startSimulatedModel({ port: 0 });
    cleanup.push(() => simB.close());
    const v1 = await api<{ version: number }>('POST', '/api/v1/resources/proxy-llm/versions', {
      kind: 'llm',
      content: { endpoint: sim.url, model: 'sim-small' },
      labels: ['production'],
    });
    const v2 = await api<{ version: number }>('POST', '/api/v1/resources/proxy-llm/versions', {
      kind: 'llm',
      content: { endpoint: simB.url, model: 'sim-large', sampling: { seed: 3 } },
    });
    expect([v1.status, v2.status]).toEqual([201, 201]);
    const routed = await proxyFor({
      route: resourceRoute({ server: server.httpUrl, apiKey: KEYS.worker, resource: 'proxy-llm', label: 'production', pollMs: 200 }),
    });

    const callAs = (rollout: string) =>
      agent(routed.url, { 'x-tracelight-rollout-id': rollout }).chat.completions.create({ model: 'the-agents-model', messages: question('What is 9 + 9?') });
    const [a0, b0] = [sim.requests, simB.requests];
    const first = await callAs('r-route-1');
    expect(first.model).toBe('sim-small');
    expect([sim.requests - a0, simB.requests - b0]).toEqual([1, 0]);

    expect((await api('POST', '/api/v1/resources/proxy-llm/labels/production', { version: v2.body.version })).status).toBe(200);
    await sleep(300);
    const second = await callAs('r-route-2');
    expect(second.model).toBe('sim-large');
    expect([sim.requests - a0, simB.requests - b0]).toEqual([1, 1]);

    await routed.flush();
    const [t1] = await tripletsOf('r-route-1');
    const [t2] = await tripletsOf('r-route-2');
    expect(t1!.resources).toEqual({ 'proxy-llm': String(v1.body.version) });
    expect(t2!.resources).toEqual({ 'proxy-llm': String(v2.body.version) });
    expect([t1!.model, t2!.model]).toEqual(['sim-small', 'sim-large']);
    const calls = await server.store.driver.query<{ rollout_id: string; request_model: string; seed: string }>(
      "SELECT c.rollout_id AS rollout_id, c.request_model AS request_model, t.SpanAttributes['gen_ai.request.seed'] AS seed FROM llm_calls c JOIN otel_traces t ON t.SpanId = c.span_id WHERE c.rollout_id IN ('r-route-1', 'r-route-2') ORDER BY c.rollout_id",
    );
    // The agent's requested model is kept; v2's sampling default was applied on the way.
    expect(calls).toEqual([
      { rollout_id: 'r-route-1', request_model: 'the-agents-model', seed: '' },
      { rollout_id: 'r-route-2', request_model: 'the-agents-model', seed: '3' },
    ]);
  });
});

describe('failures and bounds', () => {
  it('passes upstream errors through with their status and body, and marks the span failed', async () => {
    const bad = { model: 'sim-small', messages: [{ role: 'wizard', content: 'hi' }] };
    const direct = await postJson(`${sim.url}/chat/completions`, bad);
    const viaProxy = await postJson(`${proxy.url}/chat/completions`, bad, { 'x-tracelight-rollout-id': 'r-err' });
    expect(direct.status).toBe(400);
    expect([viaProxy.status, viaProxy.text]).toEqual([direct.status, direct.text]);
    await proxy.flush();
    const rows = await eventually(
      async () => {
        const r = await server.store.driver.query<{ status: string; error: string }>("SELECT status, error FROM llm_calls WHERE rollout_id = 'r-err'");
        return r.length > 0 ? r : null;
      },
      'the failed call',
      20_000,
      50,
    );
    expect(rows[0]!.status).toBe('error');
    expect(rows[0]!.error).toContain('400');
  });

  it('answers 502 in OpenAI error shape when the upstream is unreachable, and 413 past the body limit', async () => {
    // A port that was just free: nothing listens there now.
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
    const port = (gone.address() as AddressInfo).port;
    await new Promise<void>((resolve) => gone.close(() => resolve()));
    const nowhere = await proxyFor({ upstream: `http://127.0.0.1:${port}/v1`, bodyLimitBytes: 4096 });
    const res = await postJson(`${nowhere.url}/chat/completions`, { model: 'm', messages: question('hi') });
    expect(res.status).toBe(502);
    expect(res.json).toEqual({
      error: {
        message: `upstream http://127.0.0.1:${port} is unreachable (ECONNREFUSED)`,
        type: 'server_error',
        param: null,
        code: 'upstream_unreachable',
      },
    });
    await expect(agent(nowhere.url).chat.completions.create({ model: 'm', messages: question('hi') })).rejects.toMatchObject({ status: 502 });
    const big = await postJson(`${nowhere.url}/chat/completions`, { model: 'm', messages: question('x'.repeat(5000)) });
    expect(big.status).toBe(413);
    expect(big.json.error).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large' });
  });

  it('retries once without the extension when the upstream refuses it, and remembers', async () => {
    let requests = 0;
    const seen: Record<string, unknown>[] = [];
    const strict = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => {
        requests++;
        const body = JSON.parse(raw) as Record<string, unknown>;
        seen.push(body);
        res.setHeader('content-type', 'application/json');
        if ('return_token_ids' in body) {
          res.statusCode = 400;
          res.end(
            JSON.stringify({
              error: { message: 'Unrecognized request argument supplied: return_token_ids', type: 'invalid_request_error', param: null, code: null },
            }),
          );
          return;
        }
        res.end(
          JSON.stringify({
            id: 'chatcmpl-strict',
            object: 'chat.completion',
            created: 1,
            model: 'strict-model',
            choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, logprobs: null, finish_reason: 'stop' }],
            usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => strict.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => strict.close(() => resolve())));
    const p = await proxyFor({ upstream: `http://127.0.0.1:${(strict.address() as AddressInfo).port}/v1` });
    const c = agent(p.url, { 'x-tracelight-rollout-id': 'r-strict' });
    const first = await c.chat.completions.create({ model: 'strict-model', messages: question('hi') });
    expect(first.choices[0]!.message.content).toBe('fine');
    expect(requests).toBe(2);
    expect(seen[1]).not.toHaveProperty('return_token_ids');
    expect(seen[1]).not.toHaveProperty('logprobs');
    await c.chat.completions.create({ model: 'strict-model', messages: question('again') });
    expect(requests).toBe(3); // asked without the extension straight away
    await p.flush();
    const ts = await tripletsOf('r-strict', 2);
    expect(ts.map((t) => [text(t.response), t.token_ids])).toEqual([
      ['fine', undefined],
      ['fine', undefined],
    ]);
  });

  it('passes GET /v1/models through', async () => {
    const direct = await agent(sim.url).models.list();
    const viaProxy = await agent(proxy.url).models.list();
    expect(viaProxy.data).toEqual(direct.data);
  });
});
