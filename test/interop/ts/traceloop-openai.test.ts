// The `openai` SDK instrumented by @traceloop/instrumentation-openai (OpenLLMetry JS), exporting over OTLP/HTTP to a
// running tracelight.
//
// What it emits (0.27.0): one span `chat {model}` per call in the CURRENT OTel GenAI convention, content on the span:
// `gen_ai.input.messages` / `gen_ai.output.messages` (JSON strings of {role, parts}), `gen_ai.tool.definitions`,
// `gen_ai.provider.name`, `gen_ai.operation.name`, usage, and finish reasons mapped to the semconv values
// (`tool_call`, `stop`). The older `gen_ai.prompt.{i}.*` attributes are no longer written. No log records.
// Not covered: its Responses API support, which records the whole `input` item array as one stringified user text
// and a tool-call output as an empty text part, so there is no conversation to check there.
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
  type InteropEnv,
} from '../harness.js';
import { calculatorAgent, MODEL, singleTurnChat } from './agents.js';
import { recordCompat } from '../compat.js';

const SERVICE = 'traceloop-agent';

describe('openai + @traceloop/instrumentation-openai (OTel GenAI messages on the span)', () => {
  let env: InteropEnv;
  let client: OpenAIClient;

  beforeAll(async () => {
    env = await startInterop({ serviceName: SERVICE });
    const { OpenAIInstrumentation } = await import('@traceloop/instrumentation-openai');
    const instrumentation = new OpenAIInstrumentation({ traceContent: true });
    instrumentation.setTracerProvider(env.tracerProvider);
    const { OpenAI } = await import('openai');
    instrumentation.manuallyInstrument(OpenAI);
    client = new OpenAI({ baseURL: env.modelUrl, apiKey: 'unused' });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('(a) single-turn chat', async () => {
    const { out, wire } = await recordRollout(env, 'tl-single', () => singleTurnChat(client));
    await env.flush();
    const [t, ...more] = await getTriplets(env, 'tl-single');
    expect(more).toEqual([]);
    const expected = singleTurnConversation(wireText(wire[0]!), 'stop');
    expect(out).toBe('Paris');
    expect(t!.prompt).toEqual(expected.prompt);
    expect(t!.response).toEqual(expected.response);
    expect(t!.usage).toEqual(wireUsage(wire[0]!));
    expect(t!.finish_reason).toBe('stop');
    expectRolloutFields([t!], { rollout: 'tl-single', agent: SERVICE, model: MODEL, reward: null });

    const span = env.memory.spans.getFinishedSpans().find((s) => s.spanContext().spanId === t!.span_id)!;
    expect(span.instrumentationScope.name).toBe('@traceloop/instrumentation-openai');
    expect(typeof span.attributes['gen_ai.input.messages']).toBe('string');
    expect(env.memory.logs.getFinishedLogRecords()).toEqual([]);
  });

  it('(a) single-turn chat, streamed (the instrumentation records no usage for streams)', async () => {
    const { out, wire } = await recordRollout(env, 'tl-stream', () => singleTurnChat(client, { stream: true }));
    await env.flush();
    const [t] = await getTriplets(env, 'tl-stream');
    const expected = singleTurnConversation(wireText(wire[0]!), 'stop');
    expect(out).toBe('Paris');
    expect(t!.prompt).toEqual(expected.prompt);
    expect(t!.response).toEqual(expected.response);
    expect(t!.usage).toEqual({ input_tokens: null, output_tokens: null });
    expectRolloutFields([t!], { rollout: 'tl-stream', agent: SERVICE, model: MODEL, reward: null });
  });

  it('(b) tool-using agent: three calls, tool results between, final reward on every call', async () => {
    const { out, wire } = await recordRollout(env, 'tl-agent', () => calculatorAgent(client), REWARD);
    await env.flush();
    expect(out.calls).toBe(3);
    expect(out.answer).toContain('42');
    const ts = await getTriplets(env, 'tl-agent');
    expect(ts).toHaveLength(3);
    const conv = calculatorConversation({ ids: wire.flatMap(wireToolCallIds), answer: wireText(wire[2]!), finish: ['tool_call', 'tool_call', 'stop'] });
    expect(ts.map((t) => t.prompt)).toEqual(conv.prompts);
    expect(ts.map((t) => t.response)).toEqual(conv.responses);
    expect(ts.map((t) => t.usage)).toEqual(wire.map(wireUsage));
    expect(ts.map((t) => t.finish_reason)).toEqual(['tool_call', 'tool_call', 'stop']);
    expectRolloutFields(ts, { rollout: 'tl-agent', agent: SERVICE, model: MODEL, reward: 1 });
    recordCompat({
      id: 'ts-traceloop-openai',
      framework: 'openai (plain client)',
      version: 'openai 6.49.0',
      language: 'TypeScript',
      instrumentation: 'OpenLLMetry (@traceloop/instrumentation-openai 0.27.0)',
      content: true,
      toolCalls: true,
      usage: true,
      rewards: true,
      callCount: true,
      notes: 'no usage on streamed calls (not recorded)',
    });
  });
});
