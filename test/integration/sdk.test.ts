// The TypeScript SDK (`tracelight/sdk`) end to end: an in-process tracelight server and the simulated
// OpenAI-compatible model (a stand-in for a paid LLM, labelled simulated); an agent using the real `openai` SDK,
// instrumented through init() (the real @opentelemetry/instrumentation-openai, content capture on); rollout
// identity through withRollout() and baggage; rewards through reward(); resources with ETag revalidation; and
// the runner over tracelight's rollout queue. Runner mechanics the real server cannot be made to show on demand
// (connections dropped, a rejected key) run against a small stub of the queue's HTTP contract.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, propagation, trace, type Span as ApiSpan } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.js';
import { startSimulatedModel, type SimulatedModelServer } from '../../examples/simulated-model/index.js';
import {
  ApiError,
  createResourceClient,
  currentRollout,
  init,
  renderPrompt,
  resources,
  ResourceNotFoundError,
  reward,
  runner,
  withRollout,
  type Agent,
  type RunnerLogger,
  type TracelightHandle,
} from '../../instrumentation/sdk/index.js';
import { startServer, type RunningServer } from '../../server/server.js';
import { startCliServer } from '../support/cli-process.js';

const ROLLOUT = 'tracelight.rollout.id';
const ATTEMPT = 'tracelight.attempt.id';
const SYSTEM = 'Answer with only the number.';

let dataDir: string;
let server: RunningServer;
let sim: SimulatedModelServer;
let otel: TracelightHandle;
const memory = new InMemorySpanExporter();
const quiet: RunnerLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.httpUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

async function sql<T = Record<string, unknown>>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const r = await api<{ rows: T[] }>('POST', '/api/v1/query', { sql: query, params });
  expect(r.status).toBe(200);
  return r.body.rows;
}

interface TripletRow {
  rollout_id: string;
  attempt_id: string;
  prompt: Array<{ role: string; parts: Array<{ type: string; content?: string }> }>;
  response: { role: string; parts: Array<{ type: string; content?: string }> } | null;
  reward: number | null;
  reward_name: string | null;
  rewards: Record<string, number>;
  resources: Record<string, string>;
}

async function triplets(rolloutId: string): Promise<TripletRow[]> {
  const r = await api<{ triplets: TripletRow[] }>('GET', `/api/v1/triplets?rollout=${encodeURIComponent(rolloutId)}`);
  expect(r.status).toBe(200);
  return r.body.triplets;
}

const text = (m: { parts: Array<{ type: string; content?: string }> } | null | undefined): string =>
  (m?.parts ?? [])
    .filter((p) => p.type === 'text')
    .map((p) => p.content ?? '')
    .join('');

function spansNamed(name: string, rolloutId?: string): ReadableSpan[] {
  return memory.getFinishedSpans().filter((s) => s.name === name && (rolloutId === undefined || s.attributes[ROLLOUT] === rolloutId));
}

/** The agent the tests run: one chat call to the simulated model, answer checked against the expected number. */
function solve(client: OpenAI) {
  return async (question: string): Promise<{ answer: string }> => {
    const res = await client.chat.completions.create({
      model: 'sim-small',
      messages: [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: question },
      ],
    });
    return { answer: res.choices[0]?.message.content ?? '' };
  };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tracelight-sdk-'));
  server = await startServer({ port: 0, grpcPort: null, store: { dataDir } });
  sim = await startSimulatedModel({ port: 0 });
  otel = init({
    endpoint: server.httpUrl,
    serviceName: 'sdk-test-agent',
    instrumentOpenAI: OpenAI,
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
    exportIntervalMs: 100,
  });
});

