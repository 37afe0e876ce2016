// Python `openai` client + OpenInference (openinference-instrumentation-openai, Arize), real packages from PyPI,
// exporting over OTLP to a real tracelight; the model is the simulated one (not a real LLM).
//
// OpenInference records content by default, on the span only (no logs): `openinference.span.kind` = LLM,
// flattened `llm.input_messages.{i}.message.*` / `llm.output_messages.{i}.message.*` (tool calls as
// `message.tool_calls.{k}.tool_call.*`, results as role tool + `message.tool_call_id`), `llm.token_count.*`,
// `llm.model_name`, a span-level `llm.finish_reason`, `llm.tools.{i}.tool.json_schema`, and the raw request and
// response JSON in `input.value` / `output.value` (where the response message's finish reason is). It works with openai 3.x (it has an httpx2 shim).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonEnv } from '../../support/python-env.js';
import { expectSingleTurn, expectToolAgent, expectTripletsMatchWire, requirements, rolloutId, startPythonInterop, type PythonInterop } from './harness.js';

const SCRIPT = 'openinference_agent.py';

describe('openinference-instrumentation-openai 0.1.66 (OpenInference)', () => {
  let env: PythonInterop;
  let python: string;
  beforeAll(async () => {
    python = await pythonEnv('openinference', requirements('openinference'));
    env = await startPythonInterop();
  }, 600_000);
  afterAll(async () => {
    await env?.close();
  });

  it('single turn over OTLP/gRPC', async () => {
    const rollout = rolloutId('py-oi-single');
    const run = await env.runAgent(python, SCRIPT, 'single', {
      protocol: 'grpc',
      serviceName: 'py-openinference',
      env: { OTEL_RESOURCE_ATTRIBUTES: `tracelight.rollout.id=${rollout}` },
    });
    expect(run.result.answer).toBe('Paris');
    expect(run.accepted.spans).toEqual({ grpc: 1, http: 0 });
    const triplets = await env.triplets(rollout);
    expectSingleTurn(triplets);
    expectTripletsMatchWire(triplets, run.calls, { rollout, agent: 'py-openinference', reward: null });
  });

  it('tool agent over OTLP/HTTP protobuf, reward on the root span', async () => {
    const rollout = rolloutId('py-oi-tools');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'http/protobuf',
      serviceName: 'py-openinference',
      env: { TRACELIGHT_ROLLOUT_ID: rollout },
    });
    expect(run.result).toMatchObject({ reward: 1 });
    expect(run.accepted.spans).toEqual({ http: 4, grpc: 0 });
    expect(run.accepted.logs).toEqual({ http: 0, grpc: 0 });
    const triplets = await env.triplets(rollout);
    expectToolAgent(triplets);
    expectTripletsMatchWire(triplets, run.calls, {
      rollout,
      agent: 'py-openinference',
      reward: { name: 'correct', value: 1 },
      compat: {
        id: 'openinference-openai',
        framework: 'openai (plain client)',
        version: 'openinference-instrumentation-openai 0.1.66',
        instrumentation: 'OpenInference',
      },
    });
    expect((await env.triplets(rollout, 'last-call')).map((t) => t.reward)).toEqual([null, null, 1]);
  });
});
