// LangChain.js (@langchain/openai ChatOpenAI on @langchain/core) instrumented by @arizeai/openinference-
// instrumentation-langchain, exporting over OTLP/HTTP to a running tracelight.
//
// What it emits (4.1.1 over @langchain/core 1.4.0): a `ChatOpenAI` span per model call in the OpenInference
// convention (`openinference.span.kind = LLM`, `llm.input_messages.{i}.message.*` / `llm.output_messages.*` with
// tool calls as `.tool_calls.{k}.tool_call.function.{name,arguments}`, `llm.model_name`, `llm.token_count.*`,
// `llm.tools.*`, `llm.finish_reason`, `input.value` / `output.value` as LangChain-serialized JSON), and a `calculator`
// TOOL span per tool run. It records NO tool-call ids (neither on the assistant's tool calls nor as the tool
// message's `tool_call_id`), so the triplets' tool calls and results carry none. No log records.
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
  singleTurnConversation,
  startInterop,
  SYSTEM_PROMPT,
  TOOL_QUESTION,
  TOOL_SYSTEM_PROMPT,
  USER_QUESTION,
  wireText,
  wireToolCallIds,
  wireUsage,
  type InteropEnv,
} from '../harness.js';
import { recordCompat } from '../compat.js';

const SERVICE = 'langchain-app';
const MODEL = 'sim-small';

describe('LangChain.js + @arizeai/openinference-instrumentation-langchain', () => {
  let env: InteropEnv;
  let model: import('@langchain/openai').ChatOpenAI;
  let messages: typeof import('@langchain/core/messages');

  beforeAll(async () => {
    env = await startInterop({ serviceName: SERVICE });
    const { LangChainInstrumentation } = await import('@arizeai/openinference-instrumentation-langchain');
    // LangChain is instrumented through its callback manager module (the package's documented manual setup).
    const callbackManager = await import('@langchain/core/callbacks/manager');
    new LangChainInstrumentation({ tracerProvider: env.tracerProvider }).manuallyInstrument(callbackManager);
    const { ChatOpenAI } = await import('@langchain/openai');
    messages = await import('@langchain/core/messages');
    model = new ChatOpenAI({ model: MODEL, apiKey: 'unused', configuration: { baseURL: env.modelUrl } });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('(a) single-turn chat', async () => {
    const { out, wire } = await recordRollout(env, 'lc-single', () =>
      model.invoke([new messages.SystemMessage(SYSTEM_PROMPT), new messages.HumanMessage(USER_QUESTION)]),
    );
    await env.flush();
    const [t, ...more] = await getTriplets(env, 'lc-single');
    expect(more).toEqual([]);
    const expected = singleTurnConversation(wireText(wire[0]!));
    expect(out.content).toBe('Paris');
    expect(t!.prompt).toEqual(expected.prompt);
    expect(t!.response).toEqual(expected.response);
    expect(t!.usage).toEqual(wireUsage(wire[0]!));
    expect(t!.finish_reason).toBe('stop');
    expectRolloutFields([t!], { rollout: 'lc-single', agent: SERVICE, model: MODEL, reward: null });
  });

  it('(b) tool-calling loop (bindTools + ToolMessages): three calls, tool results between, final reward on every call', async () => {
    const { tool } = await import('@langchain/core/tools');
    const calculator = tool(async ({ expression }: { expression: string }) => calculate(expression), {
      name: 'calculator',
      description: CALCULATOR_DESCRIPTION,
      schema: z.object({ expression: z.string() }),
    });
    const withTools = model.bindTools([calculator]);
    const { out, wire } = await recordRollout(
      env,
      'lc-agent',
      async () => {
        const history: import('@langchain/core/messages').BaseMessage[] = [
          new messages.SystemMessage(TOOL_SYSTEM_PROMPT),
          new messages.HumanMessage(TOOL_QUESTION),
        ];
        for (let turn = 1; turn <= 6; turn++) {
          const reply = await withTools.invoke(history);
          history.push(reply);
          if (!reply.tool_calls?.length) return { answer: String(reply.content), calls: turn };
          for (const call of reply.tool_calls) history.push((await calculator.invoke(call)) as import('@langchain/core/messages').ToolMessage);
        }
        throw new Error('no answer after 6 turns');
      },
      REWARD,
    );
    await env.flush();
    expect(out.calls).toBe(3);
    expect(out.answer).toContain('42');
    const ts = await getTriplets(env, 'lc-agent');
    expect(ts).toHaveLength(3);
    // The flattened messages have no tool-call ids; the raw LangChain values in input.value / output.value do.
    const conv = calculatorConversation({ ids: wire.flatMap(wireToolCallIds), answer: wireText(wire[2]!), finish: [undefined, undefined, undefined] });
    expect(ts.map((t) => t.prompt)).toEqual(conv.prompts);
    expect(ts.map((t) => t.response)).toEqual(conv.responses);
    expect(ts.map((t) => t.usage)).toEqual(wire.map(wireUsage));
    expect(ts.map((t) => t.finish_reason)).toEqual(['tool_call', 'tool_call', 'stop']);
    expectRolloutFields(ts, { rollout: 'lc-agent', agent: SERVICE, model: MODEL, reward: 1 });
    recordCompat({
      id: 'ts-langchain',
      framework: 'LangChain.js',
      version: '@langchain/core 1.4.0',
      language: 'TypeScript',
      instrumentation: 'OpenInference (@arizeai/openinference-instrumentation-langchain 4.1.1)',
      content: true,
      toolCalls: true,
      usage: true,
      rewards: true,
      callCount: true,
    });
  });
});