afterAll(async () => {
  await otel?.shutdown();
  await sim?.close();
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('init', () => {
  it('is idempotent, turns on the installed OpenAI instrumentation, and registers context and W3C propagation', async () => {
    expect(init()).toBe(otel);
    expect(otel.instrumented).toContain('openai');
    await withRollout({ rolloutId: 'r-prop', attemptId: 'a-prop' }, async () => {
      const carrier: Record<string, string> = {};
      propagation.inject(context.active(), carrier);
      expect(carrier.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(decodeURIComponent(carrier.baggage ?? '')).toContain('tracelight.rollout.id=r-prop');
      expect(decodeURIComponent(carrier.baggage ?? '')).toContain('tracelight.attempt.id=a-prop');
    });
    expect(() => otel.instrumentOpenAI({ not: 'openai' })).toThrow(/OpenAI class/);
  });
});

describe('withRollout and baggage', () => {
  it('puts the ids on the root span and on every span started inside, across await, setTimeout and parallel work', async () => {
    const tracer = trace.getTracer('sdk-test');
    const outer = tracer.startSpan('outer-request');
    const result = await context.with(trace.setSpan(context.active(), outer), () =>
      withRollout({ rolloutId: 'r-bag', attemptId: 'a-bag', resources: { prompt: 3 } }, async () => {
        expect(currentRollout()).toMatchObject({ rolloutId: 'r-bag', attemptId: 'a-bag' });
        await sleep(5);
        tracer.startSpan('after-await').end();
        await new Promise<void>((resolve) =>
          setTimeout(() => {
            tracer.startActiveSpan('in-timeout', (s) => {
              tracer.startSpan('nested-in-timeout').end();
              s.end();
            });
            resolve();
          }, 5),
        );
        await Promise.all(
          [1, 2, 3].map(async (i) => {
            await sleep(i);
            await tracer.startActiveSpan(`parallel-${i}`, async (s) => {
              await sleep(1);
              s.end();
            });
          }),
        );
        // Explicit span attributes win over baggage.
        tracer.startSpan('own-id', { attributes: { [ROLLOUT]: 'explicit' } }).end();
        return 'done';
      }),
    );
    outer.end();
    expect(result).toBe('done');
    expect(currentRollout()).toBeNull();

    // The span processor exports after the resource's attributes settle: wait for it, not for luck.
    await otel.forceFlush();
    const [root] = spansNamed('tracelight.rollout', 'r-bag');
    expect(root).toBeDefined();
    expect(root!.attributes[ATTEMPT]).toBe('a-bag');
    expect(root!.attributes['tracelight.resource.prompt.version']).toBe('3');
    // A rollout is a trace of its own, even when started inside another span.
    expect(root!.parentSpanContext).toBeUndefined();
    expect(root!.spanContext().traceId).not.toBe(outer.spanContext().traceId);

    for (const name of ['after-await', 'in-timeout', 'nested-in-timeout', 'parallel-1', 'parallel-2', 'parallel-3']) {
      const [s] = spansNamed(name);
      expect(s, name).toBeDefined();
      expect(s!.attributes[ROLLOUT], name).toBe('r-bag');
      expect(s!.attributes[ATTEMPT], name).toBe('a-bag');
      expect(s!.attributes['tracelight.resource.prompt.version'], name).toBe('3');
      expect(s!.spanContext().traceId, name).toBe(root!.spanContext().traceId);
    }
    expect(spansNamed('own-id')[0]!.attributes[ROLLOUT]).toBe('explicit');
    // Outside the rollout: no ids.
    const after = tracer.startSpan('after-rollout');
    after.end();
    expect(spansNamed('after-rollout')[0]!.attributes[ROLLOUT]).toBeUndefined();
  });

  it('records a thrown error on the root span and rethrows it; rejects a missing rollout id', async () => {
    await expect(
      withRollout({ rolloutId: 'r-err', attemptId: 'a-err' }, async () => {
        await sleep(1);
        throw new Error('tool exploded');
      }),
    ).rejects.toThrow('tool exploded');
    // The span processor exports after the resource's attributes settle: wait for it, not for luck.
    await otel.forceFlush();
    const [root] = spansNamed('tracelight.rollout', 'r-err');
    expect(root!.status).toMatchObject({ code: 2, message: 'tool exploded' });
    expect(root!.events.map((e) => e.name)).toContain('exception');
    await expect(withRollout({ rolloutId: '' }, () => 1)).rejects.toThrow(TypeError);
  });
});

describe('reward', () => {
  const evaluation = (s: ReadableSpan) => s.events.filter((e) => e.name === 'gen_ai.evaluation.result').map((e) => e.attributes ?? {});

  it('goes on the active span, on the rollout root outside spans, and on a span of its own outside everything', async () => {
    const tracer = trace.getTracer('sdk-test');
    let judged: ApiSpan | undefined;
    await withRollout({ rolloutId: 'r-rew', attemptId: 'a-rew' }, async () => {
      await tracer.startActiveSpan('judged-step', async (span) => {
        judged = span;
        await sleep(1);
        const target = reward(0.25, { name: 'step_quality', label: 'ok', explanation: 'close enough' });
        expect(target.spanId).toBe(span.spanContext().spanId);
        span.end();
      });
      await sleep(1);
      // Outside any span of its own: the rollout's root span.
      const target = reward(1, { name: 'correct', primary: true });
      expect(target.spanId).toBe(currentRollout()!.span.spanContext().spanId);
    });
    // The span processor exports after the resource's attributes settle: wait for it, not for luck.
    await otel.forceFlush();
    const [step] = spansNamed('judged-step', 'r-rew');
    expect(step!.spanContext().spanId).toBe(judged!.spanContext().spanId);
    expect(evaluation(step!)).toEqual([
      {
        'gen_ai.evaluation.name': 'step_quality',
        'gen_ai.evaluation.score.value': 0.25,
        'gen_ai.evaluation.score.label': 'ok',
        'gen_ai.evaluation.explanation': 'close enough',
      },
    ]);
    const [root] = spansNamed('tracelight.rollout', 'r-rew');
    expect(evaluation(root!)).toEqual([{ 'gen_ai.evaluation.name': 'correct', 'gen_ai.evaluation.score.value': 1, 'tracelight.reward.primary': true }]);

    // Outside every span and rollout: a short span of its own.
    const lone = reward(-2);
    const [own] = memory.getFinishedSpans().filter((s) => s.spanContext().spanId === lone.spanId);
    expect(own!.name).toBe('tracelight.reward');
    expect(evaluation(own!)).toEqual([{ 'gen_ai.evaluation.name': 'reward', 'gen_ai.evaluation.score.value': -2 }]);
  });

  it('refuses values that are not finite numbers, and bad options', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '1', null, undefined, true, {}]) {
      expect(() => reward(bad as number), String(bad)).toThrow(TypeError);
    }
    expect(() => reward(1, { name: '' })).toThrow(/name/);
    expect(() => reward(1, { label: 3 as unknown as string })).toThrow(/label/);
    expect(() => reward(1, { primary: 'yes' as unknown as boolean })).toThrow(/primary/);
  });

  it('reaches the server: the stored LLM call carries the rollout ids and the reward shows in its triplet', async () => {
    const client = new OpenAI({ baseURL: sim.url, apiKey: 'unused' });
    const ask = solve(client);
    const { answer } = await withRollout({ rolloutId: 'r-direct', attemptId: 'a-direct' }, async () => {
      await sleep(2); // across an await, then the instrumented call
      const out = await ask('What is 12 * (3 + 4)?');
      reward(out.answer.trim() === '84' ? 1 : 0, { name: 'correct', primary: true });
      return out;
    });
    expect(answer.trim()).toBe('84');
    await otel.forceFlush();

    const chat = memory.getFinishedSpans().find((s) => s.attributes['gen_ai.operation.name'] === 'chat' && s.attributes[ROLLOUT] === 'r-direct');
    expect(chat, 'the openai instrumentation made a chat span inside the rollout').toBeDefined();
    expect(chat!.attributes[ATTEMPT]).toBe('a-direct');

    const stored = await eventually(async () => {
      const rows = await sql<{ SpanName: string; attempt: string }>(
        "SELECT SpanName, SpanAttributes['tracelight.attempt.id'] AS attempt FROM otel_traces WHERE SpanAttributes['tracelight.rollout.id'] = {r:String}",
        { r: 'r-direct' },
      );
      const names = rows.map((r) => r.SpanName);
      return names.includes(chat!.name) && names.includes('tracelight.rollout') ? rows : null;
    }, 'the rollout spans in otel_traces');
    expect(stored.every((r) => r.attempt === 'a-direct')).toBe(true);

    const [t] = await eventually(async () => {
      const ts = await triplets('r-direct');
      return ts.length === 1 && ts[0]!.response && ts[0]!.reward !== null ? ts : null;
    }, 'the triplet with its response and reward');
    expect(t!.attempt_id).toBe('a-direct');
    expect(t!.prompt.map((m) => [m.role, text(m)])).toEqual([
      ['system', SYSTEM],
      ['user', 'What is 12 * (3 + 4)?'],
    ]);
    expect(text(t!.response).trim()).toBe('84');
    expect(t!.reward).toBe(1);
    expect(t!.reward_name).toBe('correct');
  });
});

