// An Agent Lightning agent (agentlightning 0.3.0, microsoft/agent-lightning, real package from PyPI) whose traces go
// to a real tracelight; the model is the simulated one (not a real LLM), asked for vLLM-style token ids.
//
// Everything on the agent's side is Agent Lightning's own machinery (agentlightning_agent.py): its default
// `AgentOpsTracer` (AgentOps 0.4.21 instruments `openai`, and Agent Lightning patches it to put the returned
// `prompt_token_ids` / `response_token_ids` on the LLM span), `trace_context(rollout_id, attempt_id)`, which merges
// `agentlightning.rollout_id` / `agentlightning.attempt_id` into the spans' resource and sends them with its own
// OTLP/HTTP protobuf exporter to the store's `otlp_traces_endpoint()` (here: tracelight), and `emit_reward()`
// (an `agentlightning.annotation` span). AgentOps writes OpenLLMetry-style `gen_ai.prompt.{i}.*` /
// `gen_ai.completion.{i}.*` attributes (with `gen_ai.request.type`, `gen_ai.system` "OpenAI",
// `gen_ai.usage.prompt_tokens`), and the tool calls a completion returned as child spans `tool_call.<name>`.
// AgentOps 0.4.21 needs the OTel SDK ≤ 1.44 (its exporter reads the HTTP exporter's `_headers`, gone in 1.45) and
// works with openai 2.x. LiteLLM (a dependency) is told not to fetch its model cost map from the internet.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonEnv } from '../../support/python-env.js';
import { expectSingleTurn, expectToolAgent, expectTripletsMatchWire, requirements, rolloutId, startPythonInterop, type PythonInterop } from './harness.js';

const SCRIPT = 'agentlightning_agent.py';
const AGENT_ENV = { LITELLM_LOCAL_MODEL_COST_MAP: 'True', AGENTOPS_LOG_LEVEL: 'ERROR' };

describe('agentlightning 0.3.0 (AgentOpsTracer, emit_reward, token ids)', () => {
  let env: PythonInterop;
  let python: string;
  beforeAll(async () => {
    python = await pythonEnv('agentlightning', requirements('agentlightning'));
    env = await startPythonInterop();
  }, 600_000);
  afterAll(async () => {
    await env?.close();
  });

  it('single turn: identity from the resource, token ids from the model', async () => {
    const rollout = rolloutId('ro-agl-single');
    const run = await env.runAgent(python, SCRIPT, 'single', {
      protocol: 'http/protobuf',
      serviceName: 'py-agentlightning',
      env: { ...AGENT_ENV, TRACELIGHT_ROLLOUT_ID: rollout, TRACELIGHT_ATTEMPT_ID: 'at-1' },
    });
    expect(run.result.answer).toBe('Paris');
    expect(run.calls.map((c) => c.request.return_token_ids)).toEqual([true]);
    // The AgentOps session span (the trace root) and the LLM span, through Agent Lightning's OTLP/HTTP exporter.
    expect(run.accepted.spans).toEqual({ http: 2, grpc: 0 });
    const triplets = await env.triplets(rollout);
    expectSingleTurn(triplets);
    expectTripletsMatchWire(triplets, run.calls, { rollout, attempt: 'at-1', agent: 'py-agentlightning', reward: null, tokenIds: true });
  });

  it('tool agent with emit_reward: tool calls from AgentOps tool_call spans, reward from the annotation span', async () => {
    const rollout = rolloutId('ro-agl-tools');
    const run = await env.runAgent(python, SCRIPT, 'tools', {
      protocol: 'http/protobuf',
      serviceName: 'py-agentlightning',
      env: { ...AGENT_ENV, TRACELIGHT_ROLLOUT_ID: rollout, TRACELIGHT_ATTEMPT_ID: 'at-2' },
    });
    expect(run.result).toMatchObject({ reward: 1 });
    // session + 3 LLM spans + 2 tool_call spans + the annotation span.
    expect(run.accepted.spans).toEqual({ http: 7, grpc: 0 });
    const triplets = await env.triplets(rollout);
    expectToolAgent(triplets);
    // emit_reward(1.0) is a one-dimensional reward, which Agent Lightning names "primary".
    expectTripletsMatchWire(triplets, run.calls, {
      rollout,
      attempt: 'at-2',
      agent: 'py-agentlightning',
      reward: { name: 'primary', value: 1 },
      tokenIds: true,
      compat: { id: 'agentlightning', framework: 'Agent Lightning', version: 'agentlightning 0.3.0', instrumentation: 'AgentOpsTracer', notes: 'token ids' },
    });
    expect((await env.triplets(rollout, 'last-call')).map((t) => t.reward)).toEqual([null, null, 1]);
    // Each call's token ids are its own: the prompt of a later call extends the earlier conversation.
    const [a, b] = triplets;
    expect(b?.token_ids?.prompt.length).toBeGreaterThan(a?.token_ids?.prompt.length ?? 0);
  });
});
