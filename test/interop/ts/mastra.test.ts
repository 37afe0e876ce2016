// Mastra (`@mastra/core` Agent with a `createTool` calculator, the model Mastra's built-in OpenAI-compatible provider
// — `{providerId, modelId, url, apiKey, api: 'chat'}` — at the simulated model) with Mastra's own observability:
// `@mastra/observability` with an `@mastra/otel-exporter` OtelExporter (the `custom` provider, OTLP/HTTP protobuf)
// that converts Mastra's spans to OpenTelemetry spans and exports them with its own tracer provider, through the
// OTLP recording proxy, to a running tracelight. The run is tied to the test's `agent-run` root span (which declares
// the rollout) with Mastra's documented `tracingOptions.traceId` / `parentSpanId`.
//
// What it emits (@mastra/core 1.71.0, @mastra/observability 1.17.9, @mastra/otel-exporter 1.4.0), scope
// `@mastra/otel-exporter`, resource service.name = the config's serviceName, every span with `gen_ai.operation.name`,
// `mastra.span.type` and `mastra.metadata.*` (runId, environment): an `invoke_agent calculator-agent` span (agent_run:
// `gen_ai.agent.id` / `.name`, `gen_ai.system_instructions`, `gen_ai.tool.definitions` = `["calculator"]`,
// `mastra.agent_run.input` / `.output`), a `model_generation sim-small` span (the loop: `mastra.model_generation.input`
// / `.output`), per model turn an `agent_step calculator-agent` span (model_step: `mastra.model_step.input`, a shallow
// preview with tool calls / results as `[tool: calculator]` / `[tool-result: calculator]`, `mastra.model_step.output`
// `{text, toolCalls: [{toolCallId, toolName, args}]}`, the raw provider response as `mastra.metadata.body`) holding the
// `chat sim-small` span (model_inference, SpanKind CLIENT: `gen_ai.request.model`, `gen_ai.provider.name`
// (`simulated`), `gen_ai.agent.*`, `gen_ai.output.messages` = the step's text only, NO `gen_ai.input.messages`,
// `gen_ai.response.finish_reasons` as a JSON string (`["tool-calls"]`, `["stop"]`), `gen_ai.response.model`,
// `gen_ai.usage.input_tokens` / `output_tokens` / `reasoning_tokens` (0) / `cache_read.input_tokens` (0)) with
// `model_chunk calculator-agent` children (`mastra.model_chunk.output`: the tool call with its id, or the text), and
// per tool run an `execute_tool calculator` span (`gen_ai.tool.name` / `.description` / `.type`, `gen_ai.tool.call.id`
// / `.arguments` / `.result`). Only the `chat` spans are LLM calls. No log records. Mastra's requests here are not
// streamed. Mastra's PostHog usage telemetry is turned off with MASTRA_TELEMETRY_DISABLED=1.
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeTracesProto } from '../../../receiver/codec/index.js';
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

/**
 * Mastra exports with its own tracer provider, so its spans are not in the harness's in-memory exporter: with
 * TL_INTEROP_DUMP set, print them from the OTLP export requests the recording proxy saw.
 */
function dumpMastraExports(env: InteropEnv): void {
  if (!process.env.TL_INTEROP_DUMP) return;
  const show = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  for (const e of env.otlp.exchanges) {
    if (!e.path.startsWith('/v1/traces')) continue;
    for (const s of decodeTracesProto(e.body).items) {
      if (s.scope.name === 'tracelight-interop-test') continue;
      console.log(`MASTRA SPAN ${s.name} [${s.spanId} ← ${s.parentSpanId}] scope=${s.scope.name} kind=${s.kind} resource=${show(s.resource)}`);
      for (const [k, v] of Object.entries(s.attributes)) console.log(`   ${k} = ${show(v)}`);
      for (const ev of s.events) console.log(`   EVENT ${ev.name} ${show(ev.attributes)}`);
    }
  }
}

const SERVICE = 'mastra-app';
const MODEL = 'sim-small';