describe('resources', () => {
  async function createVersion(name: string, template: string, labels: string[] = []): Promise<number> {
    const r = await api<{ version: number }>('POST', `/api/v1/resources/${name}/versions`, { kind: 'prompt_template', content: { template }, labels });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.version;
  }

  it('fetches by label and version, revalidates with the ETag (304 keeps the cached value), and sees a moved label', async () => {
    const v1 = await createVersion('solver-prompt', 'Solve: {{question}}', ['production']);
    const statuses: number[] = [];
    const sent: Array<string | null> = [];
    const client = createResourceClient({
      server: server.httpUrl,
      fetch: async (input, initArg) => {
        sent.push(new Headers(initArg?.headers).get('if-none-match'));
        const res = await fetch(input, initArg);
        statuses.push(res.status);
        return res;
      },
    });

    const first = await client.get('solver-prompt', { label: 'production' });
    expect(first).toMatchObject({ name: 'solver-prompt', version: v1, kind: 'prompt_template', content: { template: 'Solve: {{question}}' } });
    expect(renderPrompt((first.content as { template: string }).template, { question: '2 + 2' })).toBe('Solve: 2 + 2');
    const second = await client.get('solver-prompt', { label: 'production' });
    expect(second).toBe(first); // the cached object, revalidated
    expect(statuses).toEqual([200, 304]);
    expect(sent[0]).toBeNull();
    expect(sent[1]).toMatch(/^"solver-prompt@/);
    expect(client.stats).toMatchObject({ requests: 2, notModified: 1 });

    // A new version labelled production: the ETag no longer matches, the new content arrives.
    const v2 = await createVersion('solver-prompt', 'Solve step by step: {{question}}', ['production']);
    const third = await client.get('solver-prompt', { label: 'production' });
    expect(third).toMatchObject({ version: v2, content: { template: 'Solve step by step: {{question}}' } });
    expect(statuses).toEqual([200, 304, 200]);

    // A pinned version is fetched once.
    expect((await client.get('solver-prompt', { version: v1 })).version).toBe(v1);
    expect((await client.get('solver-prompt', { version: v1 })).version).toBe(v1);
    expect(statuses).toEqual([200, 304, 200, 200]);
    expect(client.stats.cacheHits).toBe(1);
    // maxAgeMs serves a fresh copy from memory.
    await client.get('solver-prompt', { label: 'production', maxAgeMs: 60_000 });
    expect(statuses).toHaveLength(4);

    await expect(client.get('no-such-prompt')).rejects.toBeInstanceOf(ResourceNotFoundError);
    await expect(client.get('solver-prompt', { label: 'production', version: 1 })).rejects.toThrow(TypeError);
  });

  it('the shared `resources` client follows init(), records the version on the rollout span, and serves a cached copy when the server is unreachable', async () => {
    await createVersion('shared-prompt', 'Hi {{name}}', ['production']);
    const before = resources.stats.notModified;
    await withRollout({ rolloutId: 'r-res', attemptId: 'a-res' }, async () => {
      const r = await resources.get('shared-prompt');
      expect(r.content).toEqual({ template: 'Hi {{name}}' });
      expect((await resources.get('shared-prompt')).version).toBe(r.version);
    });
    expect(resources.stats.notModified).toBe(before + 1);
    expect(spansNamed('tracelight.rollout', 'r-res')[0]!.attributes['tracelight.resource.shared-prompt.version']).toBe('1');

    let down = false;
    const client = createResourceClient({
      server: server.httpUrl,
      fetch: (input, initArg) => (down ? Promise.reject(new TypeError('fetch failed')) : fetch(input, initArg)),
    });
    const live = await client.get('shared-prompt');
    down = true;
    expect(await client.get('shared-prompt')).toBe(live);
    expect(client.stats.stale).toBe(1);
    await expect(client.get('other-prompt')).rejects.toThrow(/cannot reach/);
  });

  it('the calls of a rollout that fetched a resource carry the version they ran with; a later span declaring another version overrides it from then on', async () => {
    await createVersion('fetched-prompt', 'Answer with only the number.', ['production']);
    const llm = new OpenAI({ baseURL: sim.url, apiKey: 'unused' });
    const ask = (q: string) => llm.chat.completions.create({ model: 'sim-small', messages: [{ role: 'user', content: q }] });
    await withRollout({ rolloutId: 'r-fetched', attemptId: 'a-fetched' }, async () => {
      await resources.get('fetched-prompt');
      await ask('What is 1 + 1?');
      await sleep(5);
      // A step of the agent that runs with another version: the calls inside it (and after it) ran with that one.
      await trace.getTracer('agent').startActiveSpan('step 2', { attributes: { 'tracelight.resource.fetched-prompt.version': '7' } }, async (span) => {
        await ask('What is 2 + 2?');
        span.end();
      });
    });
    await otel.forceFlush();
    const ts = await eventually(async () => {
      const r = await triplets('r-fetched');
      return r.length === 2 ? r : null;
    }, 'both calls of the rollout');
    const byQuestion = new Map(ts.map((t) => [text(t.prompt[0]), t.resources]));
    expect(byQuestion.get('What is 1 + 1?')).toEqual({ 'fetched-prompt': '1' });
    expect(byQuestion.get('What is 2 + 2?')).toEqual({ 'fetched-prompt': '7' });
  });
});

// ------------------------------------------------------------------ runner against the real queue

describe('runner over tracelight’s rollout queue', () => {
  it('runs every enqueued rollout once: resources from the claim, ids on its spans, rewards in triplets, heartbeats, a thrown error marks the attempt failed', async (ctx) => {
    const probe = await api('POST', '/api/v1/rollouts/claim', { worker_id: 'probe', wait_ms: 0 });
    if (probe.status === 404) ctx.skip(); // the queue is not part of this server yet
    expect(probe.status).toBe(204);

    const made = await api<{ version: number }>('POST', '/api/v1/resources/runner-system/versions', {
      kind: 'prompt_template',
      content: { template: SYSTEM },
      labels: ['production'],
    });
    expect(made.status).toBe(201);
    const client = new OpenAI({ baseURL: sim.url, apiKey: 'unused' });
    const questions: Record<string, { q: string; expected: string }> = {
      a: { q: 'What is 6 * 7?', expected: '42' },
      b: { q: 'What is 100 - 58?', expected: '42' },
      c: { q: 'What is 12 * (3 + 4)?', expected: '84' },
      d: { q: 'What is 15 divided by 3?', expected: '5' },
    };
    const inputs = [...Object.entries(questions).map(([key, v]) => ({ key, ...v })), { key: 'boom', q: '', expected: '' }];
    const enq = await api<Array<{ rollout_id: string; status: string }>>(
      'POST',
      '/api/v1/rollouts',
      inputs.map((input) => ({ input, mode: 'train', resources: { 'runner-system': 'production' } })),
    );
    expect(enq.status, JSON.stringify(enq.body)).toBe(201);
    const ids = enq.body.map((r) => r.rollout_id);
    expect(ids).toHaveLength(inputs.length);

    const seen: Array<{ rolloutId: string; attemptId: string; key: string; inRollout: string | undefined; mode: string }> = [];
    const agent: Agent<{ key: string; q: string; expected: string }> = async (input, res, ctx2) => {
      seen.push({ rolloutId: ctx2.rolloutId, attemptId: ctx2.attemptId, key: input.key, inRollout: currentRollout()?.rolloutId, mode: ctx2.mode });
      if (input.key === 'boom') throw new Error('the agent gave up: empty question');
      if (input.key === 'a') await sleep(200); // long enough for a few heartbeats
      const system = renderPrompt((res['runner-system']!.content as { template: string }).template, {});
      const out = await client.chat.completions.create({
        model: 'sim-small',
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: input.q },
        ],
      });
      return out.choices[0]?.message.content?.trim() === input.expected ? 1 : 0;
    };
    const r = runner({
      agent,
      concurrency: 2,
      server: server.httpUrl,
      workerId: 'sdk-test-worker',
      waitMs: 200,
      heartbeatMs: 40,
      handleSignals: false,
      logger: quiet,
    });
    type View = {
      rollout_id: string;
      status: string;
      attempt_count: number;
      attempts: Array<{ attempt_id: string; worker_id: string; status: string; error: string | null; last_heartbeat_at: string | null }>;
    };
    const finished = await eventually(async () => {
      const states = await Promise.all(ids.map((id) => api<View>('GET', `/api/v1/rollouts/${id}`)));
      return states.every((st) => st.body.status === 'succeeded' || st.body.status === 'failed') ? states.map((st) => st.body) : null;
    }, 'every rollout to finish');
    const stats = await r.stop();

    expect(stats).toMatchObject({ claimed: inputs.length, succeeded: inputs.length - 1, failed: 1, completeErrors: 0 });
    expect(seen.map((x) => x.rolloutId).sort()).toEqual([...ids].sort()); // each exactly once
    for (const x of seen) {
      expect(x.inRollout).toBe(x.rolloutId);
      expect(x.mode).toBe('train');
    }
    for (const [i, view] of finished.entries()) {
      const key = inputs[i]!.key;
      expect(view.attempt_count, key).toBe(1);
      expect(view.attempts[0]!.worker_id).toBe('sdk-test-worker');
      expect(view.attempts[0]!.attempt_id).toBe(seen.find((x) => x.rolloutId === view.rollout_id)!.attemptId);
      if (key === 'boom') {
        expect(view.status).toBe('failed');
        expect(view.attempts[0]!.error).toBe('the agent gave up: empty question');
      } else {
        expect(view.status, key).toBe('succeeded');
      }
    }
    expect(finished[0]!.attempts[0]!.last_heartbeat_at).not.toBeNull();

    for (const key of Object.keys(questions)) {
      const x = seen.find((y) => y.key === key)!;
      const chat = memory.getFinishedSpans().find((sp) => sp.attributes['gen_ai.operation.name'] === 'chat' && sp.attributes[ROLLOUT] === x.rolloutId);
      expect(chat?.attributes[ATTEMPT]).toBe(x.attemptId);
      const [t] = await eventually(async () => {
        const ts = await triplets(x.rolloutId);
        return ts.length === 1 && ts[0]!.response && ts[0]!.reward !== null ? ts : null;
      }, `the triplet of ${key}`);
      expect(t!.attempt_id).toBe(x.attemptId);
      expect(t!.prompt.map((m) => [m.role, text(m)])).toEqual([
        ['system', SYSTEM],
        ['user', questions[key]!.q],
      ]);
      expect(text(t!.response).trim()).toBe(questions[key]!.expected);
      expect(t!.reward).toBe(1);
      // The claimed resource version travelled on the LLM call's span (baggage).
      expect(t!.resources).toEqual({ 'runner-system': String(made.body.version) });
    }
  });
});

