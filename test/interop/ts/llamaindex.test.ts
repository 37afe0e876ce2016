// LlamaIndex.TS (`llamaindex` + `@llamaindex/openai` OpenAI LLM at the simulated model, the `@llamaindex/workflow`
// `agent()` FunctionAgent workflow with a `tool()` calculator) instrumented by OpenLLMetry's
// `@traceloop/instrumentation-llamaindex` (OpenInference has no LlamaIndex.TS instrumentation on npm), through the
// package's documented manual setup (manuallyInstrument with the llamaindex and @llamaindex/openai modules: ESM
// imports bypass the require hook), exporting over OTLP/HTTP to a running tracelight.
//
// What it emits (instrumentation 0.27.0 over llamaindex 0.12.1, @llamaindex/openai 0.4.22, @llamaindex/workflow
// 1.1.24): per OpenAI.chat call one `chat sim-small` CLIENT span in the OTel GenAI convention (`gen_ai.operation.name
// = chat`, `gen_ai.provider.name = openai`, `gen_ai.request.model`, `gen_ai.request.temperature` / `top_p`,
// `gen_ai.input.messages` / `gen_ai.output.messages` as JSON parts, `gen_ai.response.id` / `.model`,
// `gen_ai.response.finish_reasons` (`["tool_call"]`, `["stop"]`), `gen_ai.usage.input_tokens` / `output_tokens` /
// `total_tokens`); for the legacy OpenAIAgent an `open_ai_agent.agent` span around them (`traceloop.span.kind =
// agent`, `traceloop.entity.input` / `.output`). No workflow, agent-step or tool spans for the `agent()` workflow, no
// tool spans at all, no log records. The messages are LlamaIndex ChatMessages rendered as text only: an assistant's
// tool calls (`options.toolCall`) are dropped (an empty text part), a tool result is LlamaIndex's `user` message with
// the result as text (its `options.toolResult` id dropped), and the output message of a tool-call turn is an empty
// text part. Streamed (the workflow agent always streams): the output is the concatenated text deltas, and with
// include_usage the finish reason is lost (read from the last chunk, the usage chunk, which has no choices:
// `finish_reason: ""` on the message, no gen_ai.response.finish_reasons). So the triplets cannot carry the tool
// calls, their ids, or the tool role: the test asserts exactly what the spans carry, and checks separately that the
// wire had them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Message } from '../../../schemas/genai.js';
import {
  calculate,
  CALCULATOR_DESCRIPTION,
  expectRolloutFields,
  getTriplets,
  recordRollout,
  REWARD,
  startInterop,
  text,
  TOOL_QUESTION,
  TOOL_SYSTEM_PROMPT,
  wireText,
  wireToolCallIds,
  wireUsage,
  type InteropEnv,
  type ModelCall,
} from '../harness.js';
import { recordCompat } from '../compat.js';

const SERVICE = 'llamaindex-agent';
const MODEL = 'sim-small';

/**
 * The calculator conversation as this instrumentation reports it (see the top comment): an assistant tool-call turn
 * is an empty text part (the tool calls in LlamaIndex's `options.toolCall` are dropped), a tool result is a `user`
 * text message (LlamaIndex's own role for it; the ids in `options.toolResult` are dropped).
 */
function reportedConversation(answer: string, finish: Array<string | undefined>): { prompts: Message[][]; responses: Message[] } {
  const sys = text('system', TOOL_SYSTEM_PROMPT);
  const user = text('user', TOOL_QUESTION);
  // The empty text the instrumentation records for the turn is dropped: a turn with nothing in it.
  const call: Message = { role: 'assistant', parts: [] };
  const withFinish = (m: Message, f: string | undefined): Message => (f ? { ...m, finish_reason: f } : m);
  return {
    prompts: [
      [sys, user],
      [sys, user, call, text('user', '7')],
      [sys, user, call, text('user', '7'), call, text('user', '42')],
    ],
    responses: [withFinish(call, finish[0]), withFinish(call, finish[1]), withFinish(text('assistant', answer), finish[2])],
  };
}

/** What really went over the wire: the tool calls with their ids, and the results as `tool` messages. */
function expectWireToolLoop(wire: ModelCall[]): void {
  expect(wire).toHaveLength(3);
  const ids = wire.flatMap(wireToolCallIds);
  expect(ids).toHaveLength(2);
  const last = wire[2]!.request.messages as Array<{ role: string; tool_call_id?: string; tool_calls?: Array<{ id: string }> }>;
  expect(last.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'tool']);
  expect([last[2]!.tool_calls?.[0]?.id, last[3]!.tool_call_id, last[4]!.tool_calls?.[0]?.id, last[5]!.tool_call_id]).toEqual([ids[0], ids[0], ids[1], ids[1]]);
}

