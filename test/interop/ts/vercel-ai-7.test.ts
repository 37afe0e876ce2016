// The Vercel AI SDK 7 (`ai@7`, installed under the npm alias `ai-v7` beside the suite's `ai@6`) with its v7
// telemetry: the `@ai-sdk/otel` OpenTelemetry integration registered once with `registerTelemetry(new
// OpenTelemetry())` (telemetry is on by default once an integration is registered; inputs and outputs are recorded
// by default), the model through `@ai-sdk/openai-compatible` (Chat Completions) at the simulated model, reporting
// through the global OpenTelemetry tracer provider over OTLP/HTTP to a running tracelight.
//
// What it emits (ai 7.0.173, @ai-sdk/otel 1.0.173): unlike ai@6's `ai.*` attributes, the OTel GenAI semantic
// conventions, tracer `gen_ai`. Per generateText an `invoke_agent sim-small` span (`gen_ai.operation.name =
// invoke_agent`, `gen_ai.agent.name` = the call's `telemetry.functionId`, whole-call `gen_ai.input.messages` /
// `gen_ai.output.messages`, summed usage), per step a `step N` span (`gen_ai.operation.name = agent_step`, nothing
// else), and per provider request a `chat sim-small` span (`gen_ai.operation.name = chat`, `gen_ai.provider.name`, `gen_ai.request.model`,
// `gen_ai.system_instructions`, `gen_ai.input.messages` / `gen_ai.output.messages` as JSON in the semconv message
// shape — `tool_call` parts with `id` / `name` / `arguments`, `tool_call_response` parts with `id` / `response` —,
// `gen_ai.tool.definitions`, `gen_ai.response.finish_reasons` (`["tool_call"]`, `["stop"]`), `gen_ai.response.id` /
// `.model`, `gen_ai.usage.input_tokens` / `output_tokens` / `cache_read.input_tokens` (0)), and per tool run an
// `execute_tool calculator` span (`gen_ai.tool.name` / `.type`, `gen_ai.tool.call.id` / `.arguments` / `.result`).
// Only the `chat` spans are LLM calls. No log records. The agent name tracelight reports is the `invoke_agent`
// ancestor's `gen_ai.agent.name`, i.e. the functionId, not service.name.
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

const SERVICE = 'vercel-ai-7-agent';
const MODEL = 'sim-small';

describe('Vercel AI SDK 7 (ai@7 + @ai-sdk/openai-compatible) with the @ai-sdk/otel integration', () => {
  let env: InteropEnv;
  let ai: typeof import('ai-v7');
  let provider: import('@ai-sdk/openai-compatible').OpenAICompatibleProvider;

  beforeAll(async () => {
    env = await startInterop({ serviceName: SERVICE });
    ai = await import('ai-v7');
    const { OpenTelemetry } = await import('@ai-sdk/otel');
    // The documented setup: register the integration once; it uses the global tracer provider startInterop set.
    ai.registerTelemetry(new OpenTelemetry());
    const { createOpenAICompatible } = await import('@ai-sdk/openai-compatible');
    // includeUsage: ask for usage on streamed responses too (the provider's documented option).
    provider = createOpenAICompatible({ name: 'simulated', baseURL: env.modelUrl, apiKey: 'unused', includeUsage: true });
  });
  afterAll(async () => {
    await env?.close();
  });

  const spanNames = (): string[] =>
    env.memory.spans
      .getFinishedSpans()
      .filter((s) => s.instrumentationScope.name === 'gen_ai')
      .map((s) => s.name);

  it('(a) single-turn generateText', async () => {
    env.memory.spans.reset();
    const { out, wire } = await recordRollout(env, 'ai7-single', () =>
      ai.generateText({ model: provider(MODEL), system: SYSTEM_PROMPT, prompt: USER_QUESTION, telemetry: { functionId: 'geography' } }),
    );
    await env.flush();
    expect(out.text).toBe('Paris');
    expect(wire).toHaveLength(1);
    const ts = await getTriplets(env, 'ai7-single'); // the root and step spans are not calls
    expect(ts).toHaveLength(wire.length);
    const expected = singleTurnConversation(wireText(wire[0]!), 'stop');
    expect(ts[0]!.prompt).toEqual(expected.prompt);
    expect(ts[0]!.response).toEqual(expected.response);
    expect(ts[0]!.usage).toEqual(wireUsage(wire[0]!));
    expect(ts[0]!.finish_reason).toBe('stop');
    // The agent is the name the run declares: telemetry.functionId, reported as gen_ai.agent.name.
    expectRolloutFields(ts, { rollout: 'ai7-single', agent: 'geography', model: MODEL, reward: null });
    expect(spanNames()).toEqual(['chat sim-small', 'step 1', 'invoke_agent sim-small']);
  });

  it('(b) generateText with a calculator tool and stopWhen: three calls, tool results between, final reward on every call', async () => {
    env.memory.spans.reset();
    const calculator = ai.tool({
      description: CALCULATOR_DESCRIPTION,
      inputSchema: z.object({ expression: z.string() }),
      execute: async ({ expression }) => calculate(expression),
    });
    const { out, wire } = await recordRollout(
      env,
      'ai7-agent',
      () =>
        ai.generateText({
          model: provider(MODEL),
          system: TOOL_SYSTEM_PROMPT,
          prompt: TOOL_QUESTION,
          tools: { calculator },
          stopWhen: ai.stepCountIs(6),
          telemetry: { functionId: 'calculator-agent' },
        }),
      REWARD,
    );
    await env.flush();
    expect(out.steps).toHaveLength(3);
    expect(out.text).toContain('42');
    expect(wire).toHaveLength(3);
    const ts = await getTriplets(env, 'ai7-agent');
    expect(ts).toHaveLength(wire.length); // one triplet per model request: no extra calls from agent/step/tool spans
    const conv = calculatorConversation({ ids: wire.flatMap(wireToolCallIds), answer: wireText(wire[2]!), finish: ['tool_call', 'tool_call', 'stop'] });
    expect(ts.map((t) => t.prompt)).toEqual(conv.prompts);
    expect(ts.map((t) => t.response)).toEqual(conv.responses);
    expect(ts.map((t) => t.usage)).toEqual(wire.map(wireUsage));
    expect(ts.map((t) => t.finish_reason)).toEqual(['tool_call', 'tool_call', 'stop']);
    expectRolloutFields(ts, { rollout: 'ai7-agent', agent: 'calculator-agent', model: MODEL, reward: 1 });
    recordCompat({
      id: 'ts-vercel-ai-7',
      framework: 'Vercel AI SDK',
      version: 'ai 7.0.173',
      language: 'TypeScript',
      instrumentation: 'native (@ai-sdk/otel 1.0.173)',
      content: true,
      toolCalls: true,
      usage: true,
      rewards: true,
      callCount: true,
    });
    expect(spanNames()).toEqual([
      'chat sim-small',
      'execute_tool calculator',
      'step 1',
      'chat sim-small',
      'execute_tool calculator',
      'step 2',
      'chat sim-small',
      'step 3',
      'invoke_agent sim-small',
    ]);
  });
});