// ------------------------------------------------------------------ runner mechanics against a stub of the queue contract

interface StubAttempt {
  rollout_id: string;
  attempt_id: string;
  input: unknown;
}

class QueueStub {
  readonly pending: StubAttempt[] = [];
  readonly claims: Array<{ worker_id: string; wait_ms: number }> = [];
  readonly heartbeats = new Map<string, number>();
  readonly completes: Array<{ rollout_id: string; attempt_id: string; body: Record<string, unknown> }> = [];
  readonly auth: string[] = [];
  dropNextClaims = 0;
  status: number | null = null;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    this.auth.push(req.headers.authorization ?? '');
    const send = (code: number, payload?: unknown): void => {
      res.writeHead(code, payload === undefined ? {} : { 'content-type': 'application/json' });
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    if (this.status !== null) return send(this.status, { error: 'missing or invalid API key' });
    const m = /^\/api\/v1\/rollouts\/([^/]+)\/attempts\/([^/]+)\/(heartbeat|complete)$/.exec(req.url ?? '');
    if (req.method === 'POST' && req.url === '/api/v1/rollouts/claim') {
      this.claims.push(body as { worker_id: string; wait_ms: number });
      if (this.dropNextClaims > 0) {
        this.dropNextClaims--;
        req.socket.destroy(); // a network error, as the client sees it
        return;
      }
      const next = this.pending.shift();
      if (next) return send(200, { ...next, mode: 'train', resources: { prompt: { version: 2, kind: 'prompt_template', content: { template: 'Q: {{q}}' } } } });
      await sleep(Math.min(Number(body.wait_ms ?? 0), 30));
      return send(204);
    }
    if (req.method === 'POST' && m) {
      const key = `${m[1]}/${m[2]}`;
      if (m[3] === 'heartbeat') {
        this.heartbeats.set(key, (this.heartbeats.get(key) ?? 0) + 1);
        return send(200, { ok: true });
      }
      this.completes.push({ rollout_id: decodeURIComponent(m[1]!), attempt_id: decodeURIComponent(m[2]!), body });
      return send(200, { ok: true });
    }
    send(404, { error: 'no route' });
  }
}

