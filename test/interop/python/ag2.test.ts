// AG2 (ag2 0.14.0, the `import autogen` ConversableAgent line: an assistant that proposes calculator calls and a user
// proxy that executes them, `register_function`, `initiate_chat`) with AG2's own OpenTelemetry tracing
// (`autogen.opentelemetry.instrument_agent` on both agents + `instrument_llm_wrapper(capture_messages=True)`), real
// packages from PyPI, exporting OTLP through a plain OTel SDK TracerProvider to a real tracelight; the model is
// `LLMConfig({api_type: openai, model: sim-small, base_url: OPENAI_BASE_URL})` against the simulated one (not a
// real LLM).
//
// One run is 12 spans besides the script's root `agent-run`, all scope opentelemetry.instrumentation.ag2 with
// ag2.span.type, no logs:
//  - `conversation user` (initiate_chat; SpanKind INTERNAL, gen_ai.operation.name=conversation, gen_ai.agent.name
//    = the initiating agent, gen_ai.conversation.id / max_turns / turns, gen_ai.input.messages (the question) and
//    gen_ai.output.messages (the whole chat history) as OTel GenAI message JSON, and the chat's summed
//    gen_ai.usage.input_tokens / output_tokens + gen_ai.response.model, gen_ai.usage.cost);
//  - per turn an `invoke_agent calculator_agent` and an `invoke_agent user` (generate_reply; INTERNAL,
//    gen_ai.operation.name=invoke_agent, gen_ai.agent.name, the agent's received history as gen_ai.input.messages
//    and its reply as gen_ai.output.messages; the assistant's also gen_ai.provider.name / request.model), 3 each
//    (the user's third one only decides to terminate);
//  - under each assistant invoke_agent a `chat sim-small` (OpenAIWrapper.create; SpanKind CLIENT,
//    gen_ai.operation.name=chat, gen_ai.provider.name=openai, gen_ai.request.model, gen_ai.agent.name, the exact
//    request messages as gen_ai.input.messages (system prompt included) and the reply as gen_ai.output.messages —
//    parts text / tool_call {id, name, arguments object} / tool_call_response {id, response}, no finish_reason on
//    the message —, gen_ai.response.model, gen_ai.usage.input_tokens / output_tokens, gen_ai.usage.cost = 0,
//    gen_ai.response.finish_reasons = ["tool_calls"] / ["stop"] as a JSON string, OpenAI's names), the inference
//    call;
//  - under the user's first two invoke_agent an `execute_tool calculator` (INTERNAL, gen_ai.operation.name=
//    execute_tool, gen_ai.tool.name / type / call.id, gen_ai.tool.call.arguments / result).
// So triplets = the chat spans only: the conversation span (usage and messages, operation `conversation`) and the
// invoke_agent spans (messages) must not become calls.
//
// On the wire AG2 sends the user message with `name: "user"` (the sender), which the harness's wire reading ignores,
// and the system prompt and question exactly as given, so the shared calculator check applies as is.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonEnv } from '../../support/python-env.js';
import { expectToolAgent, expectTripletsMatchWire, requirements, rolloutId, startPythonInterop, type PythonInterop } from './harness.js';

const SCRIPT = 'ag2_agent.py';
const SERVICE = 'py-ag2';

describe('ag2 0.14.0 (autogen.opentelemetry: instrument_agent + instrument_llm_wrapper)', () => {
  let env: PythonInterop;
  let python: string;
  beforeAll(async () => {
    python = await pythonEnv('ag2', requirements('ag2'));
    env = await startPythonInterop();
  }, 600_000);
  afterAll(async () => {
    await env?.close();
  });

  it('calculator chat (assistant + executing user proxy, register_function) over OTLP/HTTP protobuf, reward on the root span', async () => {
    const rollout = rolloutId('py-ag2');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'http/protobuf',
      serviceName: SERVICE,
      env: { TRACELIGHT_ROLLOUT_ID: rollout },
    });
    await env.capture('ag2', SERVICE, rollout, run);
    expect(run.result).toMatchObject({ reward: 1 });
    expect(run.result.answer).toContain('42');
    // Three generation requests: calculator("3 + 4"), calculator("7 * 6"), the answer; unstreamed.
    expect(run.calls).toHaveLength(3);
    expect(run.calls.every((c) => !c.stream)).toBe(true);
    // agent-run + conversation user + 3 × (invoke_agent calculator_agent, chat sim-small, invoke_agent user) +
    // 2 × execute_tool calculator (under the user's first two invoke_agent spans).
    expect(run.accepted.spans).toEqual({ http: 13, grpc: 0 });
    expect(run.accepted.logs).toEqual({ http: 0, grpc: 0 });
    const triplets = await env.triplets(rollout);
    // One triplet per inference call: no extra "calls" from the conversation, agent or tool spans.
    expect(triplets).toHaveLength(run.calls.length);
    expectToolAgent(triplets);
    expectTripletsMatchWire(triplets, run.calls, {
      rollout,
      // gen_ai.agent.name on the chat span (the assistant; AG2 passes the calling agent to OpenAIWrapper.create).
      agent: 'calculator_agent',
      reward: { name: 'correct', value: 1 },
      // instrument_llm_wrapper reports the finish reason for the span only (gen_ai.response.finish_reasons); the
      // messages in gen_ai.output.messages carry none.
      messageFinish: false,
      compat: { id: 'ag2', framework: 'AG2', version: 'ag2 0.14.0', instrumentation: 'native (autogen.opentelemetry)' },
    });
    expect((await env.triplets(rollout, 'last-call')).map((t) => t.reward)).toEqual([null, null, 1]);
  });
});