describe('LlamaIndex.TS + @traceloop/instrumentation-llamaindex', () => {
  let env: InteropEnv;
  let llamaindex: typeof import('llamaindex');
  const calculatorTool = () =>
    llamaindex.tool({
      name: 'calculator',
      description: CALCULATOR_DESCRIPTION,
      parameters: z.object({ expression: z.string() }),
      execute: ({ expression }) => calculate(expression),
    });

  beforeAll(async () => {
    env = await startInterop({ serviceName: SERVICE });
    const { LlamaIndexInstrumentation } = await import('@traceloop/instrumentation-llamaindex');
    llamaindex = await import('llamaindex');
    const openaiModule = await import('@llamaindex/openai');
    // traceContent: the instrumentation's content capture (on by default; set explicitly).
    const instrumentation = new LlamaIndexInstrumentation({ traceContent: true });
    instrumentation.setTracerProvider(env.tracerProvider);
    // The cast: the instrumentation's CommonJS typings see llamaindex's .d.cts declarations, this ESM import its
    // .d.ts ones (same classes, declared twice). At run time it patches the ESM classes this test uses.
    type LlamaIndexModule = Parameters<typeof instrumentation.manuallyInstrument>[0];
    instrumentation.manuallyInstrument(llamaindex as unknown as LlamaIndexModule, openaiModule);
  });
  afterAll(async () => {
    await env?.close();
  });

  const spanNames = (): string[] => env.memory.spans.getFinishedSpans().map((sp) => sp.name);

  it('(a) the agent() workflow (streamed calls): three calls, one triplet each, final reward on every call', async () => {
    env.memory.spans.reset();
    const { OpenAI } = await import('@llamaindex/openai');
    const { agent } = await import('@llamaindex/workflow');
    // The workflow agent streams every call; include_usage makes the model report usage in the stream's last chunk.
    const llm = new OpenAI({ model: MODEL, apiKey: 'unused', baseURL: env.modelUrl, additionalChatOptions: { stream_options: { include_usage: true } } });
    const calculatorAgent = agent({ name: 'calculator-agent', llm, tools: [calculatorTool()], systemPrompt: TOOL_SYSTEM_PROMPT });
    const { out, wire } = await recordRollout(env, 'li-workflow', () => calculatorAgent.run(TOOL_QUESTION), REWARD);
    await env.flush();
    expect(out.data.result).toContain('42');
    expect(wire.map((c) => c.stream)).toEqual([true, true, true]);
    expectWireToolLoop(wire);
    const ts = await getTriplets(env, 'li-workflow');
    expect(ts).toHaveLength(wire.length); // one triplet per model request
    // No finish reasons: the instrumentation reads finish_reason from the stream's last chunk, which (with
    // include_usage) is the usage chunk without choices; it writes finish_reason "" on the output message.
    const conv = reportedConversation(wireText(wire[2]!), [undefined, undefined, undefined]);
    expect(ts.map((t) => t.prompt)).toEqual(conv.prompts);
    expect(ts.map((t) => t.response)).toEqual(conv.responses);
    expect(ts.map((t) => t.usage)).toEqual(wire.map(wireUsage));
    expect(ts.map((t) => t.finish_reason)).toEqual([null, null, null]);
    expectRolloutFields(ts, { rollout: 'li-workflow', agent: SERVICE, model: MODEL, reward: 1 });
    // Only the LLM calls are traced: no workflow, agent or tool spans.
    expect(spanNames()).toEqual(['chat sim-small', 'chat sim-small', 'chat sim-small', 'agent-run']);
  });

  it('(b) OpenAIAgent (non-streamed calls): three calls under the agent span, final reward on every call', async () => {
    env.memory.spans.reset();
    const { OpenAI, OpenAIAgent } = await import('@llamaindex/openai');
    const llm = new OpenAI({ model: MODEL, apiKey: 'unused', baseURL: env.modelUrl });
    const calculatorAgent = new OpenAIAgent({ llm, tools: [calculatorTool()], systemPrompt: TOOL_SYSTEM_PROMPT });
    const { out, wire } = await recordRollout(env, 'li-openai-agent', () => calculatorAgent.chat({ message: TOOL_QUESTION }), REWARD);
    await env.flush();
    expect(String(out.message.content)).toContain('42');
    expect(wire.map((c) => c.stream)).toEqual([false, false, false]);
    expectWireToolLoop(wire);
    const ts = await getTriplets(env, 'li-openai-agent');
    expect(ts).toHaveLength(wire.length); // one triplet per model request: the agent span is no call
    const conv = reportedConversation(wireText(wire[2]!), ['tool_call', 'tool_call', 'stop']);
    expect(ts.map((t) => t.prompt)).toEqual(conv.prompts);
    expect(ts.map((t) => t.response)).toEqual(conv.responses);
    expect(ts.map((t) => t.usage)).toEqual(wire.map(wireUsage));
    expect(ts.map((t) => t.finish_reason)).toEqual(['tool_call', 'tool_call', 'stop']);
    expectRolloutFields(ts, { rollout: 'li-openai-agent', agent: SERVICE, model: MODEL, reward: 1 });
    recordCompat({
      id: 'ts-llamaindex',
      framework: 'LlamaIndex.TS',
      version: 'llamaindex 0.12.1',
      language: 'TypeScript',
      instrumentation: 'OpenLLMetry (@traceloop/instrumentation-llamaindex 0.27.0)',
      content: true,
      toolCalls: false,
      usage: true,
      rewards: true,
      callCount: true,
      notes: 'the instrumentation records text only: no tool calls or ids, tool results as user text; streamed calls lose the finish reason',
    });
    expect(spanNames()).toEqual(['chat sim-small', 'chat sim-small', 'chat sim-small', 'open_ai_agent.agent', 'agent-run']);
  });
});
