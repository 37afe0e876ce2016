// Strands Agents (strands-agents 1.62.0, AWS: its own agent loop and tool calling) with its native OpenTelemetry
// tracing (`StrandsTelemetry().setup_otlp_exporter()`), real packages from PyPI, exporting over OTLP to a real
// tracelight. The model is `strands.models.openai.OpenAIModel` (model_id sim-small, client_args base_url =
// OPENAI_BASE_URL) against the simulated model (not a real LLM); the tool a `@tool` calculator.
//
// Content capture is on by default (Strands has no switch for it; it only redacts on opt-in). Under the default
// conventions (no OTEL_SEMCONV_STABILITY_OPT_IN), one run of the calculator agent is 9 Strands spans, all
// SpanKind INTERNAL, scope strands.telemetry.tracer, with gen_ai.system = strands-agents, no logs:
//  - `invoke_agent <name>` (gen_ai.operation.name=invoke_agent, gen_ai.agent.name, gen_ai.agent.tools, the run's
//    summed gen_ai.usage.*);
//  - one `execute_event_loop_cycle` per model turn (gen_ai.operation.name=execute_event_loop_cycle,
//    event_loop.cycle_id / parent_cycle_id), and under each
//  - `chat` (gen_ai.operation.name=chat, gen_ai.request.model; no gen_ai.response.*), the inference call: the prompt
//    as span events gen_ai.system.message / gen_ai.user.message / gen_ai.assistant.message / gen_ai.tool.message,
//    each with a `content` attribute holding the JSON text of Bedrock Converse content blocks
//    (`[{"text": …}]`, `[{"toolUse": {toolUseId, name, input}}]`, `[{"toolResult": {toolUseId, status,
//    content: [{"text": "7"}]}}]`), and the response as a gen_ai.choice event with `message` (same block JSON) and
//    `finish_reason` as Strands/Bedrock name it: `tool_use` for a tool-call turn, `end_turn` for the answer
//    (tracelight's tool_call and stop);
//    usage gen_ai.usage.input_tokens / output_tokens (+ prompt_tokens, completion_tokens, total_tokens,
//    cache_read.input_tokens, cache_read_input_tokens);
//  - `execute_tool calculator` (gen_ai.operation.name=execute_tool, gen_ai.tool.name, gen_ai.tool.call.id,
//    gen_ai.tool.json_schema, gen_ai.tool.status; events gen_ai.tool.message {content: arguments JSON, id} and
//    gen_ai.choice {message: result blocks JSON, id}).
// So triplets = the chat spans only; the agent, cycle and tool spans (which carry message events too) must not
// become calls. The triplet's agent is the Agent's name (gen_ai.agent.name on the invoke_agent ancestor).
//
// On the wire, OpenAIModel sends the user message as a content-part array (`[{"type": "text", "text": …}]`) and,
// by default, streams (`stream: true`, stream_options.include_usage). The harness's wire expectation reads string
// content and unstreamed responses, so `chatWire` below folds both into that form (one text part ≡ that text; the
// stream's deltas ≡ the message they add up to) before comparing; nothing else is changed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonEnv } from '../../support/python-env.js';
import {
  chatWire,
  expectSingleTurn,
  expectToolAgent,
  expectTripletsMatchWire,
  requirements,
  rolloutId,
  startPythonInterop,
  type PythonInterop,
} from './harness.js';

const SCRIPT = 'strands_agent.py';
const SERVICE = 'py-strands';

describe('strands-agents 1.62.0 (native OpenTelemetry tracing, default GenAI conventions: Bedrock content blocks in span events)', () => {
  let env: PythonInterop;
  let python: string;
  beforeAll(async () => {
    python = await pythonEnv('strands', requirements('strands'));
    env = await startPythonInterop();
  }, 600_000);
  afterAll(async () => {
    await env?.close();
  });

  it('single turn, unstreamed (OpenAIModel stream=False), over OTLP/gRPC', async () => {
    const rollout = rolloutId('py-strands-single');
    const run = await env.runAgent(python, SCRIPT, 'single', {
      protocol: 'grpc',
      serviceName: SERVICE,
      env: { STRANDS_STREAM: '0', OTEL_RESOURCE_ATTRIBUTES: `tracelight.rollout.id=${rollout}` },
    });
    expect(run.result.answer).toBe('Paris');
    expect(run.calls).toHaveLength(1);
    expect(run.calls[0]?.stream).toBe(false);
    // invoke_agent, execute_event_loop_cycle, chat.
    expect(run.accepted.spans).toEqual({ grpc: 3, http: 0 });
    const triplets = await env.triplets(rollout);
    expect(triplets).toHaveLength(run.calls.length);
    expectSingleTurn(triplets);
    expectTripletsMatchWire(triplets, chatWire(run.calls), { rollout, agent: 'geography-tutor', reward: null });
  });

  it('tool agent, streamed (the provider default), over OTLP/HTTP protobuf (setup_otlp_exporter), reward on the root span', async () => {
    const rollout = rolloutId('py-strands-tools');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'http/protobuf',
      serviceName: SERVICE,
      env: { TRACELIGHT_ROLLOUT_ID: rollout },
    });
    expect(run.result).toMatchObject({ reward: 1 });
    expect(run.result.answer).toContain('42');
    expect(run.calls).toHaveLength(3);
    expect(run.calls.every((c) => c.stream)).toBe(true);
    // agent-run (the script's root), invoke_agent, 3 × execute_event_loop_cycle, 3 × chat, 2 × execute_tool.
    expect(run.accepted.spans).toEqual({ http: 10, grpc: 0 });
    expect(run.accepted.logs).toEqual({ http: 0, grpc: 0 });
    const triplets = await env.triplets(rollout);
    expect(triplets).toHaveLength(run.calls.length);
    expectToolAgent(triplets);
    expectTripletsMatchWire(triplets, chatWire(run.calls), {
      rollout,
      agent: 'calculator-agent',
      reward: { name: 'correct', value: 1 },
      compat: { id: 'strands', framework: 'Strands Agents', version: 'strands-agents 1.62.0', instrumentation: 'native (StrandsTelemetry)' },
    });
    expect((await env.triplets(rollout, 'last-call')).map((t) => t.reward)).toEqual([null, null, 1]);
  });

  it('tool agent, unstreamed (OpenAIModel stream=False), over OTLP/gRPC', async () => {
    const rollout = rolloutId('py-strands-tools-unstreamed');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'grpc',
      serviceName: SERVICE,
      env: { STRANDS_STREAM: '0', TRACELIGHT_ROLLOUT_ID: rollout },
    });
    expect(run.result).toMatchObject({ reward: 1 });
    expect(run.calls).toHaveLength(3);
    expect(run.calls.every((c) => !c.stream)).toBe(true);
    expect(run.accepted.spans).toEqual({ grpc: 10, http: 0 });
    const triplets = await env.triplets(rollout);
    expect(triplets).toHaveLength(run.calls.length);
    expectToolAgent(triplets);
    expectTripletsMatchWire(triplets, chatWire(run.calls), {
      rollout,
      agent: 'calculator-agent',
      reward: { name: 'correct', value: 1 },
    });
  });
});
