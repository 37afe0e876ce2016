// Reward policies, late rewards and re-sent batches, on a real instrumentation's output: the `openai` SDK through
// @opentelemetry/instrumentation-openai (content in OTLP log events, so a re-send carries traces AND logs), running
// the calculator agent against the simulated model.
//
// The rollout: three LLM calls, `correct = 1` as a `gen_ai.evaluation.result` event on the agent's root span, then
// (through POST /api/v1/rewards) a per-step score on the second call and a human's primary score for the rollout.
import type { OpenAI as OpenAIClient } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTriplets, postReward, recordRollout, REWARD, startInterop, wireText, type InteropEnv, type Policy } from '../harness.js';
import type { Triplet } from '../../../training/triplets.js';
import { calculatorAgent } from './agents.js';

const ROLLOUT = 'policies-1';
const POLICIES: Policy[] = ['final', 'last-call', 'per-span'];

describe('reward policies, late rewards and re-sent batches (openai + @opentelemetry/instrumentation-openai)', () => {
  let env: InteropEnv;
  let client: OpenAIClient;
  let first: Triplet[];

  const rewardsOf = async (policy: Policy): Promise<Array<[number | null, string | null]>> =>
    (await getTriplets(env, ROLLOUT, policy)).map((t) => [t.reward, t.reward_name]);

  const count = async (sql: string, traceId: string): Promise<number> => {
    const res = await fetch(`${env.httpUrl}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql, params: { t: traceId } }),
    });
    expect(res.status).toBe(200);
    return Number(((await res.json()) as { rows: Array<{ n: string | number }> }).rows[0]!.n);
  };

  beforeAll(async () => {
    env = await startInterop({ serviceName: 'policies-agent' });
    const { metrics } = await import('@opentelemetry/api');
    const { OpenAIInstrumentation } = await import('@opentelemetry/instrumentation-openai');
    const instrumentation = new OpenAIInstrumentation({ captureMessageContent: true });
    instrumentation.setTracerProvider(env.tracerProvider);
    instrumentation.setLoggerProvider(env.loggerProvider);
    instrumentation.setMeterProvider(metrics.getMeterProvider());
    const openai = await import('openai');
    for (const def of instrumentation.getModuleDefinitions()) def.patch?.(openai, '6.49.0');
    client = new openai.OpenAI({ baseURL: env.modelUrl, apiKey: 'unused' });

    const { out, wire } = await recordRollout(env, ROLLOUT, () => calculatorAgent(client), REWARD);
    expect(out.calls).toBe(3);
    await env.flush();
    first = await getTriplets(env, ROLLOUT);
    expect(first).toHaveLength(3);
    expect(first[2]!.response?.parts).toEqual([{ type: 'text', content: wireText(wire[2]!) }]);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('final: the rollout reward on every call; last-call: only the call that ended last before it; per-span: none', async () => {
    expect(await rewardsOf('final')).toEqual([
      [1, 'correct'],
      [1, 'correct'],
      [1, 'correct'],
    ]);
    expect(await rewardsOf('last-call')).toEqual([
      [null, null],
      [null, null],
      [1, 'correct'],
    ]);
    // The reward judges the root span, not one of the calls.
    expect(await rewardsOf('per-span')).toEqual([
      [null, null],
      [null, null],
      [null, null],
    ]);
    for (const policy of POLICIES) {
      for (const t of await getTriplets(env, ROLLOUT, policy)) expect(t.rewards).toEqual({ correct: 1 });
    }
  });

  it('a per-step reward posted for one call counts under per-span only', async () => {
    expect(await postReward(env, { span_id: first[1]!.span_id, name: 'step_ok', value: 0.5, explanation: 'right first step' })).toBe(201);
    expect(await rewardsOf('per-span')).toEqual([
      [null, null],
      [0.5, 'step_ok'],
      [null, null],
    ]);
    expect(await rewardsOf('final')).toEqual([
      [1, 'correct'],
      [1, 'correct'],
      [1, 'correct'],
    ]);
    expect(await rewardsOf('last-call')).toEqual([
      [null, null],
      [null, null],
      [1, 'correct'],
    ]);
    expect((await getTriplets(env, ROLLOUT))[0]!.rewards).toEqual({ correct: 1, step_ok: 0.5 });
  });

  it('a late primary reward posted afterwards updates the triplets; posting it again replaces its value', async () => {
    expect(await postReward(env, { rollout_id: ROLLOUT, name: 'human', value: 0.25, primary: true, explanation: 'verbose' })).toBe(201);
    expect(await rewardsOf('final')).toEqual([
      [0.25, 'human'],
      [0.25, 'human'],
      [0.25, 'human'],
    ]);
    expect(await rewardsOf('last-call')).toEqual([
      [null, null],
      [null, null],
      [0.25, 'human'],
    ]);
    expect(await rewardsOf('per-span')).toEqual([
      [null, null],
      [0.5, 'step_ok'],
      [null, null],
    ]);

    expect(await postReward(env, { rollout_id: ROLLOUT, name: 'human', value: 0.75, primary: true })).toBe(201);
    expect(await rewardsOf('final')).toEqual([
      [0.75, 'human'],
      [0.75, 'human'],
      [0.75, 'human'],
    ]);
    const ts = await getTriplets(env, ROLLOUT);
    expect(ts.map((t) => t.rewards)).toEqual(Array(3).fill({ correct: 1, step_ok: 0.5, human: 0.75 }));
    // Nothing but the rewards changed.
    const strip = (t: Triplet) => ({ ...t, reward: null, reward_name: null, rewards: {} });
    expect(ts.map(strip)).toEqual(first.map(strip));
  });

  it('re-sending the same OTLP requests (traces and logs, byte for byte) changes nothing', async () => {
    const before = Object.fromEntries(await Promise.all(POLICIES.map(async (p) => [p, await getTriplets(env, ROLLOUT, p)] as const)));
    const traceId = first[0]!.trace_id;
    const counts = async () => ({
      calls: await count('SELECT count() AS n FROM llm_calls FINAL WHERE trace_id = {t:String}', traceId),
      contents: await count('SELECT count() AS n FROM llm_contents FINAL WHERE trace_id = {t:String}', traceId),
      rewards: await count('SELECT count() AS n FROM rewards FINAL WHERE trace_id = {t:String}', traceId),
    });
    const countsBefore = await counts();
    expect(countsBefore.calls).toBe(3);

    const sent = env.otlp.exchanges.filter((e) => e.method === 'POST' && (e.path === '/v1/traces' || e.path === '/v1/logs'));
    expect(sent.map((e) => e.path).sort()).toEqual(['/v1/logs', '/v1/traces']); // one batch each, as the exporters sent them
    for (const e of sent) {
      const res = await fetch(`${env.httpUrl}${e.path}`, { method: 'POST', headers: { 'content-type': e.requestHeaders['content-type']! }, body: e.body });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }

    for (const p of POLICIES) expect(await getTriplets(env, ROLLOUT, p)).toEqual(before[p]);
    expect(await counts()).toEqual(countsBefore);
  });
});
