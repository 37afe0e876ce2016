// LlamaIndex (llama-index-core 0.14.25: the workflow `FunctionAgent`, its own agent loop and tool calling, a
// `FunctionTool` calculator) on `OpenAILike(model="sim-small", is_chat_model=True, is_function_calling_model=True)`
// (llama-index-llms-openai-like 0.8.1) against the simulated model (not a real LLM), real packages from PyPI, exporting
// over OTLP through a plain OTel SDK TracerProvider to a real tracelight. Traced two ways, both in one venv
// (requirements/llamaindex.txt), by llamaindex_agent.py with LLAMAINDEX_TRACING:
//
//  - openinference-instrumentation-llama-index 4.6.1 (Arize OpenInference; content on by default). It hooks
//    LlamaIndex's instrumentation dispatcher, so every dispatcher span becomes an OTel span, all SpanKind INTERNAL,
//    scope openinference.instrumentation.llama_index, with `openinference.span.kind` and input.value/output.value:
//    `FunctionAgent.run` and BaseWorkflowAgent.{init_run, setup_agent, run_agent_step, parse_agent_output, call_tool,
//    aggregate_tool_results} (CHAIN), per model call `OpenAILike._prepare_chat_with_tools` (openinference.span.kind
//    LLM, llm.model_name / llm.provider / llm.system = openai, but no messages, no usage), `FunctionTool.acall` (TOOL: tool.name, input.value {"kwargs": …}), and per model call TWO nested
//    LLM spans named `OpenAILike.achat` (unstreamed) or `OpenAILike.astream_chat` (streamed): LlamaIndex's
//    OpenAILike.achat calls OpenAI.achat, both dispatcher-decorated. The inner one carries the flattened
//    `llm.input_messages.<i>.message.{role,content,tool_calls.<j>.tool_call.{id,function.name,function.arguments},
//    tool_call_id}` / `llm.output_messages.0.message.*`, `llm.finish_reason` (OpenAI's `tool_calls` / `stop`, span
//    level only), `llm.token_count.{prompt,completion,total,prompt_details.*,completion_details.*}` (unstreamed
//    only: LlamaIndex does not ask a stream for usage); the outer one the same request attributes
//    (llm.model_name, llm.invocation_parameters, llm.tools.*, input.value) but no messages, only output.value.
//    No span names an agent, so the triplets' agent is the service name.
//  - opentelemetry-instrumentation-llamaindex 0.62.4 (Traceloop OpenLLMetry; TRACELOOP_TRACE_CONTENT=true). Same
//    dispatcher spans, named `<Class>.task` (traceloop.span.kind=task, traceloop.entity.name/input/output as JSON of
//    LlamaIndex's objects) under `FunctionAgent.workflow` (traceloop.span.kind=workflow); per model call three
//    `OpenAILike.task` spans (_prepare_chat_with_tools, the outer and the inner achat), the inner one with
//    gen_ai.operation.name=chat, gen_ai.provider.name=openailike, gen_ai.request.model (None: a string "None"),
//    gen_ai.response.model, gen_ai.input.messages / gen_ai.output.messages (JSON, OTel GenAI parts),
//    gen_ai.response.finish_reasons (["tool_call"] / ["stop"]), gen_ai.usage.{input,output,total}_tokens,
//    gen_ai.usage.cache_read.input_tokens. Its message builder reads tool calls from
//    `ChatMessage.additional_kwargs["tool_calls"]` only when they are dicts; llama-index-llms-openai stores the
//    openai client's ChatCompletionMessageToolCall objects there, so every assistant tool-call turn is written with
//    `parts: []` (the calls survive only inside traceloop.entity.output).
//
// Only the model calls are inference: the triplets must be exactly the requests the model served, one each, no
// duplicate from the outer LLM span, none from _prepare_chat_with_tools, the agent, step or tool spans.
//
// FunctionAgent streams by default (`stream: true`); `chatWire` below folds a streamed exchange into the
// chat.completion it adds up to (as strands.test.ts does) so the harness's wire expectation reads it.

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

const SCRIPT = 'llamaindex_agent.py';

let env: PythonInterop;
let python: string;

beforeAll(async () => {
  python = await pythonEnv('llamaindex', requirements('llamaindex'));
  env = await startPythonInterop();
}, 600_000);
afterAll(async () => {
  await env?.close();
});

