// The `openai` SDK instrumented by @opentelemetry/instrumentation-openai (the OpenTelemetry contrib package), content
// capture on, exporting spans AND logs over OTLP/HTTP to a running tracelight.
//
// What it emits (0.22.0): one CLIENT span `chat {model}` per call with the OTel GenAI attributes (gen_ai.operation.name,
// gen_ai.system / gen_ai.provider.name, request/response model, usage, finish reasons) and NO content on the span.
// The content arrives as OTLP log records joined to the span by (trace id, span id):
//  - Chat Completions: the deprecated per-message events `gen_ai.system.message`, `gen_ai.user.message`,
//    `gen_ai.assistant.message`, `gen_ai.tool.message`, `gen_ai.choice` (name in the `event.name` attribute, content
//    in the body);
//  - Responses API: `gen_ai.client.inference.operation.details` records (OTLP event_name) with structured
//    `gen_ai.input.messages` / `gen_ai.output.messages`, while `instructions` ride on the span as
//    `gen_ai.system_instructions`.
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
import { calculatorAgent, calculatorAgentResponses, MODEL, singleTurnChat, singleTurnResponses } from './agents.js';
import { recordCompat } from '../compat.js';

const SERVICE = 'openai-otel-agent';

describe('openai + @opentelemetry/instrumentation-openai (content in OTLP log events)', () => {
  let env: InteropEnv;
  let client: OpenAIClient;

  beforeAll(async () => {
    env = await startInterop({ serviceName: SERVICE });
    const { metrics } = await import('@opentelemetry/api');
    const { OpenAIInstrumentation } = await import('@opentelemetry/instrumentation-openai');
    const instrumentation = new OpenAIInstrumentation({ captureMessageContent: true });
    instrumentation.setTracerProvider(env.tracerProvider);
    instrumentation.setLoggerProvider(env.loggerProvider);
    // Re-creates its metric instruments: without a meter provider set after construction, 0.22.0 throws at the end
    // of a streamed response (its class fields reset the instruments the base constructor made).
    instrumentation.setMeterProvider(metrics.getMeterProvider());
    // ESM: no require hook sees `openai`, so apply the instrumentation's own patch to the imported module.
    const openai = await import('openai');
    for (const def of instrumentation.getModuleDefinitions()) def.patch?.(openai, '6.49.0');
    client = new openai.OpenAI({ baseURL: env.modelUrl, apiKey: 'unused' });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('(a) single-turn chat: content from gen_ai.*.message / gen_ai.choice log events', async () => {
    const { out, wire } = await recordRollout(env, 'otel-single', () => singleTurnChat(client));
    await env.flush();
    expect(wire).toHaveLength(1);
    const [t] = await getTriplets(env, 'otel-single');
    const expected = singleTurnConversation(out, 'stop');
    expect(out).toBe(wireText(wire[0]!));
    expect(out).toBe('Paris');
    expect(t!.prompt).toEqual(expected.prompt);
    expect(t!.response).toEqual(expected.response);
    expect(t!.usage).toEqual(wireUsage(wire[0]!));
    expect(t!.finish_reason).toBe('stop');
    expectRolloutFields([t!], { rollout: 'otel-single', agent: SERVICE, model: MODEL, reward: null });

    // The content really came as log events: the span carries none.
    const span = env.memory.spans.getFinishedSpans().find((s) => s.spanContext().spanId === t!.span_id)!;
    expect(span.attributes['gen_ai.operation.name']).toBe('chat');
    expect(Object.keys(span.attributes).filter((k) => k.includes('messages') || k.includes('prompt'))).toEqual([]);
    const events = env.memory.logs.getFinishedLogRecords().filter((l) => l.spanContext?.spanId === t!.span_id);
    expect(events.map((l) => l.attributes['event.name'])).toEqual(['gen_ai.system.message', 'gen_ai.user.message', 'gen_ai.choice']);
  });

  it('(a) single-turn chat, streamed (usage from the include_usage chunk)', async () => {
    const { out, wire } = await recordRollout(env, 'otel-stream', () => singleTurnChat(client, { stream: true }));
    await env.flush();
    const [t, ...more] = await getTriplets(env, 'otel-stream');
    expect(more).toEqual([]);
    const expected = singleTurnConversation(wireText(wire[0]!), 'stop');
    expect(out).toBe('Paris');
    expect(t!.prompt).toEqual(expected.prompt);
    expect(t!.response).toEqual(expected.response);
    expect(t!.usage).toEqual(wireUsage(wire[0]!));
    expectRolloutFields([t!], { rollout: 'otel-stream', agent: SERVICE, model: MODEL, reward: null });
  });

  it('(b) tool-using agent over Chat Completions: three calls, tool results between, final reward on every call', async () => {
    const { out, wire } = await recordRollout(env, 'otel-agent', () => calculatorAgent(client), REWARD);
    await env.flush();
    expect(out.calls).toBe(3);
    expect(out.answer).toContain('42');
    const ts = await getTriplets(env, 'otel-agent');
    expect(ts).toHaveLength(3);
    const conv = calculatorConversation({ ids: wire.flatMap(wireToolCallIds), answer: wireText(wire[2]!), finish: ['tool_call', 'tool_call', 'stop'] });
    expect(ts.map((t) => t.prompt)).toEqual(conv.prompts);
    expect(ts.map((t) => t.response)).toEqual(conv.responses);
    expect(ts.map((t) => t.usage)).toEqual(wire.map(wireUsage));
    expect(ts.map((t) => t.finish_reason)).toEqual(['tool_call', 'tool_call', 'stop']);
    expectRolloutFields(ts, { rollout: 'otel-agent', agent: SERVICE, model: MODEL, reward: 1 });
    recordCompat({
      id: 'ts-openai-otel',
      framework: 'openai (plain client, Chat Completions and Responses)',
      version: 'openai 6.49.0',
      language: 'TypeScript',
      instrumentation: 'OTel (@opentelemetry/instrumentation-openai 0.22.0), content in log events',
      content: true,
      toolCalls: true,
      usage: true,
      rewards: true,
      callCount: true,
    });
  });

  it('(a) single turn over the Responses API: instructions on the span, messages in operation.details log records', async () => {
    const { out, wire } = await recordRollout(env, 'otel-resp-single', () => singleTurnResponses(client));
    await env.flush();
    const [t] = await getTriplets(env, 'otel-resp-single');
    const expected = singleTurnConversation(wireText(wire[0]!), 'stop');
    expect(out).toBe('Paris');
    expect(t!.prompt).toEqual(expected.prompt);
    expect(t!.response).toEqual(expected.response);
    expect(t!.usage).toEqual(wireUsage(wire[0]!));
    expectRolloutFields([t!], { rollout: 'otel-resp-single', agent: SERVICE, model: MODEL, reward: null });
  });

  it('(b) tool-using agent over the Responses API (function_call / function_call_output items)', async () => {
    const { out, wire } = await recordRollout(env, 'otel-resp-agent', () => calculatorAgentResponses(client), REWARD);
    await env.flush();
    expect(out.calls).toBe(3);
    const ts = await getTriplets(env, 'otel-resp-agent');
    expect(ts).toHaveLength(3);
    const conv = calculatorConversation({
      ids: wire.flatMap(wireToolCallIds),
      answer: wireText(wire[2]!),
      // The instrumentation gives a function_call_output the role "user"; a turn of tool results alone is a tool
      // message, as the chat API calls it. It reports "tool_call" / "stop".
      finish: ['tool_call', 'tool_call', 'stop'],
    });
    expect(ts.map((t) => t.prompt)).toEqual(conv.prompts);
    expect(ts.map((t) => t.response)).toEqual(conv.responses);
    expect(ts.map((t) => t.usage)).toEqual(wire.map(wireUsage));
    expectRolloutFields(ts, { rollout: 'otel-resp-agent', agent: SERVICE, model: MODEL, reward: 1 });
  });
});
