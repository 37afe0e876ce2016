// Python `openai` client + OpenLLMetry (Traceloop), real packages from PyPI, exporting over OTLP to a real
// tracelight; the model is the simulated one (not a real LLM).
//
//  - traceloop-sdk 0.62.4 (`Traceloop.init`, which instruments `openai` with OpenLLMetry's
//    opentelemetry-instrumentation-openai 0.62.4). Plain `pip install traceloop-sdk==0.62.4` ends in
//    ResolutionImpossible on this index (pip backtracks over ~40 unpinned opentelemetry-instrumentation-* siblings),
//    so requirements/traceloop.txt is a full lock (uv pip compile); it also pins `requests` and `httpx`, which the
//    SDK imports without declaring them. The standard OTLP exporter is passed to `Traceloop.init(exporter=...)`, so
//    OTEL_EXPORTER_OTLP_* decide where spans go (Traceloop's own TRACELOOP_BASE_URL is not used). Since 0.55 the
//    instrumentation writes the current OTel GenAI attributes (`gen_ai.input.messages`, `gen_ai.output.messages`,
//    `gen_ai.tool.definitions`) on the span, and reports a tool-call turn's finish reason as `tool_call`.
//  - opentelemetry-instrumentation-openai 0.52.6 on its own (the last release with the legacy OpenLLMetry
//    attributes: `gen_ai.prompt.{i}.*`, `gen_ai.completion.{i}.*` with `tool_calls.{k}.*`, `llm.request.type`,
//    `llm.request.functions.{i}.*`), with a plain OTel SDK setup.
// Content is on the span in both (TRACELOOP_TRACE_CONTENT defaults to true); no logs.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonEnv } from '../../support/python-env.js';
import { expectSingleTurn, expectToolAgent, expectTripletsMatchWire, requirements, rolloutId, startPythonInterop, type PythonInterop } from './harness.js';

const VENV_TIMEOUT = 600_000;

let env: PythonInterop;

beforeAll(async () => {
  env = await startPythonInterop();
});
afterAll(async () => {
  await env?.close();
});

describe('traceloop-sdk 0.62.4 (OpenLLMetry, current OTel GenAI attributes)', () => {
  const SCRIPT = 'traceloop_agent.py';
  let python: string;
  beforeAll(async () => {
    python = await pythonEnv('traceloop', requirements('traceloop'));
  }, VENV_TIMEOUT);

  it('single turn over OTLP/gRPC', async () => {
    const rollout = rolloutId('py-tl-single');
    const run = await env.runAgent(python, SCRIPT, 'single', {
      protocol: 'grpc',
      serviceName: 'py-traceloop',
      env: { OTEL_RESOURCE_ATTRIBUTES: `tracelight.rollout.id=${rollout}` },
    });
    expect(run.result.answer).toBe('Paris');
    expect(run.accepted.spans).toEqual({ grpc: 1, http: 0 });
    const triplets = await env.triplets(rollout);
    expectSingleTurn(triplets);
    expectTripletsMatchWire(triplets, run.calls, { rollout, agent: 'py-traceloop', reward: null });
  });

  it('tool agent over OTLP/HTTP protobuf, reward on the root span', async () => {
    const rollout = rolloutId('py-tl-tools');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'http/protobuf',
      serviceName: 'py-traceloop',
      env: { TRACELIGHT_ROLLOUT_ID: rollout },
    });
    expect(run.result).toMatchObject({ reward: 1 });
    expect(run.accepted.spans).toEqual({ http: 4, grpc: 0 });
    const triplets = await env.triplets(rollout);
    expectToolAgent(triplets, 'tool_call');
    expectTripletsMatchWire(triplets, run.calls, {
      rollout,
      agent: 'py-traceloop',
      reward: { name: 'correct', value: 1 },
      compat: { id: 'traceloop', framework: 'openai (plain client)', version: 'traceloop-sdk 0.62.4', instrumentation: 'OpenLLMetry (OTel GenAI attributes)' },
    });
    expect((await env.triplets(rollout, 'last-call')).map((t) => t.reward)).toEqual([null, null, 1]);
  });
});

describe('opentelemetry-instrumentation-openai 0.52.6 (OpenLLMetry legacy gen_ai.prompt.{i} / gen_ai.completion.{i} attributes)', () => {
  const SCRIPT = 'openllmetry_agent.py';
  let python: string;
  beforeAll(async () => {
    python = await pythonEnv('openllmetry-legacy', requirements('openllmetry-legacy'));
  }, VENV_TIMEOUT);

  it('single turn over OTLP/HTTP protobuf', async () => {
    const rollout = rolloutId('py-tlold-single');
    const run = await env.runAgent(python, SCRIPT, 'single', {
      protocol: 'http/protobuf',
      serviceName: 'py-openllmetry-legacy',
      env: { OTEL_RESOURCE_ATTRIBUTES: `tracelight.rollout.id=${rollout}` },
    });
    expect(run.accepted.spans).toEqual({ http: 1, grpc: 0 });
    const triplets = await env.triplets(rollout);
    expectSingleTurn(triplets);
    expectTripletsMatchWire(triplets, run.calls, { rollout, agent: 'py-openllmetry-legacy', reward: null });
  });

  it('tool agent over OTLP/gRPC, reward on the root span', async () => {
    const rollout = rolloutId('py-tlold-tools');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'grpc',
      serviceName: 'py-openllmetry-legacy',
      env: { TRACELIGHT_ROLLOUT_ID: rollout },
    });
    expect(run.accepted.spans).toEqual({ grpc: 4, http: 0 });
    const triplets = await env.triplets(rollout);
    expectToolAgent(triplets);
    expectTripletsMatchWire(triplets, run.calls, {
      rollout,
      agent: 'py-openllmetry-legacy',
      reward: { name: 'correct', value: 1 },
      compat: {
        id: 'openllmetry-legacy',
        framework: 'openai (plain client)',
        version: 'opentelemetry-instrumentation-openai 0.52.6',
        instrumentation: 'OpenLLMetry (legacy gen_ai.prompt.{i} attributes)',
      },
    });
  });
});
