"""An Agent Lightning agent (`agentlightning`, microsoft/agent-lightning) whose traces go to tracelight.

Everything on the agent's side is Agent Lightning's own machinery:
  - `AgentOpsTracer` (Agent Lightning's default tracer) instruments the `openai` client through AgentOps and patches
    it so LLM spans carry the vLLM token ids (`prompt_token_ids`, `response_token_ids`) that the model returns when
    asked with `extra_body={"return_token_ids": True}`;
  - `tracer.trace_context(rollout_id=..., attempt_id=...)` opens the rollout; with a store that accepts OTLP traces,
    Agent Lightning merges `agentlightning.rollout_id` / `agentlightning.attempt_id` into the spans' resource and
    points its own OTLP/HTTP exporter (`LightningStoreOTLPExporter`, a plain `OTLPSpanExporter`) at the store's
    `otlp_traces_endpoint()`;
  - `emit_reward()` writes the reward as an `agentlightning.annotation` span.
The only piece supplied here is that store: Agent Lightning's in-memory store, declaring that OTLP traces go to
tracelight (OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces) instead of to an Agent Lightning store server. Agent
Lightning's store path speaks OTLP/HTTP protobuf only.

Usage: python agentlightning_agent.py single|tools   (TRACELIGHT_ROLLOUT_ID, TRACELIGHT_ATTEMPT_ID)
"""

import asyncio
import json
import os
import sys

import agentlightning as agl
from agentlightning.store.base import LightningStoreCapabilities
from openai import OpenAI
from opentelemetry import trace

from agent_common import score, single_turn, tool_agent

TOKEN_IDS = {"extra_body": {"return_token_ids": True}}


class TracelightStore(agl.InMemoryLightningStore):
    """Agent Lightning's in-memory store, with tracelight as the receiver of its OTLP traces."""

    @property
    def capabilities(self) -> LightningStoreCapabilities:
        return LightningStoreCapabilities(**{**super().capabilities, "otlp_traces": True})

    def otlp_traces_endpoint(self) -> str:
        return os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"].rstrip("/") + "/v1/traces"


async def main() -> None:
    scenario = sys.argv[1] if len(sys.argv) > 1 else "single"
    tracer = agl.AgentOpsTracer()
    tracer.init_worker(0, TracelightStore())
    client = OpenAI()
    try:
        async with tracer.trace_context(
            name="calculator-agent",
            rollout_id=os.environ["TRACELIGHT_ROLLOUT_ID"],
            attempt_id=os.environ["TRACELIGHT_ATTEMPT_ID"],
        ):
            if scenario == "single":
                answer = single_turn(client, **TOKEN_IDS)
                print(json.dumps({"answer": answer}))
            elif scenario == "tools":
                answer = tool_agent(client, **TOKEN_IDS)
                value = score(answer)
                agl.emit_reward(value)
                print(json.dumps({"answer": answer, "reward": value}))
            else:
                raise SystemExit(f"unknown scenario {scenario!r}")
    finally:
        provider = trace.get_tracer_provider()
        if not provider.force_flush(30_000):
            raise SystemExit("force_flush timed out: tracelight did not take the export")
        tracer.teardown_worker(0)


asyncio.run(main())
