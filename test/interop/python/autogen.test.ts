// AutoGen (Microsoft, the v0.4+ API: autogen-agentchat 0.7.5 `AssistantAgent` with a calculator tool, autogen-ext
// 0.7.5 `OpenAIChatCompletionClient(model="sim-small", base_url=OPENAI_BASE_URL, model_info=...)`, its own agent loop
// and tool calling) with AutoGen's native OpenTelemetry tracing on the global TracerProvider, plus
// opentelemetry-instrumentation-openai 0.62.4 (OpenLLMetry) for the model calls, as AutoGen's tracing guide sets it
// up. Real packages from PyPI, exporting OTLP to a real tracelight; the model is the simulated one (not a real LLM).
//
// One run (agent created inside the script's root `agent-run`) is 7 spans besides the root, no logs:
//  - `create_agent calculator_agent` (scope autogen-core, SpanKind CLIENT; gen_ai.operation.name=create_agent,
//    gen_ai.system=autogen, gen_ai.agent.name, gen_ai.agent.description) at construction;
//  - `invoke_agent calculator_agent` (scope autogen-core, SpanKind CLIENT; gen_ai.operation.name=invoke_agent,
//    gen_ai.system=autogen, gen_ai.agent.name, gen_ai.agent.description; no content, no usage) around run(), under it
//  - one `openai.chat` per model request (scope opentelemetry.instrumentation.openai.v1, SpanKind CLIENT;
//    gen_ai.operation.name=chat, gen_ai.provider.name=openai, gen_ai.request.model, gen_ai.response.model,
//    gen_ai.response.id, gen_ai.is_streaming=false, gen_ai.tool.definitions JSON): content (TRACELOOP_TRACE_CONTENT,
//    true by default) as span attributes gen_ai.input.messages / gen_ai.output.messages, JSON strings of OTel GenAI
//    messages with parts (text {content}, tool_call {id, name, arguments object}, tool_call_response {id,
//    response}), the output message carrying its finish_reason; usage gen_ai.usage.input_tokens / output_tokens
//    (+ total_tokens, cache_read.input_tokens = 0, reasoning_tokens = 0); gen_ai.response.finish_reasons =
//    ["tool_call"] / ["stop"] (already the OTel names);
//  - one `execute_tool calculator` per tool call (scope autogen-core, SpanKind INTERNAL;
//    gen_ai.operation.name=execute_tool, gen_ai.system=autogen, gen_ai.tool.name, gen_ai.tool.description,
//    gen_ai.tool.call.id; no arguments or result).
// So triplets = the openai.chat spans only; create_agent / invoke_agent / execute_tool must not become calls. The
// triplet's agent is gen_ai.agent.name of the invoke_agent ancestor.
//
// On the wire AutoGen sends the user message with `name: "user"` (its source), which the harness's wire reading
// ignores, and the system prompt and question exactly as given, so the shared calculator check applies as is.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonEnv } from '../../support/python-env.js';
import { expectToolAgent, expectTripletsMatchWire, requirements, rolloutId, startPythonInterop, type PythonInterop } from './harness.js';

const SCRIPT = 'autogen_agent.py';
const SERVICE = 'py-autogen';

describe('autogen-agentchat 0.7.5 (native OpenTelemetry tracing) + opentelemetry-instrumentation-openai 0.62.4', () => {
  let env: PythonInterop;
  let python: string;
  beforeAll(async () => {
    python = await pythonEnv('autogen', requirements('autogen'));
    env = await startPythonInterop();
  }, 600_000);
  afterAll(async () => {
    await env?.close();
  });

  it('calculator AssistantAgent (max_tool_iterations=8) over OTLP/gRPC, reward on the root span', async () => {
    const rollout = rolloutId('py-autogen');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'grpc',
      serviceName: SERVICE,
      env: { TRACELIGHT_ROLLOUT_ID: rollout, TRACELOOP_TRACE_CONTENT: 'true' },
    });
    await env.capture('autogen', SERVICE, rollout, run);
    expect(run.result).toMatchObject({ reward: 1 });
    expect(run.result.answer).toContain('42');
    // Three generation requests: calculator("3 + 4"), calculator("7 * 6"), the answer; unstreamed.
    expect(run.calls).toHaveLength(3);
    expect(run.calls.every((c) => !c.stream)).toBe(true);
    // agent-run + create_agent + invoke_agent + 3 × openai.chat + 2 × execute_tool.
    expect(run.accepted.spans).toEqual({ grpc: 8, http: 0 });
    expect(run.accepted.logs).toEqual({ grpc: 0, http: 0 });
    const triplets = await env.triplets(rollout);
    // One triplet per inference call: no extra "calls" from the agent or tool spans.
    expect(triplets).toHaveLength(run.calls.length);
    expectToolAgent(triplets);
    expectTripletsMatchWire(triplets, run.calls, {
      rollout,
      agent: 'calculator_agent',
      reward: { name: 'correct', value: 1 },
      compat: {
        id: 'autogen',
        framework: 'AutoGen',
        version: 'autogen-agentchat 0.7.5',
        instrumentation: 'native agent and tool spans + OpenLLMetry (opentelemetry-instrumentation-openai 0.62.4) for model calls',
      },
    });
    expect((await env.triplets(rollout, 'last-call')).map((t) => t.reward)).toEqual([null, null, 1]);
  });
});
