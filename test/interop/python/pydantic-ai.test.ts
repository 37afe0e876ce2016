// Pydantic AI (pydantic-ai-slim 2.68.0, its own agent loop and tool calling) with its native OpenTelemetry
// instrumentation (`Agent.instrument_all(InstrumentationSettings(include_content=True))`; 2.x dropped
// `Agent(instrument=...)`), real packages from PyPI,
// exporting over OTLP through a plain OTel SDK TracerProvider to a real tracelight; no Logfire, no cloud. The model
// is `OpenAIChatModel('sim-small')` on an `OpenAIProvider` pointed at the simulated model (not a real LLM).
//
// Pydantic AI's data format `version` (2..6; 2-4 deprecated) defaults to 5. For one run it emits, all on spans (no
// logs): `invoke_agent <agent name>` (gen_ai.operation.name=invoke_agent, `pydantic_ai.all_messages`, final_result,
// gen_ai.aggregated_usage.*), one `chat sim-small` per model request (gen_ai.operation.name=chat,
// gen_ai.input.messages / gen_ai.output.messages as JSON strings of OTel GenAI messages with parts, the system
// prompt as a system-role message, gen_ai.usage.*, gen_ai.response.finish_reasons = ["tool_call"] for a tool-call
// turn, gen_ai.tool.definitions), and
// one `execute_tool calculator` span per tool call (gen_ai.operation.name=execute_tool,
// gen_ai.tool.call.arguments / gen_ai.tool.call.result). Up to version 5 a tool result travels in a *user*-role
// message (a `tool_call_response` part); version 6 (opt-in) puts it in a tool-role message, as the wire has it. Past
// assistant turns in gen_ai.input.messages keep their `finish_reason` (the wire's request messages have none).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonEnv } from '../../support/python-env.js';
import { expectSingleTurn, expectToolAgent, expectTripletsMatchWire, requirements, rolloutId, startPythonInterop, type PythonInterop } from './harness.js';

const SCRIPT = 'pydantic_ai_agent.py';
const SERVICE = 'py-pydantic-ai';
// tracelight takes a triplet's agent from `gen_ai.agent.name` (the Agent's name), which Pydantic AI puts on every span.
const TOOL_AGENT = 'calculator-agent';
const SINGLE_AGENT = 'geography-tutor';

describe('pydantic-ai-slim 2.68.0 (native OpenTelemetry instrumentation, OTel GenAI gen_ai.input/output.messages)', () => {
  let env: PythonInterop;
  let python: string;
  beforeAll(async () => {
    python = await pythonEnv('pydantic-ai', requirements('pydantic-ai'));
    env = await startPythonInterop();
  }, 600_000);
  afterAll(async () => {
    await env?.close();
  });

  it('single turn over OTLP/gRPC', async () => {
    const rollout = rolloutId('py-pai-single');
    const run = await env.runAgent(python, SCRIPT, 'single', {
      protocol: 'grpc',
      serviceName: SERVICE,
      env: { OTEL_RESOURCE_ATTRIBUTES: `tracelight.rollout.id=${rollout}` },
    });
    const triplets = await env.triplets(rollout);
    await env.capture('pydantic-ai-single', SERVICE, rollout, run);
    expect(run.result.answer).toBe('Paris');
    expect(run.calls).toHaveLength(1);
    // invoke_agent + one chat span.
    expect(run.accepted.spans).toEqual({ grpc: 2, http: 0 });
    expect(run.accepted.logs).toEqual({ grpc: 0, http: 0 });
    expectSingleTurn(triplets);
    expectTripletsMatchWire(triplets, run.calls, { rollout, agent: SINGLE_AGENT, reward: null });
  });

  it('tool agent (default data format, version 5) over OTLP/HTTP protobuf, reward on the root span', async () => {
    const rollout = rolloutId('py-pai-tools');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'http/protobuf',
      serviceName: SERVICE,
      env: { TRACELIGHT_ROLLOUT_ID: rollout },
    });
    const triplets = await env.triplets(rollout);
    await env.capture('pydantic-ai-tools', SERVICE, rollout, run);
    expect(run.result).toMatchObject({ reward: 1 });
    expect(run.result.answer).toContain('42');
    expect(run.calls).toHaveLength(3);
    // agent-run root + invoke_agent + 3 chat + 2 execute_tool spans; no logs.
    expect(run.accepted.spans).toEqual({ http: 7, grpc: 0 });
    expect(run.accepted.logs).toEqual({ http: 0, grpc: 0 });
    // One triplet per generation request the model served: no extra calls from the agent run or tool spans.
    expect(triplets).toHaveLength(run.calls.length);
    expectToolAgent(triplets, 'tool_call');
    expectTripletsMatchWire(triplets, run.calls, {
      rollout,
      agent: TOOL_AGENT,
      reward: { name: 'correct', value: 1 },
      compat: { id: 'pydantic-ai', framework: 'Pydantic AI', version: 'pydantic-ai-slim 2.68.0', instrumentation: 'native (InstrumentationSettings)' },
    });
    expect((await env.triplets(rollout, 'last-call')).map((t) => t.reward)).toEqual([null, null, 1]);
  });

  it('tool agent with data format version 6 (tool results in tool-role messages) over OTLP/gRPC', async () => {
    const rollout = rolloutId('py-pai-tools-v6');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'grpc',
      serviceName: SERVICE,
      env: { TRACELIGHT_ROLLOUT_ID: rollout, PYDANTIC_AI_INSTRUMENTATION_VERSION: '6' },
    });
    const triplets = await env.triplets(rollout);
    await env.capture('pydantic-ai-tools-v6', SERVICE, rollout, run);
    expect(run.result).toMatchObject({ reward: 1 });
    expect(run.calls).toHaveLength(3);
    expect(triplets).toHaveLength(run.calls.length);
    expectToolAgent(triplets, 'tool_call');
    expectTripletsMatchWire(triplets, run.calls, { rollout, agent: TOOL_AGENT, reward: { name: 'correct', value: 1 } });
  });
});
