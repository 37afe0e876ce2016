// smolagents (Hugging Face, smolagents 1.26.0: `ToolCallingAgent`, its own agent loop and tool calling) traced by
// OpenInference (openinference-instrumentation-smolagents 0.1.43, Arize), real packages from PyPI, exporting over OTLP
// through agent_common's global TracerProvider to a real tracelight. The model is `OpenAIServerModel("sim-small",
// api_base=OPENAI_BASE_URL)` (openai 3.60.0) against the simulated model (not a real LLM); the tools a `@tool`
// calculator and smolagents' built-in `final_answer`, which ends the run. Content is recorded by default.
//
// Spans, all SpanKind INTERNAL, scope openinference.instrumentation.smolagents, under the script's `agent-run` root:
//  - `calculator_agent.run` (openinference.span.kind=AGENT, input.value = the run's arguments JSON, output.value = the
//    answer, smolagents.tools_names / max_steps, the run's summed llm.token_count.*);
//  - one `Step <n>` per agent step (openinference.span.kind=CHAIN, input.value = the ActionStep repr, output.value);
//  - under each step an `OpenAIModel.generate` span, the inference call: openinference.span.kind=LLM, llm.provider=openai,
//    llm.model_name=sim-small, llm.invocation_parameters, llm.tools.{i}.tool.json_schema, the prompt as flattened
//    `llm.input_messages.{i}.message.role` + `message.contents.{k}.message_content.{type,text}` (the content-part
//    form), the response as `llm.output_messages.0.message.role` + `message.tool_calls.{k}.tool_call.{id,
//    function.name, function.arguments}`, llm.token_count.prompt / completion / total, input.value / output.value
//    (Python reprs, the raw ChatCompletion repr inside); no llm.finish_reason;
//  - one span per tool call, named after the tool class (`SimpleTool` for the @tool calculator, `FinalAnswerTool`):
//    openinference.span.kind=TOOL, tool.name / description / parameters, input.value (kwargs JSON), output.value.
// No span names an agent (the AGENT span carries no agent.name), so the triplets' agent is the service name.
//
// What smolagents sends is not the chat-completions tool protocol: every message's content is a content-part array
// (`[{"type": "text", "text": …}]`, folded to the plain string it stands for by `chatWire`, as in strands.test.ts);
// the system prompt is smolagents' own ToolCallingAgent template with the `instructions` appended; the task goes as
// "New task:\n<question>"; and a past step is replayed as *text*: an assistant message "Calling tools:\n[<Python
// repr of the tool calls>]" and a user message "Observation:\n<result>" (smolagents' tool_role_conversions turn its
// internal roles `tool-call` / `tool-response` into assistant / user on the wire; OpenInference records the internal
// roles). The simulated model reads tool results only from tool-role messages, so it takes "Observation:\n7" for a
// new question and answers it with final_answer("Observation: 7"): the run is 2 model calls, calculator("3 + 4") and
// that final_answer, with reward 0. So expectToolAgent (native tool messages, three calls, 42) cannot apply; the
// test checks this run's wire exchange field by field and smolagents' conversation literally instead.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonEnv } from '../../support/python-env.js';
import {
  chatWire,
  TOOL_QUESTION,
  TOOL_SYSTEM_PROMPT,
  expectTripletsMatchWire,
  requirements,
  rolloutId,
  startPythonInterop,
  type PythonInterop,
} from './harness.js';

const SCRIPT = 'smolagents_agent.py';
const SERVICE = 'py-smolagents';

type Json = Record<string, any>;

describe('smolagents 1.26.0 ToolCallingAgent + openinference-instrumentation-smolagents 0.1.43 (OpenInference)', () => {
  let env: PythonInterop;
  let python: string;
  beforeAll(async () => {
    python = await pythonEnv('smolagents', requirements('smolagents'));
    env = await startPythonInterop();
  }, 900_000);
  afterAll(async () => {
    await env?.close();
  });

  it('calculator agent (ToolCallingAgent, @tool) over OTLP/HTTP protobuf, reward on the root span', async () => {
    const rollout = rolloutId('py-smolagents');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'http/protobuf',
      serviceName: SERVICE,
      env: { TRACELIGHT_ROLLOUT_ID: rollout },
    });
    await env.capture('smolagents', SERVICE, rollout, run);
    // The simulated model's answer to smolagents' text-replayed observation (see the top): not 42.
    expect(run.result).toEqual({ answer: 'Observation: 7', reward: 0 });
    expect(run.calls).toHaveLength(2);
    expect(run.calls.every((c) => !c.stream && c.request.tool_choice === 'required')).toBe(true);
    // agent-run, calculator_agent.run, 2 × (Step n, OpenAIModel.generate), SimpleTool, FinalAnswerTool.
    expect(run.accepted.spans).toEqual({ http: 8, grpc: 0 });
    expect(run.accepted.logs).toEqual({ http: 0, grpc: 0 });

    // smolagents' conversation, literally, on the wire.
    const wire = chatWire(run.calls);
    const [first, second] = wire.map((c) => c.request.messages as Json[]) as [Json[], Json[]];
    expect(first).toHaveLength(2);
    expect(first[0]?.role).toBe('system');
    expect(first[0]?.content).toMatch(/^You are an expert assistant who can solve any task using tool calls\./);
    expect(first[0]?.content).toContain(TOOL_SYSTEM_PROMPT);
    expect(first[1]).toEqual({ role: 'user', content: `New task:\n${TOOL_QUESTION}` });
    const call1 = (wire[0]!.response.choices[0] as Json).message.tool_calls[0];
    expect([call1.function.name, JSON.parse(call1.function.arguments)]).toEqual(['calculator', { expression: '3 + 4' }]);
    expect(second).toEqual([
      first[0],
      first[1],
      {
        role: 'assistant',
        content: `Calling tools:\n[{'id': '${call1.id}', 'type': 'function', 'function': {'name': 'calculator', 'arguments': {'expression': '3 + 4'}}}]`,
      },
      { role: 'user', content: 'Observation:\n7' },
    ]);

    const triplets = await env.triplets(rollout);
    // One triplet per inference call: none from the agent, step or tool spans.
    expect(triplets).toHaveLength(run.calls.length);
    // OpenInference's smolagents instrumentation records no finish reason (no llm.finish_reason; it is only inside the
    // raw ChatCompletion repr in output.value), so the triplets have none.
    expectTripletsMatchWire(triplets, wire, {
      rollout,
      agent: SERVICE,
      reward: { name: 'correct', value: 0 },
      finishReported: false,
      compat: {
        id: 'smolagents',
        framework: 'smolagents',
        version: 'smolagents 1.26.0',
        instrumentation: 'OpenInference (openinference-instrumentation-smolagents 0.1.43)',
        notes: 'smolagents sends tool results to the model as user text, not tool messages; no finish reason recorded',
      },
    });
    expect(triplets.map((t) => t.response?.parts.map((p) => (p as { name?: string }).name))).toEqual([['calculator'], ['final_answer']]);
    expect((await env.triplets(rollout, 'last-call')).map((t) => t.reward)).toEqual([null, 0]);
  });
});
