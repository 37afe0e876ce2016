// Python `openai` client (2.54.0) + OpenLIT (openlit 1.45.0, `openlit.init(capture_message_content=True,
// pricing_json=<a local file>)`), real packages from PyPI, exporting over OTLP to a real tracelight with the OTLP
// exporters OpenLIT builds from OTEL_EXPORTER_OTLP_PROTOCOL / OTEL_EXPORTER_OTLP_ENDPOINT; the model is the simulated
// one (not a real LLM). agent_common's scenarios run unchanged.
//
// Per model call OpenLIT writes, with content on:
//  - a `chat sim-small` span (SpanKind CLIENT, scope openlit.instrumentation.openai), OTel GenAI keys:
//    gen_ai.operation.name=chat, gen_ai.provider.name=openai, gen_ai.request.model / gen_ai.response.model / id,
//    gen_ai.input.messages and gen_ai.output.messages (JSON strings of OTel GenAI messages with parts; the output's
//    finish_reason already `tool_call`), gen_ai.system_instructions (JSON parts) *and* the system message again as
//    the first entry of gen_ai.input.messages, gen_ai.response.finish_reasons (OpenAI's ["tool_calls"] / ["stop"]),
//    gen_ai.usage.input_tokens / output_tokens / cache_read.input_tokens / cache_creation.input_tokens (0) /
//    gen_ai.usage.cost, gen_ai.client.token.usage (the total), gen_ai.tool.name / call.id / args (the response's
//    tool call, flattened), gen_ai.request.* sampling parameters, gen_ai.server.time_to_first_token, server.*,
//    openlit.agent.version_hash, plus service.name / deployment.environment / telemetry.sdk.name as span attributes;
//  - a `gen_ai.client.inference.operation.details` log record of that span carrying the same input / output /
//    system-instruction / tool-definition keys;
//  - a `POST` child span (SpanKind CLIENT, scope opentelemetry.instrumentation.httpx: OpenLIT turns the contrib HTTP
//    instrumentations on too), http.method / url / status_code.
// No agent name anywhere: the triplets' agent is the service name. Only the chat spans are inference calls.
//
// OpenLIT 1.45.0 records the conversation with a gap: its `build_input_messages` reads only a message's `content`,
// never `tool_calls`, and drops messages left without parts, so an assistant tool-call turn (content null on the
// wire) is missing from gen_ai.input.messages of the calls after it; the tool results are there. The expectations
// below still hold the wire's conversation: the triplet should be the exchange that happened (the missing turns are
// each the previous call's response, linked by the tool-call ids).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonEnv } from '../../support/python-env.js';
import { expectSingleTurn, expectToolAgent, expectTripletsMatchWire, requirements, rolloutId, startPythonInterop, type PythonInterop } from './harness.js';

const SCRIPT = 'openlit_agent.py';
const SERVICE = 'py-openlit';

describe('openlit 1.45.0 (openai instrumentation, OTel GenAI gen_ai.input/output.messages, content on span and log record)', () => {
  let env: PythonInterop;
  let python: string;
  beforeAll(async () => {
    python = await pythonEnv('openlit', requirements('openlit'));
    env = await startPythonInterop();
  }, 900_000);
  afterAll(async () => {
    await env?.close();
  });

  it('single turn over OTLP/gRPC', async () => {
    const rollout = rolloutId('py-openlit-single');
    const service = `${SERVICE}-single`;
    const run = await env.runAgent(python, SCRIPT, 'single', {
      protocol: 'grpc',
      serviceName: service,
      env: { OTEL_RESOURCE_ATTRIBUTES: `tracelight.rollout.id=${rollout}` },
    });
    await env.capture('openlit-single', service, rollout, run);
    expect(run.result.answer).toBe('Paris');
    expect(run.calls).toHaveLength(1);
    // chat sim-small + its httpx POST; one gen_ai.client.inference.operation.details record.
    expect(run.accepted.spans).toEqual({ grpc: 2, http: 0 });
    expect(run.accepted.logs).toEqual({ grpc: 1, http: 0 });
    const triplets = await env.triplets(rollout);
    expect(triplets).toHaveLength(run.calls.length);
    expectSingleTurn(triplets);
    expectTripletsMatchWire(triplets, run.calls, { rollout, agent: service, reward: null });
  });

  it('tool agent (agent_common run_scenario) over OTLP/HTTP protobuf, reward on the root span', async () => {
    const rollout = rolloutId('py-openlit-tools');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'http/protobuf',
      serviceName: SERVICE,
      env: { TRACELIGHT_ROLLOUT_ID: rollout },
    });
    await env.capture('openlit-tools', SERVICE, rollout, run);
    expect(run.result).toMatchObject({ reward: 1 });
    expect(run.result.answer).toContain('42');
    expect(run.calls).toHaveLength(3);
    // agent-run + 3 × (chat sim-small, POST); 3 log records.
    expect(run.accepted.spans).toEqual({ http: 7, grpc: 0 });
    expect(run.accepted.logs).toEqual({ http: 3, grpc: 0 });
    const triplets = await env.triplets(rollout);
    // One triplet per inference call: none from the HTTP client spans.
    expect(triplets).toHaveLength(run.calls.length);
    expectTripletsMatchWire(triplets, run.calls, {
      rollout,
      agent: SERVICE,
      reward: { name: 'correct', value: 1 },
      compat: {
        id: 'openlit',
        framework: 'openai (plain client)',
        version: 'openlit 1.45.0',
        instrumentation: 'OpenLIT',
        notes: "OpenLIT's prompts leave out the assistant tool-call turns; tracelight restores them from the earlier responses",
      },
    });
    expectToolAgent(triplets);
    expect((await env.triplets(rollout, 'last-call')).map((t) => t.reward)).toEqual([null, null, 1]);
  });
});
