// The OpenAI Agents SDK (`openai-agents`) traced by OpenInference (openinference-instrumentation-openai-agents,
// Arize), real packages from PyPI, exporting over OTLP to a real tracelight; the model is the simulated one (not a
// real LLM), reached as `OpenAIChatCompletionsModel(model="sim-small", openai_client=AsyncOpenAI())`.
//
// The SDK's own agent loop runs a `@function_tool` calculator. OpenInference registers itself as the SDK's only
// trace processor (replacing the default exporter to OpenAI's backend; `set_tracing_disabled(True)` would silence
// OpenInference too) and turns the SDK's traces into OTel spans, all under the script's root span: "Agent workflow"
// (AGENT, the SDK trace) > "Agent workflow" (CHAIN) > "calculator-agent" (AGENT, `agent.name`, `graph.node.id`) >
// one "turn" (CHAIN) per model call > "generation" (LLM: `llm.input_messages.*`, `llm.output_messages.*`,
// `llm.token_count.prompt|completion`, `llm.model_name`, `input.value` / `output.value` as OpenAI chat messages) and
// "calculator" (TOOL). Only the generation spans are inference calls: the triplets must be exactly the three calls
// the model served. The generation spans carry no finish reason at all (the SDK's GenerationSpanData has none), so
// the triplets have none either: tracelight does not invent one. Content is on by default, on spans only (no logs).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonEnv } from '../../support/python-env.js';
import { expectToolAgent, expectTripletsMatchWire, requirements, rolloutId, startPythonInterop, type PythonInterop } from './harness.js';

const SCRIPT = 'openai_agents_agent.py';
const SERVICE = 'py-openai-agents';
/** The Agent's name: the agent span's `agent.name`, which tracelight takes over the service name. */
const AGENT = 'calculator-agent';

describe('openai-agents 0.24.0 + openinference-instrumentation-openai-agents 2.6.0 (OpenInference)', () => {
  let env: PythonInterop;
  let python: string;
  beforeAll(async () => {
    python = await pythonEnv('openai-agents', requirements('openai-agents'));
    env = await startPythonInterop();
  }, 600_000);
  afterAll(async () => {
    await env?.close();
  });

  it('calculator agent (Runner.run, @function_tool) over OTLP/HTTP protobuf, reward on the root span', async () => {
    const rollout = rolloutId('py-oaa-tools');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'http/protobuf',
      serviceName: SERVICE,
      env: { TRACELIGHT_ROLLOUT_ID: rollout },
    });
    await env.capture('openai-agents-tools', SERVICE, rollout, run);
    expect(run.result).toMatchObject({ reward: 1 });
    expect(run.result.answer).toContain('42');
    // Three generation requests: calculator("3 + 4"), calculator("7 * 6"), the answer.
    expect(run.calls).toHaveLength(3);
    // agent-run + Agent workflow (AGENT) + Agent workflow (CHAIN) + calculator-agent + 3 × (turn, generation) + 2 × calculator.
    expect(run.accepted.spans).toEqual({ http: 12, grpc: 0 });
    expect(run.accepted.logs).toEqual({ http: 0, grpc: 0 });
    const triplets = await env.triplets(rollout);
    // One triplet per inference call: no extra "calls" from the workflow, agent or tool spans.
    expect(triplets).toHaveLength(run.calls.length);
    expectToolAgent(triplets, null, null);
    expectTripletsMatchWire(triplets, run.calls, {
      rollout,
      agent: AGENT,
      reward: { name: 'correct', value: 1 },
      finishReported: false,
      compat: {
        id: 'openai-agents-python',
        framework: 'OpenAI Agents SDK',
        version: 'openai-agents 0.24.0',
        instrumentation: 'OpenInference (openinference-instrumentation-openai-agents 2.6.0)',
        notes: 'no finish reason (the SDK records none)',
      },
    });
    expect((await env.triplets(rollout, 'last-call')).map((t) => t.reward)).toEqual([null, null, 1]);
  });
});
