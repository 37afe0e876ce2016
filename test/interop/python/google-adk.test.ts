// Google ADK (google-adk 2.13.0: `LlmAgent`, its own agent loop and function calling, on an `InMemoryRunner`) with
// ADK's native OpenTelemetry tracing, real packages from PyPI, exporting over OTLP to a real tracelight. The model is
// ADK's LiteLLM wrapper, `LiteLlm(model="openai/sim-small", api_base=OPENAI_BASE_URL)` (litellm 1.110.2), against
// the simulated model (not a real LLM); the tool a plain Python function `calculator`. Over OTLP/HTTP the exporters
// are ADK's own (`google.adk.telemetry.setup.maybe_set_otel_providers()`, from OTEL_EXPORTER_OTLP_ENDPOINT); over
// gRPC the script sets the global providers with the standard gRPC exporters (ADK's setup builds HTTP ones only).
//
// Spans, all SpanKind INTERNAL, scope gcp.vertex.agent, under the script's `agent-run` root:
//  Default telemetry schema (2, "OTel GenAI semconv aligned"), 8 spans per run:
//  - `invoke_workflow calculator_agent` (gen_ai.operation.name=invoke_workflow, gen_ai.workflow.name,
//    gen_ai.conversation.id);
//  - `invoke_agent calculator_agent` (gen_ai.operation.name=invoke_agent, gen_ai.agent.name, gen_ai.agent.description);
//  - one `generate_content openai/sim-small` per model call, the inference span: gen_ai.operation.name=generate_content,
//    gen_ai.provider.name=openai, gen_ai.request.model=openai/sim-small (the LiteLLM model string; no
//    gen_ai.response.model), gen_ai.agent.name, gen_ai.usage.input_tokens / output_tokens / cache_read.input_tokens (0),
//    gen_ai.response.finish_reasons, gen_ai.tool.definitions; content only with
//    OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: SPAN_ONLY puts gen_ai.system_instructions (parts JSON),
//    gen_ai.input.messages and gen_ai.output.messages (OTel GenAI messages JSON) on this span, EVENT_ONLY puts the same
//    keys on a `gen_ai.client.inference.operation.details` log record of the span (emitted either way, without content
//    when off). The tool results travel as *user*-role messages with `tool_call_response` parts whose `response` is the
//    function's result dict (`{"result": "7"}`), as ADK keeps them (Gemini function_response);
//  - one `execute_tool calculator` per tool call (gen_ai.operation.name=execute_tool, gen_ai.tool.name / call.id /
//    type / description, gen_ai.tool.call.arguments / call.result when content is on).
//  Legacy schema (ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN=1), 11 spans: `invocation`, `invoke_agent calculator_agent`, and
//  per model call a `call_llm` span (gen_ai.system=gcp.vertex.agent, no gen_ai.operation.name, gen_ai.request.model,
//  gen_ai.usage.*, gen_ai.response.finish_reasons, and the content — on by default — as
//  `gcp.vertex.agent.llm_request` = JSON {model, config: {system_instruction, tools}, contents: [Gemini contents with
//  text / function_call / function_response parts]} and `gcp.vertex.agent.llm_response` = JSON {model_version,
//  content: {role: "model", parts}, finish_reason: "STOP", usage_metadata}) with a child `generate_content
//  openai/sim-small` span (gen_ai.operation.name=generate_content, gen_ai.system=openai, no content) whose content goes
//  to gen_ai.system.message / gen_ai.user.message / gen_ai.choice log records, `<elided>` unless
//  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true; `execute_tool calculator` spans carry
//  gcp.vertex.agent.tool_call_args / tool_response. Only one of call_llm / generate_content may become a call.
//
// Finish reasons: ADK's LiteLlm maps OpenAI's `tool_calls` to Gemini's STOP on purpose ("normal completion with tool
// invocation"), so every generate_content span says ["stop"], tool-call turns included. The triplets are expected to
// say tool_call for those turns anyway (the OTel vocabulary, what the wire said): the turn's response is a tool call.
//
// What ADK puts on the wire, beside the scenario's literal prompts: ADK appends its identity instruction to the system
// prompt (`You are an agent. Your internal name is "calculator_agent".`, always, from its identity request
// processor), and it sends a tool result as the JSON text of the function's result dict (`{"result": "7"}`). `adkWire`
// and `adkScenario` below account for those, nothing else.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Triplet } from '../../../training/triplets.js';
import { pythonEnv } from '../../support/python-env.js';
import type { ModelCall } from '../harness.js';
import { TOOL_SYSTEM_PROMPT, expectToolAgent, expectTripletsMatchWire, requirements, rolloutId, startPythonInterop, type PythonInterop } from './harness.js';

