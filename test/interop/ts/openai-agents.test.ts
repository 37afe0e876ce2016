// The OpenAI Agents SDK (@openai/agents) exporting OpenTelemetry through @arizeai/openinference-instrumentation-
// openai-agents, over OTLP/HTTP to a running tracelight.
//
// How the SDK reaches OTel: it has its own tracing (traces and spans handed to `TracingProcessor`s; by default a
// batch exporter to OpenAI's dashboard). The OpenInference package is such a processor: `manuallyInstrument(agents)`
// registers it with `setTraceProcessors` (replacing the default exporter) and it turns every SDK span into an OTel
// span, parented under whatever OTel span is active when the run starts (here the `agent-run` root span that carries
// `tracelight.rollout.id`). The SDK disables its tracing when NODE_ENV=test, so the test re-enables it.
//
// What it emits (0.2.15 over @openai/agents 0.14.3): `Agent workflow` (AGENT and CHAIN), one AGENT span per agent
// named after it with `graph.node.id`, `turn` CHAIN spans, one LLM span per model request (`response` for the
// Responses transport, `generation` for Chat Completions) with OpenInference `llm.input_messages.*` (the agent's
// instructions as message 0), `llm.output_messages.*`, `llm.token_count.*`, `llm.tools.*`, `llm.finish_reason`
// (always "stop" on the Responses transport), and a TOOL span per function call. No log records.
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

const MODEL = 'sim-small';

describe('OpenAI Agents SDK + @arizeai/openinference-instrumentation-openai-agents', () => {
  let env: InteropEnv;
  let agents: typeof import('@openai/agents');
  let calculatorAgent: import('@openai/agents').Agent<unknown, 'text'>;

  /** The SDK's processors first (they create the OTel spans), then the OTel pipeline. */
  const flush = async (): Promise<void> => {
    await agents.getGlobalTraceProvider().forceFlush();
    await env.flush();
  };

  beforeAll(async () => {
    env = await startInterop({ serviceName: 'openai-agents-app' });
    agents = await import('@openai/agents');
    const { OpenAIAgentsInstrumentation } = await import('@arizeai/openinference-instrumentation-openai-agents');
    const { OpenAI } = await import('openai');
    const instrumentation = new OpenAIAgentsInstrumentation({ tracerProvider: env.tracerProvider });
    // Its typings expect the CommonJS module object (with `default`); the ESM namespace has the same exports.
    instrumentation.manuallyInstrument(agents as unknown as Parameters<typeof instrumentation.manuallyInstrument>[0]);
    agents.setTracingDisabled(false);
    agents.setDefaultOpenAIClient(new OpenAI({ baseURL: env.modelUrl, apiKey: 'unused' }));
    const calculator = agents.tool({
      name: 'calculator',
      description: CALCULATOR_DESCRIPTION,
      parameters: z.object({ expression: z.string() }),
      execute: async ({ expression }) => calculate(expression),
    });
    calculatorAgent = new agents.Agent({ name: 'calculator-agent', instructions: TOOL_SYSTEM_PROMPT, model: MODEL, tools: [calculator] });
  });
  afterAll(async () => {
    agents?.setOpenAIAPI('responses');
    await env?.close();
  });

  it('(a) single-turn agent run: instructions and question in, answer out (Responses API)', async () => {
    const tutor = new agents.Agent({ name: 'geography-tutor', instructions: SYSTEM_PROMPT, model: MODEL });
    const { out, wire } = await recordRollout(env, 'agents-single', () => agents.run(tutor, USER_QUESTION));
    await flush();
    expect(wire.map((w) => w.path)).toEqual(['/v1/responses']);
    const [t, ...more] = await getTriplets(env, 'agents-single');
    expect(more).toEqual([]);
    const expected = singleTurnConversation(wireText(wire[0]!));
    expect(out.finalOutput).toBe('Paris');
    expect(t!.prompt).toEqual(expected.prompt);
    expect(t!.response).toEqual(expected.response);
    expect(t!.usage).toEqual(wireUsage(wire[0]!));
    expect(t!.finish_reason).toBe('stop');
    // The agent's name comes from its OpenInference AGENT span (graph.node.id).
    expectRolloutFields([t!], { rollout: 'agents-single', agent: 'geography-tutor', model: MODEL, reward: null });

    const root = env.memory.spans.getFinishedSpans().find((s) => s.name === 'agent-run' && s.attributes['tracelight.rollout.id'] === 'agents-single')!;
    const workflow = env.memory.spans
      .getFinishedSpans()
      .filter((s) => s.name === 'Agent workflow' && s.parentSpanContext?.spanId === root.spanContext().spanId);
    expect(workflow).toHaveLength(1); // the SDK's trace hangs under the active OTel span
  });

  it('(b) tool-using agent (Responses API): three calls, tool results between, final reward on every call', async () => {
    const { out, wire } = await recordRollout(env, 'agents-tools', () => agents.run(calculatorAgent, TOOL_QUESTION), REWARD);
    await flush();
    expect(wire).toHaveLength(3);
    expect(out.finalOutput).toContain('42');
    const ts = await getTriplets(env, 'agents-tools');
    expect(ts).toHaveLength(3);
    const conv = calculatorConversation({ ids: wire.flatMap(wireToolCallIds), answer: wireText(wire[2]!), finish: [undefined, undefined, undefined] });
    expect(ts.map((t) => t.prompt)).toEqual(conv.prompts);
    expect(ts.map((t) => t.response)).toEqual(conv.responses);
    expect(ts.map((t) => t.usage)).toEqual(wire.map(wireUsage));
    // The Responses API reports every turn completed (stop); a turn that ends in tool calls is a tool_call.
    expect(ts.map((t) => t.finish_reason)).toEqual(['tool_call', 'tool_call', 'stop']);
    expectRolloutFields(ts, { rollout: 'agents-tools', agent: 'calculator-agent', model: MODEL, reward: 1 });
    recordCompat({
      id: 'ts-openai-agents',
      framework: 'OpenAI Agents SDK',
      version: '@openai/agents 0.14.3',
      language: 'TypeScript',
      instrumentation: 'OpenInference (@arizeai/openinference-instrumentation-openai-agents 0.2.15)',
      content: true,
      toolCalls: true,
      usage: true,
      rewards: true,
      callCount: true,
    });
  });

  it('(b) tool-using agent on the Chat Completions transport', async () => {
    agents.setOpenAIAPI('chat_completions');
    const { out, wire } = await recordRollout(env, 'agents-tools-chat', () => agents.run(calculatorAgent, TOOL_QUESTION), REWARD);
    await flush();
    expect(wire.map((w) => w.path)).toEqual(Array(3).fill('/v1/chat/completions'));
    expect(out.finalOutput).toContain('42');
    const ts = await getTriplets(env, 'agents-tools-chat');
    expect(ts).toHaveLength(3);
    const conv = calculatorConversation({ ids: wire.flatMap(wireToolCallIds), answer: wireText(wire[2]!), finish: [undefined, undefined, undefined] });
    expect(ts.map((t) => t.prompt)).toEqual(conv.prompts);
    expect(ts.map((t) => t.response)).toEqual(conv.responses);
    expect(ts.map((t) => t.usage)).toEqual(wire.map(wireUsage));
    expect(ts.map((t) => t.finish_reason)).toEqual(['tool_call', 'tool_call', 'stop']);
    expectRolloutFields(ts, { rollout: 'agents-tools-chat', agent: 'calculator-agent', model: MODEL, reward: 1 });
  });
});