describe('runner mechanics (stub of the queue contract)', () => {
  it('backs off and retries after network errors, heartbeats while the agent runs, completes with the reward or the error', async () => {
    const stub = new QueueStub();
    await stub.start();
    try {
      stub.dropNextClaims = 2;
      stub.pending.push({ rollout_id: 'r-s1', attempt_id: 'a-s1', input: { q: 'one' } }, { rollout_id: 'r-s2', attempt_id: 'a-s2', input: { q: 'two' } });
      const received: unknown[] = [];
      const r = runner({
        agent: async (input: { q: string }, res, ctx) => {
          received.push({ input, prompt: res.prompt, mode: ctx.mode, workerId: ctx.workerId });
          await sleep(120); // long enough for heartbeats at 20 ms
          if (input.q === 'two') throw new Error('second one fails');
          return 0.5;
        },
        server: stub.url,
        apiKey: 'k-123',
        workerId: 'w-stub',
        waitMs: 10,
        heartbeatMs: 20,
        backoff: { initialMs: 10, maxMs: 40 },
        untilEmpty: true,
        handleSignals: false,
        logger: quiet,
      });
      const stats = await r.done;
      expect(stats).toMatchObject({ claimed: 2, succeeded: 1, failed: 1, completeErrors: 0 });
      expect(stats.requestErrors).toBeGreaterThanOrEqual(2);
      expect(stub.claims.length).toBeGreaterThanOrEqual(5); // 2 dropped, 2 served, 1 empty
      expect(stub.claims.every((c) => c.worker_id === 'w-stub' && c.wait_ms === 10)).toBe(true);
      expect(stub.auth.every((a) => a === 'Bearer k-123')).toBe(true);
      expect(stub.completes).toEqual([
        { rollout_id: 'r-s1', attempt_id: 'a-s1', body: { status: 'succeeded', reward: 0.5 } },
        { rollout_id: 'r-s2', attempt_id: 'a-s2', body: { status: 'failed', error: 'second one fails' } },
      ]);
      expect(stub.heartbeats.get('r-s1/a-s1')).toBeGreaterThanOrEqual(2);
      expect(received[0]).toEqual({
        input: { q: 'one' },
        prompt: { name: 'prompt', version: 2, kind: 'prompt_template', content: { template: 'Q: {{q}}' } },
        mode: 'train',
        workerId: 'w-stub',
      });
      // The claimed resource versions travel on the rollout's spans.
      expect(spansNamed('tracelight.rollout', 'r-s1')[0]!.attributes['tracelight.resource.prompt.version']).toBe('2');
    } finally {
      await stub.close();
    }
  });

  it('stop() lets running attempts finish and claims no more; concurrency runs attempts side by side', async () => {
    const stub = new QueueStub();
    await stub.start();
    try {
      for (let i = 0; i < 5; i++) stub.pending.push({ rollout_id: `r-c${i}`, attempt_id: `a-c${i}`, input: i });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let active = 0;
      let peak = 0;
      const r = runner({
        agent: async () => {
          active++;
          peak = Math.max(peak, active);
          await gate;
          active--;
          return 1;
        },
        concurrency: 3,
        server: stub.url,
        waitMs: 10,
        handleSignals: false,
        logger: quiet,
      });
      await eventually(async () => r.running === 3, 'three attempts running');
      const stopping = r.stop();
      await sleep(50);
      expect(stub.completes).toHaveLength(0); // still running
      release();
      const stats = await stopping;
      expect(peak).toBe(3);
      expect(stats).toMatchObject({ claimed: 3, succeeded: 3 });
      expect(stub.completes.map((c) => c.rollout_id).sort()).toEqual(['r-c0', 'r-c1', 'r-c2']);
      expect(stub.pending).toHaveLength(2); // never claimed
    } finally {
      await stub.close();
    }
  });

  it('a rejected API key stops the runner with the error instead of retrying forever', async () => {
    const stub = new QueueStub();
    await stub.start();
    try {
      stub.status = 401;
      const r = runner({ agent: () => 1, server: stub.url, apiKey: 'wrong', handleSignals: false, logger: quiet });
      const err = await r.done.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(401);
      expect(stub.claims).toHaveLength(0); // refused before the route
      expect(stub.auth).toEqual(['Bearer wrong']);
    } finally {
      await stub.close();
    }
  });
});

