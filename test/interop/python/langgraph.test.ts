// LangGraph (`langgraph.prebuilt.create_react_agent` + langchain-openai `ChatOpenAI(model="sim-small")` + a `@tool`
// calculator), real packages from PyPI, exporting over OTLP to a real tracelight; the model is the simulated one
// (not a real LLM). Traced two ways, one venv each (requirements/langgraph-openinference.txt,
// requirements/langgraph-openllmetry.txt), by langgraph_agent.py with LANGGRAPH_TRACING:
//  - openinference-instrumentation-langchain (Arize OpenInference), content by default, flattened
//    `llm.input_messages.*` / `llm.output_messages.*` on the LLM span;
//  - opentelemetry-instrumentation-langchain (Traceloop OpenLLMetry), TRACELOOP_TRACE_CONTENT=true, content as span
//    attributes.
// Both hook LangChain's callbacks, so LangGraph's graph run and every node run (agent, tools, the routing) become
// chain spans besides the ChatOpenAI spans and the tool spans. Only the ChatOpenAI spans are inference calls: the
// triplets must be exactly the three calls the model served.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pythonEnv } from '../../support/python-env.js';
import { expectToolAgent, expectTripletsMatchWire, requirements, rolloutId, startPythonInterop, type PythonInterop } from './harness.js';

const SCRIPT = 'langgraph_agent.py';
const VENV_TIMEOUT = 600_000;

let env: PythonInterop;

beforeAll(async () => {
  env = await startPythonInterop();
});
afterAll(async () => {
  await env?.close();
});

const VARIANTS = [
  {
    tracing: 'openinference',
    title: 'langgraph 1.2.22 + openinference-instrumentation-langchain 0.1.80 (OpenInference)',
    env: {},
    // No span declares an agent name (the AGENT node spans carry no agent.name / graph.node.id): the service name.
    agent: 'py-langgraph-openinference',
    // `llm.finish_reason` is span-level only, as in the openai instrumentation.
    finish: { messageFinish: false },
    // agent-run + LangGraph + 3 × (agent, call_model, RunnableSequence, Prompt, ChatOpenAI, should_continue) + 2 × (tools, calculator).
    spans: 24,
    compat: {
      id: 'langgraph-openinference',
      framework: 'LangGraph',
      version: 'langgraph 1.2.22',
      instrumentation: 'OpenInference (openinference-instrumentation-langchain 0.1.80)',
    },
  },
  {
    tracing: 'openllmetry',
    title: 'langgraph 1.2.22 + opentelemetry-instrumentation-langchain 0.62.4 (OpenLLMetry)',
    env: { TRACELOOP_TRACE_CONTENT: 'true' },
    // The `invoke_agent LangGraph` span's gen_ai.agent.name (the compiled graph's default name).
    agent: 'LangGraph',
    finish: {},
    // create_agent react_agent (its own trace, at create_react_agent() time) + agent-run + invoke_agent LangGraph +
    // LangGraph.workflow + 3 × (agent, call_model, RunnableSequence, Prompt, ChatOpenAI.chat, should_continue) +
    // 2 × (tools, calculator).
    spans: 26,
    compat: {
      id: 'langgraph-openllmetry',
      framework: 'LangGraph',
      version: 'langgraph 1.2.22',
      instrumentation: 'OpenLLMetry (opentelemetry-instrumentation-langchain 0.62.4)',
    },
  },
] as const;

for (const v of VARIANTS) {
  describe(v.title, () => {
    let python: string;
    beforeAll(async () => {
      python = await pythonEnv(`langgraph-${v.tracing}`, requirements(`langgraph-${v.tracing}`));
    }, VENV_TIMEOUT);

    it('calculator agent (create_react_agent, @tool) over OTLP/HTTP protobuf, reward on the root span', async () => {
      const rollout = rolloutId(`py-lg-${v.tracing}`);
      const service = `py-langgraph-${v.tracing}`;
      const run = await env.runAgent(python, SCRIPT, 'tools', {
        protocol: 'http/protobuf',
        serviceName: service,
        env: { TRACELIGHT_ROLLOUT_ID: rollout, LANGGRAPH_TRACING: v.tracing, ...v.env },
      });
      await env.capture(`langgraph-${v.tracing}`, service, rollout, run);
      expect(run.result).toMatchObject({ reward: 1 });
      expect(run.result.answer).toContain('42');
      // Three generation requests: calculator("3 + 4"), calculator("7 * 6"), the answer.
      expect(run.calls).toHaveLength(3);
      expect(run.accepted.spans).toEqual({ http: v.spans, grpc: 0 });
      expect(run.accepted.logs).toEqual({ http: 0, grpc: 0 });
      const triplets = await env.triplets(rollout);
      // One triplet per inference call: no extra "calls" from the graph, node or tool spans.
      expect(triplets).toHaveLength(run.calls.length);
      expectToolAgent(triplets);
      expectTripletsMatchWire(triplets, run.calls, { rollout, agent: v.agent, reward: { name: 'correct', value: 1 }, ...v.finish, compat: { ...v.compat } });
      expect((await env.triplets(rollout, 'last-call')).map((t) => t.reward)).toEqual([null, null, 1]);
    });
  });
}