const SCRIPT = 'google_adk_agent.py';
const AGENT = 'calculator_agent';
/** ADK's system instruction: the agent's instruction plus its identity line. */
const ADK_SYSTEM = `${TOOL_SYSTEM_PROMPT}\n\nYou are an agent. Your internal name is "${AGENT}".`;
/** The model ADK records (gen_ai.request.model, the LiteLLM model string; it records no gen_ai.response.model). */
const ADK_MODEL = 'openai/sim-small';

type Json = Record<string, any>;

/**
 * The wire as ADK's spans can state it: a tool message's content is the JSON text of the function's result dict,
 * which ADK records as the dict itself (so the expected `response` is the parsed JSON, the same data); the model is
 * the one ADK requested (it records no response model).
 */
function adkWire(calls: ModelCall[]): ModelCall[] {
  return calls.map((c) => ({
    ...c,
    request: {
      ...c.request,
      messages: (c.request.messages as Json[]).map((m) => (m.role === 'tool' && typeof m.content === 'string' ? { ...m, content: JSON.parse(m.content) } : m)),
    },
    response: { ...c.response, model: ADK_MODEL },
  }));
}

/**
 * The triplets in the scenario's literal form for expectToolAgent, after checking ADK's own forms exactly: the system
 * message is ADK_SYSTEM, each tool result is `{result: "<value>"}`.
 */
function adkScenario(triplets: Triplet[]): Triplet[] {
  return triplets.map((t) => ({
    ...t,
    prompt: t.prompt.map((m) => {
      if (m.role === 'system') {
        expect(m.parts).toEqual([{ type: 'text', content: ADK_SYSTEM }]);
        return { ...m, parts: [{ type: 'text', content: TOOL_SYSTEM_PROMPT }] };
      }
      if (m.role === 'tool') {
        return {
          ...m,
          parts: m.parts.map((p) => {
            const r = (p as { response?: unknown }).response as { result?: unknown } | undefined;
            expect(r && Object.keys(r)).toEqual(['result']);
            return { ...p, response: r?.result };
          }),
        };
      }
      return m;
    }),
  })) as Triplet[];
}

const VARIANTS = [
  {
    name: 'content on the spans (schema 2, SPAN_ONLY), over OTLP/gRPC',
    key: 'span',
    protocol: 'grpc',
    env: { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'SPAN_ONLY' },
    // agent-run, invoke_workflow, invoke_agent, 3 × generate_content, 2 × execute_tool; one
    // gen_ai.client.inference.operation.details record per call (without content).
    spans: 8,
    logs: 3,
  },
  {
    name: 'content on log records (schema 2, EVENT_ONLY), over OTLP/HTTP protobuf (maybe_set_otel_providers)',
    key: 'event',
    protocol: 'http/protobuf',
    env: { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'EVENT_ONLY' },
    spans: 8,
    logs: 3,
  },
] as const;

describe('google-adk 2.13.0 (LlmAgent + LiteLlm, native OpenTelemetry tracing)', () => {
  let env: PythonInterop;
  let python: string;
  beforeAll(async () => {
    python = await pythonEnv('google-adk', requirements('google-adk'));
    env = await startPythonInterop();
  }, 900_000);
  afterAll(async () => {
    await env?.close();
  });

  for (const v of VARIANTS) {
    it(`calculator agent, ${v.name}, reward on the root span`, async () => {
      const rollout = rolloutId(`py-adk-${v.key}`);
      const service = `py-google-adk-${v.key}`;
      const run = await env.runAgent(python, SCRIPT, 'tools', {
        protocol: v.protocol,
        serviceName: service,
        env: { TRACELIGHT_ROLLOUT_ID: rollout, ...v.env },
      });
      await env.capture(`google-adk-${v.key}`, service, rollout, run);
      expect(run.result).toMatchObject({ reward: 1 });
      expect(run.result.answer).toContain('42');
      // calculator("3 + 4"), calculator("7 * 6"), the answer; unstreamed.
      expect(run.calls).toHaveLength(3);
      expect(run.calls.every((c) => !c.stream)).toBe(true);
      const transport = v.protocol === 'grpc' ? 'grpc' : 'http';
      expect(run.accepted.spans[transport]).toBe(v.spans);
      expect(run.accepted.logs[transport]).toBe(v.logs);
      const triplets = await env.triplets(rollout);
      // One triplet per inference call: none from the workflow, agent or tool spans.
      expect(triplets).toHaveLength(run.calls.length);
      expectTripletsMatchWire(triplets, adkWire(run.calls), {
        rollout,
        agent: AGENT,
        reward: { name: 'correct', value: 1 },
        compat: {
          id: `google-adk-${v.key}`,
          framework: 'Google ADK',
          version: 'google-adk 2.13.0',
          instrumentation: `native, content ${v.key === 'span' ? 'on spans' : 'in log records'}`,
          notes: 'model through LiteLlm; a tool-call turn reported as STOP is a tool_call',
        },
      });
      expectToolAgent(adkScenario(triplets));
      expect((await env.triplets(rollout, 'last-call')).map((t) => t.reward)).toEqual([null, null, 1]);
    });
  }
});
