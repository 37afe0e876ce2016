// Python `openai` client + the OTel GenAI OpenAI instrumentation (opentelemetry-instrumentation-openai-v2), real
// packages from PyPI, exporting over OTLP to a real tracelight; the model is the simulated one (not a real LLM).
//
// Two pinned environments (requirements/*.txt), because the instrumentation's behaviour depends on the
// opentelemetry-util-genai release beside it:
//  - openai-v2: util-genai 1.1b0 (the newest that 2.4b0 imports; 1.2b0+ dropped `util.genai.instruments`) and the
//    OTel SDK 1.45. Only the current conventions exist on this path. OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT
//    takes NO_CONTENT | SPAN_ONLY | EVENT_ONLY | SPAN_AND_EVENT (`true` is rejected with a warning and means
//    NO_CONTENT): SPAN_ONLY puts `gen_ai.input.messages` / `gen_ai.output.messages` (system prompt included as a
//    system-role message) on the span; EVENT_ONLY puts them on a `gen_ai.client.inference.operation.details` OTLP log
//    record joined to the span by its span id.
//  - openai-v2-semconv-1.30: util-genai 0.4b0 with the OTel SDK 1.39, where the instrumentation still defaults to
//    semconv 1.30: with CAPTURE_MESSAGE_CONTENT=true the content goes out as one OTLP log record per message
//    (`gen_ai.system.message`, `gen_ai.user.message`, `gen_ai.assistant.message`, `gen_ai.tool.message`,
//    `gen_ai.choice`), bodies in the log body, and the span has only `gen_ai.system` and usage.
// openai 2.54.0 is pinned: openai 3.x moved to httpx2 and the instrumentation imports httpx.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonEnv } from '../../support/python-env.js';
import { expectSingleTurn, expectToolAgent, expectTripletsMatchWire, requirements, rolloutId, startPythonInterop, type PythonInterop } from './harness.js';

const VENV_TIMEOUT = 600_000;
const SCRIPT = 'openai_v2_agent.py';

let env: PythonInterop;

beforeAll(async () => {
  env = await startPythonInterop();
});
afterAll(async () => {
  await env?.close();
});

describe('opentelemetry-instrumentation-openai-v2 2.4b0 (util-genai 1.1b0, current OTel GenAI conventions)', () => {
  let python: string;
  beforeAll(async () => {
    python = await pythonEnv('openai-v2', requirements('openai-v2'));
  }, VENV_TIMEOUT);

  it('single turn, content on the span (SPAN_ONLY), over OTLP/HTTP protobuf', async () => {
    const rollout = rolloutId('py-v2-single');
    const run = await env.runAgent(python, SCRIPT, 'single', {
      protocol: 'http/protobuf',
      serviceName: 'py-openai-v2',
      env: { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'SPAN_ONLY', OTEL_RESOURCE_ATTRIBUTES: `tracelight.rollout.id=${rollout}` },
    });
    expect(run.result.answer).toBe('Paris');
    expect(run.accepted.spans).toEqual({ http: 1, grpc: 0 });
    expect(run.accepted.logs).toEqual({ http: 0, grpc: 0 });
    const triplets = await env.triplets(rollout);
    expectSingleTurn(triplets);
    expectTripletsMatchWire(triplets, run.calls, { rollout, agent: 'py-openai-v2', reward: null });
  });

  it('tool agent, content in gen_ai.client.inference.operation.details log records (EVENT_ONLY), over OTLP/gRPC', async () => {
    const rollout = rolloutId('py-v2-tools');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'grpc',
      serviceName: 'py-openai-v2',
      env: { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'EVENT_ONLY', TRACELIGHT_ROLLOUT_ID: rollout },
    });
    expect(run.result).toMatchObject({ reward: 1 });
    expect(run.calls).toHaveLength(3);
    // 3 chat spans + the agent's root span; one operation-details record per call, all over gRPC.
    expect(run.accepted.spans).toEqual({ grpc: 4, http: 0 });
    expect(run.accepted.logs).toEqual({ grpc: 3, http: 0 });
    const triplets = await env.triplets(rollout);
    expectToolAgent(triplets);
    expectTripletsMatchWire(triplets, run.calls, {
      rollout,
      agent: 'py-openai-v2',
      reward: { name: 'correct', value: 1 },
      compat: {
        id: 'openai-v2',
        framework: 'openai (plain client)',
        version: 'openai-v2 2.4b0',
        instrumentation: 'OTel GenAI (opentelemetry-instrumentation-openai-v2)',
      },
    });
    // The reward is on the root span, after the last call: last-call gives it to the final answer only.
    expect((await env.triplets(rollout, 'last-call')).map((t) => t.reward)).toEqual([null, null, 1]);
  });

  it('does not double the content when it is on the span and in a log record (SPAN_AND_EVENT)', async () => {
    const rollout = rolloutId('py-v2-both');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'http/protobuf',
      serviceName: 'py-openai-v2',
      env: { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'SPAN_AND_EVENT', TRACELIGHT_ROLLOUT_ID: rollout },
    });
    expect(run.accepted.logs).toEqual({ http: 3, grpc: 0 });
    const triplets = await env.triplets(rollout);
    expectToolAgent(triplets);
    expectTripletsMatchWire(triplets, run.calls, { rollout, agent: 'py-openai-v2', reward: { name: 'correct', value: 1 } });
  });
});

describe('opentelemetry-instrumentation-openai-v2 2.4b0 on its semconv 1.30 default (util-genai 0.4b0): per-message log events', () => {
  let python: string;
  beforeAll(async () => {
    python = await pythonEnv('openai-v2-semconv-1.30', requirements('openai-v2-semconv-1.30'));
  }, VENV_TIMEOUT);

  it('single turn over OTLP/gRPC: gen_ai.system.message / gen_ai.user.message / gen_ai.choice records', async () => {
    const rollout = rolloutId('py-v2old-single');
    const run = await env.runAgent(python, SCRIPT, 'single', {
      protocol: 'grpc',
      serviceName: 'py-openai-v2-legacy',
      env: { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true', OTEL_RESOURCE_ATTRIBUTES: `tracelight.rollout.id=${rollout}` },
    });
    expect(run.accepted.spans).toEqual({ grpc: 1, http: 0 });
    expect(run.accepted.logs).toEqual({ grpc: 3, http: 0 });
    const triplets = await env.triplets(rollout);
    expectSingleTurn(triplets);
    expectTripletsMatchWire(triplets, run.calls, { rollout, agent: 'py-openai-v2-legacy', reward: null });
  });

  it('tool agent over OTLP/HTTP: assistant tool calls and tool results rebuilt from their own records', async () => {
    const rollout = rolloutId('py-v2old-tools');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'http/protobuf',
      serviceName: 'py-openai-v2-legacy',
      env: { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true', TRACELIGHT_ROLLOUT_ID: rollout },
    });
    // system + user + choice, then + assistant + tool each turn: 3 + 5 + 7 records.
    expect(run.accepted.logs).toEqual({ http: 15, grpc: 0 });
    const triplets = await env.triplets(rollout);
    expectToolAgent(triplets);
    expectTripletsMatchWire(triplets, run.calls, {
      rollout,
      agent: 'py-openai-v2-legacy',
      reward: { name: 'correct', value: 1 },
      compat: {
        id: 'openai-v2-semconv-1.30',
        framework: 'openai (plain client)',
        version: 'openai-v2 2.4b0, util-genai 0.4b0',
        instrumentation: 'OTel GenAI semconv 1.30 (per-message log events)',
      },
    });
  });
});