describe('Mastra Agent + @mastra/otel-exporter', () => {
  let env: InteropEnv;
  let mastra: import('@mastra/core/mastra').Mastra;
  let observability: import('@mastra/observability').Observability;

  beforeAll(async () => {
    process.env.MASTRA_TELEMETRY_DISABLED = '1'; // Mastra's own usage telemetry (PostHog): off
    env = await startInterop({ serviceName: SERVICE });
    const { Mastra } = await import('@mastra/core/mastra');
    const { Agent } = await import('@mastra/core/agent');
    const { createTool } = await import('@mastra/core/tools');
    const { Observability } = await import('@mastra/observability');
    const { OtelExporter } = await import('@mastra/otel-exporter');
    const calculator = createTool({
      id: 'calculator',
      description: CALCULATOR_DESCRIPTION,
      inputSchema: z.object({ expression: z.string() }),
      execute: async ({ expression }) => calculate(expression),
    });
    // Mastra's own OpenAI-compatible model config (a custom url, Chat Completions). An @ai-sdk/openai-compatible
    // 3.0.92 model instance runs as well but does not typecheck against @mastra/core 1.71.0, whose LanguageModelV4
    // type comes from its pinned @ai-sdk/provider 4.0.17.
    const model = { providerId: 'simulated', modelId: MODEL, url: env.modelUrl, apiKey: 'unused', api: 'chat' as const };
    const agent = new Agent({ id: 'calculator-agent', name: 'calculator-agent', instructions: TOOL_SYSTEM_PROMPT, model, tools: { calculator } });
    observability = new Observability({
      configs: {
        otel: {
          serviceName: SERVICE,
          exporters: [new OtelExporter({ provider: { custom: { endpoint: env.otlp.url, protocol: 'http/protobuf' } } })],
        },
      },
    });
    mastra = new Mastra({ agents: { calculatorAgent: agent }, observability });
  });
  afterAll(async () => {
    await observability?.shutdown();
    await env?.close();
  });

  it('Agent.generate with a calculator tool: three calls, tool results between, final reward on every call', async () => {
    const agent = mastra.getAgent('calculatorAgent');
    const since = env.otlp.exchanges.length;
    const { out, wire } = await recordRollout(
      env,
      'mastra-agent',
      () => {
        const root = trace.getActiveSpan()!.spanContext();
        return agent.generate(TOOL_QUESTION, { maxSteps: 6, tracingOptions: { traceId: root.traceId, parentSpanId: root.spanId } });
      },
      REWARD,
    );
    // Mastra's spans go through its observability bus to its own exporter: drain both, then the harness's.
    await observability.getDefaultInstance()!.flush();
    await env.flush();
    dumpMastraExports(env);
    expect(out.text).toContain('42');
    expect(wire).toHaveLength(3);
    expect(wire.map((c) => c.stream)).toEqual([false, false, false]);
    const ts = await getTriplets(env, 'mastra-agent');
    expect(ts).toHaveLength(wire.length); // one triplet per model request: no extra calls from agent/step/chunk/tool spans

    // What the `chat` spans carry, field by field. Mastra legitimately reports less there than went over the wire:
    //  - no gen_ai.input.messages at all (its MODEL_INFERENCE span gets no input; the parent `agent_step` span has only
    //    a "shallow conversation preview" with tool calls and results replaced by `[tool: calculator]` /
    //    `[tool-result: calculator]`), so the prompts are empty;
    //  - gen_ai.output.messages is built from the step output's `text` only, so a tool-call turn is an empty text
    //    part, without the tool call (that is on the child `model_chunk` spans and the step span's output);
    //  - no finish_reason on the output message (gen_ai.response.finish_reasons on the span only).
    const conv = calculatorConversation({ ids: wire.flatMap(wireToolCallIds), answer: wireText(wire[2]!), finish: [undefined, undefined, undefined] });
    expect(ts.map((t) => t.prompt)).toEqual([[], [], []]);
    // (the empty text part it records for a tool-call turn is dropped, as an empty content is everywhere)
    const empty = { role: 'assistant', parts: [] };
    expect(ts.map((t) => t.response)).toEqual([empty, empty, conv.responses[2]]);
    expect(ts.map((t) => t.usage)).toEqual(wire.map(wireUsage));
    // gen_ai.response.finish_reasons is the JSON string '["tool-calls"]' / '["stop"]' (AI SDK vocabulary).
    expect(ts.map((t) => t.finish_reason)).toEqual(['tool_call', 'tool_call', 'stop']);
    // The agent is the one the chat spans name (gen_ai.agent.name), not service.name.
    expectRolloutFields(ts, { rollout: 'mastra-agent', agent: 'calculator-agent', model: MODEL, reward: 1 });
    recordCompat({
      id: 'ts-mastra',
      framework: 'Mastra',
      version: '@mastra/core 1.71.0',
      language: 'TypeScript',
      instrumentation: 'native (@mastra/otel-exporter 1.4.0)',
      content: false,
      toolCalls: false,
      usage: true,
      rewards: true,
      callCount: true,
      notes: "its chat spans carry no prompt and only the reply text; the tool calls are on Mastra's own step spans",
    });

    const exported = env.otlp.exchanges
      .slice(since)
      .filter((e) => e.path.startsWith('/v1/traces'))
      .flatMap((e) => decodeTracesProto(e.body).items)
      .filter((sp) => sp.scope.name === '@mastra/otel-exporter');
    expect(exported.map((sp) => sp.name).sort()).toEqual(
      [
        'invoke_agent calculator-agent',
        'model_generation sim-small',
        ...Array<string>(3).fill('agent_step calculator-agent'),
        ...Array<string>(3).fill('chat sim-small'),
        ...Array<string>(5).fill('model_chunk calculator-agent'),
        ...Array<string>(2).fill('execute_tool calculator'),
      ].sort(),
    );
    // The whole Mastra trace hangs under the test's root span.
    const root = env.memory.spans.getFinishedSpans().find((sp) => sp.name === 'agent-run')!;
    expect(new Set(exported.map((sp) => sp.traceId))).toEqual(new Set([root.spanContext().traceId]));
    expect(exported.find((sp) => sp.name === 'invoke_agent calculator-agent')!.parentSpanId).toBe(root.spanContext().spanId);
  });
});
