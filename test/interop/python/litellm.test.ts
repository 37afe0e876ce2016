// LiteLLM (litellm 1.110.2) with its OpenTelemetry callback (`litellm.callbacks = ["otel"]`), real packages from
// PyPI, exporting over OTLP to a real tracelight with the exporter LiteLLM builds from OTEL_EXPORTER_OTLP_PROTOCOL /
// OTEL_EXPORTER_OTLP_ENDPOINT (its own TracerProvider). agent_common's scenarios run unchanged, their
// `client.chat.completions.create` going through `litellm.completion(model="openai/sim-small", api_base=OPENAI_BASE_URL)`
// to the simulated model (not a real LLM). Content is captured by default (on the span; no logs unless
// LITELLM_OTEL_INTEGRATION_ENABLE_EVENTS).
//
// Per call LiteLLM writes a `litellm_request` span (scope litellm, SpanKind INTERNAL; with
// OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental `chat sim-small`, CLIENT, and no raw span) carrying two
// conventions at once: OTel GenAI (gen_ai.operation.name=chat, gen_ai.input.messages / gen_ai.output.messages JSON,
// gen_ai.response.finish_reasons, gen_ai.usage.input_tokens / output_tokens / total_tokens, gen_ai.request.model,
// gen_ai.response.model / id, gen_ai.system=openai) and OpenLLMetry-style legacy keys (llm.request.type=completion,
// llm.request.functions.{i}.*, gen_ai.completion.0.function_call.name / arguments), plus metadata.* and
// hidden_params. Its gen_ai.input.messages mixes shapes: an assistant tool-call turn is `{"role": "assistant",
// "parts": [], "tool_calls": [<OpenAI tool call>]}`, a tool result `{"role": "tool", "parts": [{"type": "text",
// "content": "7"}], "tool_call_id": …}`; gen_ai.output.messages of a tool-call turn has `parts: []`, the call being
// only in gen_ai.completion.0.function_call.* (no id). A `raw_gen_ai_request` child holds the provider request and
// response as `llm.openai.<field>` attributes (messages, tools, choices, usage …) written as Python reprs, not JSON.
//
// Inside an active span (the tools scenario's root span) LiteLLM >= 1.81 by default writes no litellm_request span:
// it sets each call's attributes on that parent span (the last call overwriting the earlier ones, and a call logged
// after the parent ended is dropped) and parents the raw_gen_ai_request spans to it. USE_OTEL_LITELLM_REQUEST_SPAN=true,
// LiteLLM's documented switch, restores one litellm_request span per call; the tools test sets it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonEnv } from '../../support/python-env.js';
import { expectSingleTurn, expectToolAgent, expectTripletsMatchWire, requirements, rolloutId, startPythonInterop, type PythonInterop } from './harness.js';

const SCRIPT = 'litellm_agent.py';
const SERVICE = 'py-litellm';

describe('litellm 1.110.2 (OpenTelemetry callback "otel": gen_ai.input/output.messages beside legacy gen_ai.completion.*)', () => {
  let env: PythonInterop;
  let python: string;
  beforeAll(async () => {
    python = await pythonEnv('litellm', requirements('litellm'));
    env = await startPythonInterop();
  }, 600_000);
  afterAll(async () => {
    await env?.close();
  });

  it('single turn over OTLP/gRPC', async () => {
    const rollout = rolloutId('py-litellm-single');
    const run = await env.runAgent(python, SCRIPT, 'single', {
      protocol: 'grpc',
      serviceName: SERVICE,
      env: { OTEL_RESOURCE_ATTRIBUTES: `tracelight.rollout.id=${rollout}` },
    });
    expect(run.result.answer).toBe('Paris');
    expect(run.calls).toHaveLength(1);
    // litellm_request and its raw_gen_ai_request child.
    expect(run.accepted.spans).toEqual({ grpc: 2, http: 0 });
    expect(run.accepted.logs).toEqual({ grpc: 0, http: 0 });
    const triplets = await env.triplets(rollout);
    expect(triplets).toHaveLength(run.calls.length);
    expectSingleTurn(triplets);
    expectTripletsMatchWire(triplets, run.calls, { rollout, agent: SERVICE, reward: null });
  });

  it('tool agent over OTLP/HTTP protobuf, one litellm_request span per call (USE_OTEL_LITELLM_REQUEST_SPAN), reward on the root span', async () => {
    const rollout = rolloutId('py-litellm-tools');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'http/protobuf',
      serviceName: SERVICE,
      env: { TRACELIGHT_ROLLOUT_ID: rollout, USE_OTEL_LITELLM_REQUEST_SPAN: 'true' },
    });
    expect(run.result).toMatchObject({ reward: 1 });
    expect(run.result.answer).toContain('42');
    expect(run.calls).toHaveLength(3);
    // agent-run (the script's root), 3 × litellm_request, 3 × raw_gen_ai_request.
    expect(run.accepted.spans).toEqual({ http: 7, grpc: 0 });
    expect(run.accepted.logs).toEqual({ http: 0, grpc: 0 });
    const triplets = await env.triplets(rollout);
    expect(triplets).toHaveLength(run.calls.length);
    expectToolAgent(triplets);
    expectTripletsMatchWire(triplets, run.calls, {
      rollout,
      agent: SERVICE,
      reward: { name: 'correct', value: 1 },
      compat: {
        id: 'litellm',
        framework: 'LiteLLM',
        version: 'litellm 1.110.2',
        instrumentation: 'its OTel callback ("otel")',
        notes: 'needs USE_OTEL_LITELLM_REQUEST_SPAN=true (else LiteLLM writes every call onto its parent span)',
      },
    });
    expect((await env.triplets(rollout, 'last-call')).map((t) => t.reward)).toEqual([null, null, 1]);
  });
});