// ------------------------------------------------------------------ the built package, in a process of its own

const repoRoot = resolve(import.meta.dirname, '../..');

/** Runs an ES module snippet with node in the repository (so `tracelight/sdk` resolves through package.json "exports"). */
function runNode(code: string, env: Record<string, string>, onStdout?: (line: string, kill: (sig: NodeJS.Signals) => void) => void) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) if (line) onStdout?.(line, (sig) => child.kill(sig));
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((done) =>
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr })),
  );
}

describe('tracelight/sdk as a package (built dist, child process)', () => {
  it('init() with no options honours OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES', async () => {
    const out = await runNode(
      `import { init, withRollout, reward } from 'tracelight/sdk';
       const otel = init();
       await withRollout({ rolloutId: 'r-env', attemptId: 'a-env' }, async () => { await new Promise((r) => setTimeout(r, 5)); reward(0.75, { name: 'env' }); });
       await otel.shutdown();
       console.log('ok');`,
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: server.httpUrl,
        OTEL_SERVICE_NAME: 'env-agent',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=ci,team=sdk',
      },
    );
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const rows = await eventually(async () => {
      const r = await sql<{ ServiceName: string; env: string; team: string; rollout: string }>(
        "SELECT ServiceName, ResourceAttributes['deployment.environment.name'] AS env, ResourceAttributes['team'] AS team, SpanAttributes['tracelight.rollout.id'] AS rollout FROM otel_traces WHERE SpanName = 'tracelight.rollout' AND SpanAttributes['tracelight.rollout.id'] = 'r-env'",
      );
      return r.length > 0 ? r : null;
    }, 'the child process span');
    expect(rows[0]).toEqual({ ServiceName: 'env-agent', env: 'ci', team: 'sdk', rollout: 'r-env' });
    const rewards = await eventually(async () => {
      const r = await sql<{ name: string; value: number; attempt_id: string; source: string }>(
        "SELECT name, value, attempt_id, source FROM rewards WHERE rollout_id = 'r-env'",
      );
      return r.length > 0 ? r : null;
    }, 'the reward of the child rollout');
    expect(rewards).toEqual([{ name: 'env', value: 0.75, attempt_id: 'a-env', source: 'span-event' }]);
  });

  it('OTEL_EXPORTER_OTLP_PROTOCOL picks the transport: grpc (with the key from OTEL_EXPORTER_OTLP_HEADERS as metadata) and http/json', async () => {
    // A server of its own (one embedded store per process), which demands a key.
    const keyedDir = mkdtempSync(join(tmpdir(), 'tracelight-sdk-grpc-'));
    const keyed = await startCliServer({ dataDir: keyedDir, args: ['--api-key', 'k-grpc'] });
    try {
      const agent = (id: string) =>
        `import { createRequire } from 'node:module';
         import { init, withRollout, reward } from 'tracelight/sdk';
         const otel = init();
         const { OpenAI } = createRequire(import.meta.url)('openai');
         const client = new OpenAI({ baseURL: process.env.SIM_URL, apiKey: 'unused' });
         await withRollout({ rolloutId: '${id}', attemptId: 'a-1' }, async () => {
           await client.chat.completions.create({ model: 'sim-small', messages: [{ role: 'user', content: 'What is 4 + 4?' }] });
           reward(1, { name: 'exact' });
         });
         await otel.shutdown();`;
      const headers = 'Authorization=Bearer%20k-grpc';
      const grpc = await runNode(agent('r-grpc'), {
        SIM_URL: sim.url,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${keyed.grpcPort}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_HEADERS: headers,
      });
      const json = await runNode(agent('r-json'), {
        SIM_URL: sim.url,
        OTEL_EXPORTER_OTLP_ENDPOINT: keyed.httpUrl,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_HEADERS: headers,
      });
      expect([grpc.code, grpc.stderr, json.code, json.stderr]).toEqual([0, '', 0, '']);
      for (const id of ['r-grpc', 'r-json']) {
        const [t] = await eventually(async () => {
          const res = await fetch(`${keyed.httpUrl}/api/v1/triplets?rollout=${id}`, { headers: { authorization: 'Bearer k-grpc' } });
          const ts = ((await res.json()) as { triplets: TripletRow[] }).triplets;
          return ts.length === 1 && ts[0]!.response && ts[0]!.reward !== null ? ts : null;
        }, `the ${id} triplet`);
        expect(text(t!.prompt[0])).toBe('What is 4 + 4?');
        expect(text(t!.response)).toContain('8');
        expect(t!.reward).toBe(1);
      }
    } finally {
      await keyed.stop();
      rmSync(keyedDir, { recursive: true, force: true });
    }
  });

  it('honours OTEL_TRACES_SAMPLER and OTEL_SDK_DISABLED the way the Node SDK does', async () => {
    const probe = `import { trace } from '@opentelemetry/api';
       import { init, withRollout } from 'tracelight/sdk';
       const otel = init();
       await withRollout({ rolloutId: 'r-probe' }, async () => console.log(String(trace.getActiveSpan()?.isRecording() ?? false)));
       await otel.shutdown();`;
    const off = await runNode(probe, { OTEL_EXPORTER_OTLP_ENDPOINT: server.httpUrl, OTEL_TRACES_SAMPLER: 'always_off' });
    const on = await runNode(probe, { OTEL_EXPORTER_OTLP_ENDPOINT: server.httpUrl });
    const disabled = await runNode(probe, { OTEL_EXPORTER_OTLP_ENDPOINT: server.httpUrl, OTEL_SDK_DISABLED: 'true' });
    expect([off.stdout.trim(), on.stdout.trim(), disabled.stdout.trim()]).toEqual(['false', 'true', 'false']);
    expect(off.stderr + on.stderr + disabled.stderr).toBe('');
  });

  it('instruments a CommonJS require("openai") made after init() without being handed the class', async () => {
    const out = await runNode(
      `import { createRequire } from 'node:module';
       import { init, withRollout } from 'tracelight/sdk';
       const otel = init({ endpoint: process.env.TL_URL });
       const { OpenAI } = createRequire(import.meta.url)('openai');
       const client = new OpenAI({ baseURL: process.env.SIM_URL, apiKey: 'unused' });
       await withRollout({ rolloutId: 'r-cjs', attemptId: 'a-cjs' }, () =>
         client.chat.completions.create({ model: 'sim-small', messages: [{ role: 'user', content: 'What is 2 + 3?' }] }));
       console.log(otel.instrumented.join(','));
       await otel.shutdown();`,
      { TL_URL: server.httpUrl, SIM_URL: sim.url },
    );
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('openai');
    const [t] = await eventually(async () => {
      const ts = await triplets('r-cjs');
      return ts.length === 1 && ts[0]!.response ? ts : null;
    }, 'the CommonJS client call as a triplet');
    expect(t!.attempt_id).toBe('a-cjs');
    expect(text(t!.prompt[0])).toBe('What is 2 + 3?');
    expect(text(t!.response)).toContain('5');
  });

  it('SIGTERM lets the running attempt finish and complete, claims nothing more, and the process exits by itself', async () => {
    const stub = new QueueStub();
    await stub.start();
    try {
      for (let i = 0; i < 3; i++) stub.pending.push({ rollout_id: `r-g${i}`, attempt_id: `a-g${i}`, input: i });
      const out = await runNode(
        `import { runner } from 'tracelight/sdk';
         const r = runner({
           init: false,
           waitMs: 20,
           agent: async (input) => { console.log('started ' + input); await new Promise((res) => setTimeout(res, 300)); console.log('finished ' + input); return 1; },
         });
         const stats = await r.done;
         console.log('stats ' + JSON.stringify(stats));`,
        // No server / key options: both come from the environment.
        { TRACELIGHT_URL: stub.url, OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20k-env' },
        (line, kill) => {
          if (line === 'started 0') kill('SIGTERM');
        },
      );
      expect(out.signal).toBeNull();
      expect(out.code).toBe(0);
      expect(out.stdout).toContain('finished 0');
      expect(out.stdout).not.toContain('started 1');
      expect(out.stderr).toContain('SIGTERM: finishing 1 running attempt(s)');
      expect(stub.completes).toEqual([{ rollout_id: 'r-g0', attempt_id: 'a-g0', body: { status: 'succeeded', reward: 1 } }]);
      expect(stub.pending).toHaveLength(2);
      expect(new Set(stub.auth)).toEqual(new Set(['Bearer k-env']));
      expect(JSON.parse(out.stdout.split('stats ')[1]!)).toMatchObject({ claimed: 1, succeeded: 1 });
    } finally {
      await stub.close();
    }
  });
});
