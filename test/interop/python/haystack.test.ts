// Haystack (haystack-ai 3.4.1: the `Agent` component, its own agent loop and tool calling, a calculator `Tool`) on
// `OpenAIChatGenerator(model="sim-small", api_base_url=OPENAI_BASE_URL)` against the simulated model (not a real
// LLM; unstreamed, the generator's default), real packages from PyPI, exporting over OTLP through a plain OTel SDK
// TracerProvider to a real tracelight. Haystack's usage telemetry is off (HAYSTACK_TELEMETRY_ENABLED=False). Traced
// two ways, both in one venv (requirements/haystack.txt), by haystack_agent.py with HAYSTACK_TRACING:
//
//  - native: Haystack's own tracer, `tracing.enable_tracing(OpenTelemetryTracer(trace.get_tracer("haystack")))`
//    from opentelemetry-haystack 2.0.0 (the OTel path Haystack's docs give; Haystack 3 moved the tracer out of
//    core), content with HAYSTACK_CONTENT_TRACING_ENABLED=true. Spans, all SpanKind INTERNAL, scope `haystack`, no
//    GenAI convention attributes at all (no gen_ai.*, no openinference.span.kind, no traceloop.*), no events, no logs:
//    `haystack.agent.run` (haystack.agent.max_steps, .tools, .exit_conditions, .state_schema, .input, .output,
//    .steps_taken), one `haystack.agent.step` per model turn (haystack.agent.step = 0, 1, 2), under each a
//    `haystack.agent.step.llm` — the model call — with `haystack.agent.step.llm.input` = JSON {"messages": [Haystack
//    ChatMessage…], "tools": […]} and `haystack.agent.step.llm.output` = JSON {"replies": [ChatMessage]}, where a
//    ChatMessage is {role, meta, name, content: [{text} | {tool_call: {tool_name, arguments (an object), id,
//    extra}} | {tool_call_result: {result, origin: {tool_name, arguments, id}, error}}]} and a reply's meta holds
//    model, finish_reason (OpenAI's `tool_calls` / `stop`) and usage {prompt_tokens, completion_tokens,
//    total_tokens, *_details}; and one `haystack.agent.step.tool` per tool call (haystack.tool.name,
//    haystack.tool.description, haystack.agent.step.tool.input = the arguments JSON, .output = the result).
//  - openinference: openinference-instrumentation-haystack 0.1.46 (content by default), scope
//    openinference.instrumentation.haystack: `Agent.run` (CHAIN), `ChatPromptBuilder.run` (CHAIN, the system prompt),
//    and one `OpenAIChatGenerator.run` (LLM) per model call with flattened llm.input_messages.<i>.message.{role,
//    content}, llm.output_messages.0.message.{role, content, tool_calls.<j>.tool_call.function.{name, arguments}},
//    llm.model_name, llm.provider, llm.token_count.{prompt, completion, total}; no finish reason, no tool span.
//    With Haystack 3's ChatMessage it writes an assistant tool-call turn and a tool result in the prompt as a bare
//    role (no tool calls, no content, no tool_call_id) and the response's tool calls without their id.
//
// Only the model calls are inference: the triplets must be exactly the requests the model served.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonEnv } from '../../support/python-env.js';
import { expectSingleTurn, expectToolAgent, expectTripletsMatchWire, requirements, rolloutId, startPythonInterop, type PythonInterop } from './harness.js';

const SCRIPT = 'haystack_agent.py';
const BASE_ENV = { HAYSTACK_TELEMETRY_ENABLED: 'False' };

let env: PythonInterop;
let python: string;

beforeAll(async () => {
  python = await pythonEnv('haystack', requirements('haystack'));
  env = await startPythonInterop();
}, 600_000);
afterAll(async () => {
  await env?.close();
});

describe('haystack-ai 3.4.1 Agent + native OpenTelemetryTracer (opentelemetry-haystack 2.0.0, content tracing on)', () => {
  const SERVICE = 'py-haystack-native';
  const NATIVE = { ...BASE_ENV, HAYSTACK_TRACING: 'native', HAYSTACK_CONTENT_TRACING_ENABLED: 'true' };

  it('single turn over OTLP/gRPC', async () => {
    const rollout = rolloutId('py-hs-native-single');
    const run = await env.runAgent(python, SCRIPT, 'single', {
      protocol: 'grpc',
      serviceName: SERVICE,
      env: { ...NATIVE, OTEL_RESOURCE_ATTRIBUTES: `tracelight.rollout.id=${rollout}` },
    });
    await env.capture('haystack-native-single', SERVICE, rollout, run);
    expect(run.result.answer).toBe('Paris');
    expect(run.calls).toHaveLength(1);
    // haystack.agent.run, haystack.agent.step, haystack.agent.step.llm.
    expect(run.accepted.spans).toEqual({ grpc: 3, http: 0 });
    const triplets = await env.triplets(rollout);
    expect(triplets).toHaveLength(run.calls.length);
    expectSingleTurn(triplets);
    // No span names an agent: the service name.
    expectTripletsMatchWire(triplets, run.calls, { rollout, agent: SERVICE, reward: null });
  });

  it('calculator agent over OTLP/HTTP protobuf, reward on the root span', async () => {
    const rollout = rolloutId('py-hs-native-tools');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'http/protobuf',
      serviceName: SERVICE,
      env: { ...NATIVE, TRACELIGHT_ROLLOUT_ID: rollout },
    });
    await env.capture('haystack-native', SERVICE, rollout, run);
    expect(run.result).toMatchObject({ reward: 1 });
    expect(run.result.answer).toContain('42');
    // Three generation requests: calculator("3 + 4"), calculator("7 * 6"), the answer.
    expect(run.calls).toHaveLength(3);
    // agent-run + haystack.agent.run + 3 × (haystack.agent.step, haystack.agent.step.llm) + 2 × haystack.agent.step.tool.
    expect(run.accepted.spans).toEqual({ http: 10, grpc: 0 });
    expect(run.accepted.logs).toEqual({ http: 0, grpc: 0 });
    const triplets = await env.triplets(rollout);
    // One triplet per inference call: none from the agent run, step or tool spans.
    expect(triplets).toHaveLength(run.calls.length);
    expectToolAgent(triplets);
    expectTripletsMatchWire(triplets, run.calls, {
      rollout,
      agent: SERVICE,
      reward: { name: 'correct', value: 1 },
      compat: {
        id: 'haystack',
        framework: 'Haystack',
        version: 'haystack-ai 3.4.1',
        instrumentation: 'native (opentelemetry-haystack 2.0.0 OpenTelemetryTracer)',
        notes: 'HAYSTACK_CONTENT_TRACING_ENABLED=true',
      },
    });
    expect((await env.triplets(rollout, 'last-call')).map((t) => t.reward)).toEqual([null, null, 1]);
  });
});
