// The Vercel AI SDK (`ai` + `@ai-sdk/openai`) with `experimental_telemetry: { isEnabled: true }`, reporting through
// the global OpenTelemetry tracer provider over OTLP/HTTP to a running tracelight.
//
// What it emits (ai 6.0.325): per generateText / streamText a wrapper span `ai.generateText` / `ai.streamText`
// (whole-call prompt, summed usage) and, per provider request, a child `ai.generateText.doGenerate` /
// `ai.streamText.doStream` span carrying the AI SDK's own attributes: `ai.prompt.messages` (JSON, AI SDK message
// format: `tool-call` parts with `input`, `tool` messages with `tool-result` parts whose `output` is
// `{type: 'text', value}`), `ai.prompt.tools`, `ai.response.text` / `ai.response.toolCalls`,
// `ai.response.finishReason` (`tool-calls`, `stop`), `ai.usage.inputTokens` / `outputTokens`, plus the older
// `gen_ai.system` / `gen_ai.request.model` / `gen_ai.usage.*` duplicates; `ai.toolCall` spans for tool executions.
// Only the doGenerate / doStream spans are LLM calls. No log records.
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

const SERVICE = 'vercel-ai-agent';
const MODEL = 'sim-small';

describe('Vercel AI SDK (ai + @ai-sdk/openai) with experimental_telemetry', () => {
  let env: InteropEnv;
  let ai: typeof import('ai');
  let provider: import('@ai-sdk/openai').OpenAIProvider;

  beforeAll(async () => {
    env = await startInterop({ serviceName: SERVICE });
    ai = await import('ai');
    const { createOpenAI } = await import('@ai-sdk/openai');
    provider = createOpenAI({ baseURL: env.modelUrl, apiKey: 'unused' });
  });
  afterAll(async () => {
    await env?.close();
  });

  it('(a) single-turn generateText (Chat Completions provider)', async () => {
    const { out, wire } = await recordRollout(env, 'ai-single', () =>
      ai.generateText({
        model: provider.chat(MODEL),
        system: SYSTEM_PROMPT,
        prompt: USER_QUESTION,
        experimental_telemetry: { isEnabled: true, functionId: 'geography' },
      }),
    );
    await env.flush();
    const [t, ...more] = await getTriplets(env, 'ai-single'); // the ai.generateText wrapper is not a call
    expect(more).toEqual([]);
    const expected = singleTurnConversation(wireText(wire[0]!), 'stop');
    expect(out.text).toBe('Paris');
    expect(t!.prompt).toEqual(expected.prompt);
    expect(t!.response).toEqual(expected.response);
    expect(t!.usage).toEqual(wireUsage(wire[0]!));
    expect(t!.finish_reason).toBe('stop');
    expectRolloutFields([t!], { rollout: 'ai-single', agent: SERVICE, model: MODEL, reward: null });

    const names = env.memory.spans
      .getFinishedSpans()
      .filter((s) => s.instrumentationScope.name === 'ai')
      .map((s) => s.name);
    expect(names).toEqual(['ai.generateText.doGenerate', 'ai.generateText']);
  });

  it('(a) single-turn streamText (Responses provider)', async () => {
    const { out, wire } = await recordRollout(env, 'ai-stream', async () => {
      const result = ai.streamText({ model: provider(MODEL), system: SYSTEM_PROMPT, prompt: USER_QUESTION, experimental_telemetry: { isEnabled: true } });
      let answer = '';
      for await (const delta of result.textStream) answer += delta;
      return answer;
    });
    await env.flush();
    const [t, ...more] = await getTriplets(env, 'ai-stream');
    expect(more).toEqual([]);
    const expected = singleTurnConversation(wireText(wire[0]!), 'stop');
    expect(out).toBe('Paris');
    expect(t!.prompt).toEqual(expected.prompt);
    expect(t!.response).toEqual(expected.response);
    expect(t!.usage).toEqual(wireUsage(wire[0]!));
    expectRolloutFields([t!], { rollout: 'ai-stream', agent: SERVICE, model: MODEL, reward: null });
  });

  it('(b) generateText with a tool and stopWhen: three calls, tool results between, final reward on every call', async () => {
    const calculator = ai.tool({
      description: CALCULATOR_DESCRIPTION,
      inputSchema: z.object({ expression: z.string() }),
      execute: async ({ expression }) => calculate(expression),
    });
    const { out, wire } = await recordRollout(
      env,
      'ai-agent',
      () =>
        ai.generateText({
          model: provider(MODEL),
          system: TOOL_SYSTEM_PROMPT,
          prompt: TOOL_QUESTION,
          tools: { calculator },
          stopWhen: ai.stepCountIs(6),
          experimental_telemetry: { isEnabled: true, functionId: 'calculator-agent' },
        }),
      REWARD,
    );
    await env.flush();
    expect(out.steps).toHaveLength(3);
    expect(out.text).toContain('42');
    const ts = await getTriplets(env, 'ai-agent');
    expect(ts).toHaveLength(3);
    const conv = calculatorConversation({ ids: wire.flatMap(wireToolCallIds), answer: wireText(wire[2]!), finish: ['tool_call', 'tool_call', 'stop'] });
    expect(ts.map((t) => t.prompt)).toEqual(conv.prompts);
    expect(ts.map((t) => t.response)).toEqual(conv.responses);
    expect(ts.map((t) => t.usage)).toEqual(wire.map(wireUsage));
    expect(ts.map((t) => t.finish_reason)).toEqual(['tool_call', 'tool_call', 'stop']);
    expectRolloutFields(ts, { rollout: 'ai-agent', agent: SERVICE, model: MODEL, reward: 1 });
    recordCompat({
      id: 'ts-vercel-ai-6',
      framework: 'Vercel AI SDK',
      version: 'ai 6.0.325',
      language: 'TypeScript',
      instrumentation: 'native (experimental_telemetry)',
      content: true,
      toolCalls: true,
      usage: true,
      rewards: true,
      callCount: true,
    });
  });
});
