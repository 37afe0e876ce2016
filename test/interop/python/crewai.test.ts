// CrewAI (crewai 1.15.30: a one-agent crew, Agent + Task + Crew.kickoff(), CrewAI's own agent loop with native tool
// calling and a `@tool` calculator) traced with OpenInference, as CrewAI's docs recommend for OpenTelemetry:
// openinference-instrumentation-crewai 1.1.21 (crew / task / tool spans) + openinference-instrumentation-openai
// 0.1.66 (the model calls: CrewAI 1.x reaches `openai/sim-small` through its native OpenAI provider, the `openai`
// SDK, not LiteLLM). Real packages from PyPI, exporting OTLP through a plain OTel SDK TracerProvider to a real
// tracelight; the model is `crewai.LLM(model="openai/sim-small", base_url=OPENAI_BASE_URL)` against the simulated one
// (not a real LLM). CrewAI's own telemetry is off (CREWAI_DISABLE_TELEMETRY=true, CREWAI_TRACING_ENABLED=false,
// CREWAI_DISABLE_VERSION_CHECK=true, set by crewai_agent.py; not OTEL_SDK_DISABLED, which would also silence the
// exporter).
//
// One run of the calculator crew is 7 spans besides the script's root `agent-run`, all OpenInference (content by
// default), no logs:
//  - `Crew_<uuid>.kickoff` (openinference.span.kind=CHAIN, scope openinference.instrumentation.crewai, SpanKind
//    INTERNAL as all of them; output.value = the CrewOutput JSON, crew_key, crew_id, crew_inputs, crew_agents /
//    crew_tasks as JSON);
//  - `<role>._execute_core` (kind AGENT, the task execution: graph.node.id = the agent's role, input.value = the
//    agent and task as JSON, output.value = the task output JSON, task_key, task_id, crew_key, crew_id; no
//    agent.name), under it
//  - one `ChatCompletion` per model request (kind LLM, scope openinference.instrumentation.openai, SpanKind
//    INTERNAL): flattened llm.input_messages.{i}.message.{role,content,tool_call_id,tool_calls.{j}.tool_call.{id,
//    function.name,function.arguments}}, llm.output_messages.0.message.{role,content,tool_calls...},
//    llm.token_count.{prompt,completion,total} (+ prompt_details.cache_read / completion_details.reasoning, 0 here),
//    llm.model_name, llm.system=openai, llm.invocation_parameters (JSON), llm.tools.{i}.tool.
//    json_schema, input.value / output.value (the raw request / response JSON); the finish reason as the span's
//    llm.finish_reason (`tool_calls` / `stop`, OpenAI's names), not on the output message;
//  - `calculator.run` (kind TOOL: tool.name, input.value = the arguments JSON, output.value = the result).
// So triplets = the ChatCompletion spans only; the crew, task and tool spans must not become calls.
//
// CrewAI's prompt is its own: the system message is its `role_playing` slice ("You are {role}. {backstory}\nYour
// personal goal is: {goal}", the backstory being the scenario's system prompt) and the user message its
// `native_task` slice plus the task's expected output ("\nCurrent Task: {description}\n\nThis is the expected
// criteria for your final answer: …"), the description being the scenario's question. The test checks those two
// messages literally, then maps them back to the scenario's own prompt and question so that the shared calculator
// check (expectToolAgent) applies unchanged; expectTripletsMatchWire compares the unmapped triplets with the wire.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../../schemas/genai.js';
import type { Triplet } from '../../../training/triplets.js';
import { pythonEnv } from '../../support/python-env.js';
import {
  TOOL_QUESTION,
  TOOL_SYSTEM_PROMPT,
  expectToolAgent,
  expectTripletsMatchWire,
  requirements,
  rolloutId,
  startPythonInterop,
  type PythonInterop,
} from './harness.js';

const SCRIPT = 'crewai_agent.py';
const SERVICE = 'py-crewai';

