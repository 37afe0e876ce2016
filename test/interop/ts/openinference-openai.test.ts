// The `openai` SDK instrumented by @arizeai/openinference-instrumentation-openai, exporting over OTLP/HTTP to a
// running tracelight.
//
// What it emits (4.2.7): one span per call (`OpenAI Chat Completions` / `OpenAI Responses`) in the OpenInference
// convention, content on the span: `openinference.span.kind = LLM`, flattened `llm.input_messages.{i}.message.*`
// and `llm.output_messages.{i}.message.*` (tool calls as `.tool_calls.{k}.tool_call.{id,function.name,
// function.arguments}`, tool results with `.tool_call_id`; Responses output text as `.contents.{j}.message_content.*`),
// `llm.model_name`, `llm.token_count.*`, `llm.tools.{i}.tool.json_schema`, `llm.finish_reason` (Chat Completions
// only), raw `input.value` / `output.value`. Finish reasons are not put on the messages, and streamed calls carry no
// token counts. No log records.
import type { OpenAI as OpenAIClient } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  calculatorConversation,
  expectRolloutFields,
  getTriplets,
  recordRollout,
  REWARD,
  singleTurnConversation,
  startInterop,
  wireText,
  wireToolCallIds,
  wireUsage,
  USER_QUESTION,
  type InteropEnv,
} from '../harness.js';
import { calculatorAgent, calculatorAgentResponses, MODEL, singleTurnChat, singleTurnResponses } from './agents.js';
import { recordCompat } from '../compat.js';

const SERVICE = 'openinference-agent';

describe('openai + @arizeai/openinference-instrumentation-openai (OpenInference attributes on the span)', () => {
  let env: InteropEnv;
  let client: OpenAIClient;

  beforeAll(async () => {
    env = await startInterop({ serviceName: SERVICE });
    const { OpenAIInstrumentation } = await import('@arizeai/openinference-instrumentation-openai');
    const instrumentation = new OpenAIInstrumentation({ tracerProvider: env.tracerProvider });
    const { OpenAI } = await import('openai');
    instrumentation.manuallyInstrument(OpenAI);
    client = new OpenAI({ baseURL: env.modelUrl, apiKey: 'unused' });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('(a) single-turn chat', async () => {
    const { out, wire } = await recordRollout(env, 'oi-single', () => singleTurnChat(client));
    await env.flush();
    const [t, ...more] = await getTriplets(env, 'oi-single');
    expect(more).toEqual([]);
    // The flattened output message has no finish reason; the raw response in output.value does.
    const expected = singleTurnConversation(wireText(wire[0]!), 'stop');
    expect(out).toBe('Paris');
    expect(t!.prompt).toEqual(expected.prompt);
    expect(t!.response).toEqual(expected.response);
    expect(t!.usage).toEqual(wireUsage(wire[0]!));
    expect(t!.finish_reason).toBe('stop');
    expectRolloutFields([t!], { rollout: 'oi-single', agent: SERVICE, model: MODEL, reward: null });

    const span = env.memory.spans.getFinishedSpans().find((s) => s.spanContext().spanId === t!.span_id)!;
    expect(span.attributes['openinference.span.kind']).toBe('LLM');
    expect(span.attributes['llm.input_messages.1.message.content']).toBe(USER_QUESTION);
  });

  it('(a) single-turn chat, streamed (the instrumentation records no token counts for streams)', async () => {
    const { wire } = await recordRollout(env, 'oi-stream', () => singleTurnChat(client, { stream: true }));
    await env.flush();
    const [t] = await getTriplets(env, 'oi-stream');
    const expected = singleTurnConversation(wireText(wire[0]!));
    expect(t!.prompt).toEqual(expected.prompt);
    expect(t!.response).toEqual(expected.response);
    expect(t!.usage).toEqual({ input_tokens: null, output_tokens: null });
    expect(t!.finish_reason).toBe('stop');
    expectRolloutFields([t!], { rollout: 'oi-stream', agent: SERVICE, model: MODEL, reward: null });
  });

  it('(b) tool-using agent over Chat Completions: three calls, tool results between, final reward on every call', async () => {
    const { out, wire } = await recordRollout(env, 'oi-agent', () => calculatorAgent(client), REWARD);
    await env.flush();
    expect(out.calls).toBe(3);
    expect(out.answer).toContain('42');
    const ts = await getTriplets(env, 'oi-agent');
    expect(ts).toHaveLength(3);
    const conv = calculatorConversation({ ids: wire.flatMap(wireToolCallIds), answer: wireText(wire[2]!), finish: ['tool_call', 'tool_call', 'stop'] });
    expect(ts.map((t) => t.prompt)).toEqual(conv.prompts);
    expect(ts.map((t) => t.response)).toEqual(conv.responses);
    expect(ts.map((t) => t.usage)).toEqual(wire.map(wireUsage));
    expect(ts.map((t) => t.finish_reason)).toEqual(['tool_call', 'tool_call', 'stop']);
    expectRolloutFields(ts, { rollout: 'oi-agent', agent: SERVICE, model: MODEL, reward: 1 });
    recordCompat({
      id: 'ts-openinference-openai',
      framework: 'openai (plain client)',
      version: 'openai 6.49.0',
      language: 'TypeScript',
      instrumentation: 'OpenInference (@arizeai/openinference-instrumentation-openai 4.2.7)',
      content: true,
      toolCalls: true,
      usage: true,
      rewards: true,
      callCount: true,
      notes: 'no usage on streamed calls (not recorded)',
    });
  });

  it('(a) single turn over the Responses API (instructions as input message 0)', async () => {
    const { wire } = await recordRollout(env, 'oi-resp-single', () => singleTurnResponses(client));
    await env.flush();
    const [t] = await getTriplets(env, 'oi-resp-single');
    const expected = singleTurnConversation(wireText(wire[0]!));
    expect(t!.prompt).toEqual(expected.prompt);
    expect(t!.response).toEqual(expected.response);
    expect(t!.usage).toEqual(wireUsage(wire[0]!));
    expectRolloutFields([t!], { rollout: 'oi-resp-single', agent: SERVICE, model: MODEL, reward: null });
  });

  it('(b) tool-using agent over the Responses API', async () => {
    const { out, wire } = await recordRollout(env, 'oi-resp-agent', () => calculatorAgentResponses(client), REWARD);
    await env.flush();
    expect(out.calls).toBe(3);
    const ts = await getTriplets(env, 'oi-resp-agent');
    expect(ts).toHaveLength(3);
    const conv = calculatorConversation({ ids: wire.flatMap(wireToolCallIds), answer: wireText(wire[2]!), finish: [undefined, undefined, undefined] });
    expect(ts.map((t) => t.prompt)).toEqual(conv.prompts);
    expect(ts.map((t) => t.response)).toEqual(conv.responses);
    expect(ts.map((t) => t.usage)).toEqual(wire.map(wireUsage));
    expect(ts.map((t) => t.finish_reason)).toEqual([null, null, null]);
    expectRolloutFields(ts, { rollout: 'oi-resp-agent', agent: SERVICE, model: MODEL, reward: 1 });
  });
});