describe('llama-index-core 0.14.25 FunctionAgent + openinference-instrumentation-llama-index 4.6.1 (OpenInference)', () => {
  const SERVICE = 'py-llamaindex-openinference';
  // `llm.finish_reason` is span-level only (as in every OpenInference instrumentation): the response message has none.
  const finish = { messageFinish: false };

  it('single turn, unstreamed, over OTLP/gRPC', async () => {
    const rollout = rolloutId('py-li-oi-single');
    const run = await env.runAgent(python, SCRIPT, 'single', {
      protocol: 'grpc',
      serviceName: SERVICE,
      env: { LLAMAINDEX_TRACING: 'openinference', LLAMAINDEX_STREAM: '0', OTEL_RESOURCE_ATTRIBUTES: `tracelight.rollout.id=${rollout}` },
    });
    await env.capture('llamaindex-openinference-single', SERVICE, rollout, run);
    expect(run.result.answer).toBe('Paris');
    expect(run.calls).toHaveLength(1);
    // FunctionAgent.run, init_run, setup_agent, run_agent_step, _prepare_chat_with_tools, 2 × OpenAILike.achat,
    // parse_agent_output.
    expect(run.accepted.spans).toEqual({ grpc: 8, http: 0 });
    const triplets = await env.triplets(rollout);
    expect(triplets).toHaveLength(run.calls.length);
    expectSingleTurn(triplets, false);
    expectTripletsMatchWire(triplets, run.calls, { rollout, agent: SERVICE, reward: null, ...finish });
  });

  it('calculator agent, unstreamed, over OTLP/HTTP protobuf, reward on the root span', async () => {
    const rollout = rolloutId('py-li-oi-tools');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'http/protobuf',
      serviceName: SERVICE,
      env: { LLAMAINDEX_TRACING: 'openinference', LLAMAINDEX_STREAM: '0', TRACELIGHT_ROLLOUT_ID: rollout },
    });
    await env.capture('llamaindex-openinference', SERVICE, rollout, run);
    expect(run.result).toMatchObject({ reward: 1 });
    expect(run.result.answer).toContain('42');
    // Three generation requests: calculator("3 + 4"), calculator("7 * 6"), the answer.
    expect(run.calls).toHaveLength(3);
    expect(run.calls.every((c) => !c.stream)).toBe(true);
    // agent-run + FunctionAgent.run + init_run + 3 × (setup_agent, run_agent_step, _prepare_chat_with_tools,
    // 2 × OpenAILike.achat, parse_agent_output) + 2 × (call_tool, FunctionTool.acall, aggregate_tool_results).
    expect(run.accepted.spans).toEqual({ http: 27, grpc: 0 });
    expect(run.accepted.logs).toEqual({ http: 0, grpc: 0 });
    const triplets = await env.triplets(rollout);
    // One triplet per inference call: no extra "calls" from the outer LLM span, the agent, step or tool spans.
    expect(triplets).toHaveLength(run.calls.length);
    expectToolAgent(triplets);
    expectTripletsMatchWire(triplets, run.calls, {
      rollout,
      agent: SERVICE,
      reward: { name: 'correct', value: 1 },
      ...finish,
      compat: {
        id: 'llamaindex-openinference',
        framework: 'LlamaIndex',
        version: 'llama-index-core 0.14.25',
        instrumentation: 'OpenInference (openinference-instrumentation-llama-index 4.6.1)',
      },
    });
    expect((await env.triplets(rollout, 'last-call')).map((t) => t.reward)).toEqual([null, null, 1]);
  });

  it('calculator agent, streamed (the FunctionAgent default), over OTLP/gRPC', async () => {
    const rollout = rolloutId('py-li-oi-tools-stream');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'grpc',
      serviceName: SERVICE,
      env: { LLAMAINDEX_TRACING: 'openinference', TRACELIGHT_ROLLOUT_ID: rollout },
    });
    await env.capture('llamaindex-openinference-stream', SERVICE, rollout, run);
    expect(run.result).toMatchObject({ reward: 1 });
    expect(run.calls).toHaveLength(3);
    expect(run.calls.every((c) => c.stream)).toBe(true);
    // As unstreamed, with OpenAILike.astream_chat for OpenAILike.achat.
    expect(run.accepted.spans).toEqual({ grpc: 27, http: 0 });
    const triplets = await env.triplets(rollout);
    expect(triplets).toHaveLength(run.calls.length);
    expectToolAgent(triplets);
    expectTripletsMatchWire(triplets, chatWire(run.calls), { rollout, agent: SERVICE, reward: { name: 'correct', value: 1 }, ...finish });
  });
});