// crewai_agent.py's Agent(role, goal, backstory=TOOL_SYSTEM_PROMPT) and Task(description=TOOL_QUESTION, expected_output).
const ROLE = 'Calculator';
const GOAL = 'Answer arithmetic questions correctly';
const EXPECTED_OUTPUT = 'The result of the arithmetic';
const CREW_SYSTEM: Message = { role: 'system', parts: [{ type: 'text', content: `You are ${ROLE}. ${TOOL_SYSTEM_PROMPT}\nYour personal goal is: ${GOAL}` }] };
const CREW_USER: Message = {
  role: 'user',
  parts: [
    {
      type: 'text',
      content: `\nCurrent Task: ${TOOL_QUESTION}\n\nThis is the expected criteria for your final answer: ${EXPECTED_OUTPUT}\nyou MUST return the actual complete content as the final answer, not a summary.`,
    },
  ],
};
const SCENARIO_SYSTEM: Message = { role: 'system', parts: [{ type: 'text', content: TOOL_SYSTEM_PROMPT }] };
const SCENARIO_USER: Message = { role: 'user', parts: [{ type: 'text', content: TOOL_QUESTION }] };

/** The triplets with CrewAI's rendering of the scenario's system prompt and question replaced by the scenario's own. */
function asScenario(triplets: Triplet[]): Triplet[] {
  return triplets.map((t) => {
    expect(t.prompt.slice(0, 2)).toEqual([CREW_SYSTEM, CREW_USER]);
    return { ...t, prompt: [SCENARIO_SYSTEM, SCENARIO_USER, ...t.prompt.slice(2)] };
  });
}

describe('crewai 1.15.30 + openinference-instrumentation-crewai 1.1.21 + openinference-instrumentation-openai 0.1.66', () => {
  let env: PythonInterop;
  let python: string;
  beforeAll(async () => {
    python = await pythonEnv('crewai', requirements('crewai'));
    env = await startPythonInterop();
  }, 900_000);
  afterAll(async () => {
    await env?.close();
  });

  it('calculator crew (Agent + @tool + Task, Crew.kickoff) over OTLP/HTTP protobuf, reward on the root span', async () => {
    const rollout = rolloutId('py-crewai');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'http/protobuf',
      serviceName: SERVICE,
      env: { TRACELIGHT_ROLLOUT_ID: rollout },
    });
    await env.capture('crewai', SERVICE, rollout, run);
    expect(run.result).toMatchObject({ reward: 1 });
    expect(run.result.answer).toContain('42');
    // Three generation requests: calculator("3 + 4"), calculator("7 * 6"), the answer; CrewAI's native tool calling
    // (the model supports function calling), unstreamed.
    expect(run.calls).toHaveLength(3);
    expect(run.calls.every((c) => !c.stream)).toBe(true);
    // agent-run + Crew kickoff + the task's _execute_core + 3 × ChatCompletion + 2 × calculator.run.
    expect(run.accepted.spans).toEqual({ http: 8, grpc: 0 });
    expect(run.accepted.logs).toEqual({ http: 0, grpc: 0 });
    const triplets = await env.triplets(rollout);
    // One triplet per inference call: no extra "calls" from the crew, task or tool spans.
    expect(triplets).toHaveLength(run.calls.length);
    expectToolAgent(asScenario(triplets));
    expectTripletsMatchWire(triplets, run.calls, {
      rollout,
      // The AGENT span's graph.node.id, the agent's role (no span sets gen_ai.agent.name / agent.name).
      agent: ROLE,
      reward: { name: 'correct', value: 1 },
      compat: {
        id: 'crewai',
        framework: 'CrewAI',
        version: 'crewai 1.15.30',
        instrumentation: 'OpenInference (openinference-instrumentation-crewai 1.1.21 + -openai 0.1.66)',
        notes: 'CrewAI writes its own system and task prompt around yours',
      },
    });
    expect((await env.triplets(rollout, 'last-call')).map((t) => t.reward)).toEqual([null, null, 1]);
  });
});
