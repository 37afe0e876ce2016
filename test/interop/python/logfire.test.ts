// Python `openai` client + Pydantic Logfire's OpenAI instrumentation (logfire 5.4.0, `logfire.instrument_openai()`),
// real packages from PyPI, no Logfire token and nothing sent to Logfire's cloud (`send_to_logfire=False`), exporting
// over OTLP to a real tracelight; the model is the simulated one (not a real LLM).
//
// Over OTLP/HTTP, `logfire.configure()` adds its own OTLP/HTTP exporters from OTEL_EXPORTER_OTLP_ENDPOINT (spans, logs
// and metrics); Logfire's exporters are HTTP-only, so over gRPC the agent turns them off and passes the standard
// OTLP/gRPC span exporter as an additional span processor (logfire_agent.py). instrument_openai's default span format
// (version 2) puts the OTel GenAI attributes on one `Chat Completion with {request_data[model]!r}` span per call
// (gen_ai.operation.name=chat, gen_ai.input.messages / gen_ai.output.messages as JSON strings with OTel parts,
// gen_ai.usage.*, gen_ai.response.finish_reasons) next to Logfire's own `request_data` (just the model) / `logfire.msg`
// attributes. version=1 (legacy) has no gen_ai.input/output.messages: the whole Chat Completions request JSON is in
// `request_data` and `{message, usage}` of the response in `response_data`. No logs in either.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonEnv } from '../../support/python-env.js';
import { expectSingleTurn, expectToolAgent, expectTripletsMatchWire, requirements, rolloutId, startPythonInterop, type PythonInterop } from './harness.js';

const SCRIPT = 'logfire_agent.py';
const AGENT = 'py-logfire';

describe('logfire 5.4.0 instrument_openai (OTel GenAI attributes, semconv version 2)', () => {
  let env: PythonInterop;
  let python: string;
  beforeAll(async () => {
    python = await pythonEnv('logfire', requirements('logfire'));
    env = await startPythonInterop();
  }, 600_000);
  afterAll(async () => {
    await env?.close();
  });

  it('single turn over OTLP/gRPC (standard exporter as an additional span processor)', async () => {
    const rollout = rolloutId('py-lf-single');
    const run = await env.runAgent(python, SCRIPT, 'single', {
      protocol: 'grpc',
      serviceName: AGENT,
      env: { OTEL_RESOURCE_ATTRIBUTES: `tracelight.rollout.id=${rollout}` },
    });
    const triplets = await env.triplets(rollout);
    await env.capture('logfire-single', AGENT, rollout, run);
    expect(run.result.answer).toBe('Paris');
    expect(run.calls).toHaveLength(1);
    expect(run.accepted.spans).toEqual({ grpc: 1, http: 0 });
    expect(run.accepted.logs).toEqual({ grpc: 0, http: 0 });
    expectSingleTurn(triplets);
    expectTripletsMatchWire(triplets, run.calls, { rollout, agent: AGENT, reward: null });
  });

  it("tool agent over OTLP/HTTP protobuf (Logfire's own OTLP exporters), reward on the root span", async () => {
    const rollout = rolloutId('py-lf-tools');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'http/protobuf',
      serviceName: AGENT,
      env: { TRACELIGHT_ROLLOUT_ID: rollout },
    });
    const triplets = await env.triplets(rollout);
    await env.capture('logfire-tools', AGENT, rollout, run);
    expect(run.result).toMatchObject({ reward: 1 });
    expect(run.result.answer).toContain('42');
    expect(run.calls).toHaveLength(3);
    // 3 chat spans + the agent's root span.
    expect(run.accepted.spans).toEqual({ http: 4, grpc: 0 });
    expect(run.accepted.logs).toEqual({ http: 0, grpc: 0 });
    // One triplet per generation request the model served.
    expect(triplets).toHaveLength(run.calls.length);
    expectToolAgent(triplets);
    expectTripletsMatchWire(triplets, run.calls, {
      rollout,
      agent: AGENT,
      reward: { name: 'correct', value: 1 },
      compat: {
        id: 'logfire',
        framework: 'openai (plain client)',
        version: 'logfire 5.4.0',
        instrumentation: 'Logfire instrument_openai (versions 1 and 2)',
        notes: 'send_to_logfire=False; no token',
      },
    });
    expect((await env.triplets(rollout, 'last-call')).map((t) => t.reward)).toEqual([null, null, 1]);
  });

  it('tool agent with the legacy span format (instrument_openai version=1: raw request_data / response_data JSON) over OTLP/HTTP', async () => {
    const rollout = rolloutId('py-lf-tools-v1');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'http/protobuf',
      serviceName: AGENT,
      env: { TRACELIGHT_ROLLOUT_ID: rollout, LOGFIRE_OPENAI_SEMCONV: '1' },
    });
    const triplets = await env.triplets(rollout);
    await env.capture('logfire-tools-v1', AGENT, rollout, run);
    expect(run.result).toMatchObject({ reward: 1 });
    expect(run.calls).toHaveLength(3);
    expect(triplets).toHaveLength(run.calls.length);
    expectToolAgent(triplets);
    // response_data holds the returned message without its choice, so the finish reason is the span's only.
    expectTripletsMatchWire(triplets, run.calls, { rollout, agent: AGENT, reward: { name: 'correct', value: 1 }, messageFinish: false });
  });
});
