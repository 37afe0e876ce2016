// LangGraph.js (`@langchain/langgraph` prebuilt `createReactAgent` over @langchain/openai ChatOpenAI on
// @langchain/core) instrumented by @arizeai/openinference-instrumentation-langchain (the same manual setup as
// langchain.test.ts), exporting over OTLP/HTTP to a running tracelight.
//
// What it emits (@langchain/langgraph 1.7.3, @langchain/core 1.4.0, @langchain/openai 1.5.8, the instrumentation
// 4.1.1), all in the OpenInference convention (`openinference.span.kind`), every span with a `metadata` JSON
// (`langgraph_step`, `langgraph_node`, ...): a `LangGraph` CHAIN span for the graph run, a `__start__` CHAIN span,
// per model turn an `agent` CHAIN node span holding a `RunnableSequence` CHAIN with a `prompt` CHAIN (the system
// prompt prepended) and the `ChatOpenAI` LLM span, plus a `RunnableLambda` CHAIN (the routing: output.value `tools`
// or `__end__`); per tool turn a `tools` CHAIN node span holding a `calculator` TOOL span (`tool.name`, input.value
// the expression, output.value the serialized ToolMessage). Only the ChatOpenAI spans are LLM calls: flattened
// `llm.input_messages.{i}.message.{role,content}` / `llm.output_messages.*` with tool calls as
// `.tool_calls.{k}.tool_call.function.{name,arguments}` and NO tool-call ids (no `tool_call.id`, no
// `message.tool_call_id`), `llm.model_name`, `llm.token_count.{prompt,completion,total}`, `llm.finish_reason`
// (`tool_calls`, `stop`; span-level only, not per message), `llm.tools.{i}.tool.json_schema`,
// `llm.invocation_parameters`, and `input.value` / `output.value` as LangChain-serialized JSON (`{lc: 1, type:
// 'constructor', id: [..., 'AIMessage'], kwargs}`) that DO carry the ids (`kwargs.tool_calls[].id`,
// `kwargs.additional_kwargs.tool_calls[].id`, the ToolMessage's `kwargs.tool_call_id`). No log records. No span
// declares an agent name (no AGENT span kind), so the agent is service.name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  calculate,
  CALCULATOR_DESCRIPTION,
  calculatorConversation,
  expectRolloutFields,
  getTriplets,
  recordRollout,
  REWARD,
  startInterop,
  TOOL_QUESTION,
  TOOL_SYSTEM_PROMPT,
  wireText,
  wireToolCallIds,
  wireUsage,
  type InteropEnv,
} from '../harness.js';
import { recordCompat } from '../compat.js';

const SERVICE = 'langgraph-agent';
const MODEL = 'sim-small';

describe('LangGraph.js createReactAgent + @arizeai/openinference-instrumentation-langchain', () => {
  let env: InteropEnv;

  beforeAll(async () => {
    env = await startInterop({ serviceName: SERVICE });
    const { LangChainInstrumentation } = await import('@arizeai/openinference-instrumentation-langchain');
    const callbackManager = await import('@langchain/core/callbacks/manager');
    new LangChainInstrumentation({ tracerProvider: env.tracerProvider }).manuallyInstrument(callbackManager);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('createReactAgent with a calculator tool: three calls, tool results between, final reward on every call', async () => {
    env.memory.spans.reset();
    const { ChatOpenAI } = await import('@langchain/openai');
    const { tool } = await import('@langchain/core/tools');
    const { createReactAgent } = await import('@langchain/langgraph/prebuilt');
    const calculator = tool(async ({ expression }: { expression: string }) => calculate(expression), {
      name: 'calculator',
      description: CALCULATOR_DESCRIPTION,
      schema: z.object({ expression: z.string() }),
    });
    const llm = new ChatOpenAI({ model: MODEL, apiKey: 'unused', configuration: { baseURL: env.modelUrl } });
    const agent = createReactAgent({ llm, tools: [calculator], prompt: TOOL_SYSTEM_PROMPT });
    const { out, wire } = await recordRollout(env, 'lg-agent', () => agent.invoke({ messages: [{ role: 'user', content: TOOL_QUESTION }] }), REWARD);
    await env.flush();
    const last = out.messages[out.messages.length - 1]!;
    expect(String(last.content)).toContain('42');
    expect(wire).toHaveLength(3);
    const ts = await getTriplets(env, 'lg-agent');
    expect(ts).toHaveLength(wire.length); // one triplet per model request: no extra calls from graph/node/tool spans
    // The tool-call ids the model returned: the llm.* messages lack them, but the same LLM spans carry them in their
    // LangChain-serialized input.value / output.value, and a training triplet needs them to pair a call with its result.
    // The response message carries no finish reason: OpenInference reports llm.finish_reason for the span only.
    const conv = calculatorConversation({ ids: wire.flatMap(wireToolCallIds), answer: wireText(wire[2]!), finish: [undefined, undefined, undefined] });
    expect(ts.map((t) => t.prompt)).toEqual(conv.prompts);
    expect(ts.map((t) => t.response)).toEqual(conv.responses);
    expect(ts.map((t) => t.usage)).toEqual(wire.map(wireUsage));
    expect(ts.map((t) => t.finish_reason)).toEqual(['tool_call', 'tool_call', 'stop']);
    expectRolloutFields(ts, { rollout: 'lg-agent', agent: SERVICE, model: MODEL, reward: 1 });
    recordCompat({
      id: 'ts-langgraph',
      framework: 'LangGraph.js',
      version: '@langchain/langgraph 1.7.3',
      language: 'TypeScript',
      instrumentation: 'OpenInference (@arizeai/openinference-instrumentation-langchain 4.1.1)',
      content: true,
      toolCalls: true,
      usage: true,
      rewards: true,
      callCount: true,
    });
    const modelTurn = ['prompt', 'ChatOpenAI', 'RunnableSequence', 'RunnableLambda', 'agent'];
    expect(env.memory.spans.getFinishedSpans().map((s) => s.name)).toEqual([
      '__start__',
      ...modelTurn,
      'calculator',
      'tools',
      ...modelTurn,
      'calculator',
      'tools',
      ...modelTurn,
      'LangGraph',
      'agent-run',
    ]);
  });
});
