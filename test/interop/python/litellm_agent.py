"""An agent whose model calls go through LiteLLM (`litellm.completion`), traced by LiteLLM's OpenTelemetry callback.

`litellm.callbacks = ["otel"]` turns on LiteLLM's OpenTelemetry logger. Configured from the environment as
LiteLLM's docs say (OTEL_EXPORTER_OTLP_PROTOCOL = grpc | http/protobuf picks its OTLP exporter,
OTEL_EXPORTER_OTLP_ENDPOINT the endpoint; OTEL_EXPORTER / OTEL_ENDPOINT are its older names), it builds the global
TracerProvider itself (resource: service.name from OTEL_SERVICE_NAME, deployment.environment, model_id, merged with
OTEL_RESOURCE_ATTRIBUTES). Content capture is on by default (its `message_logging`; `litellm.turn_off_message_logging`
or OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=NO_CONTENT turn it off).

LiteLLM creates that logger lazily, at the first completion. The `tools` scenario starts its root span (rollout id,
reward) before the first call, so the script resolves the "otel" callback up front the way LiteLLM does at that
call (the same instance is then used by the calls), so that the root span is recorded by LiteLLM's provider.

Within an active span LiteLLM (>= 1.81) writes each call's attributes onto that parent span (the last call
overwriting the earlier ones) and adds one `raw_gen_ai_request` child per call; USE_OTEL_LITELLM_REQUEST_SPAN=true
(its documented switch) restores one `litellm_request` span per call.

agent_common's scenarios run unchanged: `LiteLLMClient` gives them the `client.chat.completions.create(...)` they
call, made with `litellm.completion(model="openai/sim-small", api_base=OPENAI_BASE_URL, ...)`.

Usage: python litellm_agent.py single|tools
"""

import os
from types import SimpleNamespace
from typing import Any

from agent_common import run_scenario

# No network here: LiteLLM fetches its model cost map from GitHub at import unless told to use its bundled copy.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm  # noqa: E402
from litellm.litellm_core_utils.litellm_logging import _init_custom_logger_compatible_class  # noqa: E402
from opentelemetry import trace  # noqa: E402

litellm.callbacks = ["otel"]
# What LiteLLM does with "otel" at the first call: builds its OpenTelemetry logger (and the TracerProvider), once.
_init_custom_logger_compatible_class("otel", internal_usage_cache=None, llm_router=None)


class _Completions:
    def create(self, *, model: str, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
        return litellm.completion(
            model=f"openai/{model}",
            api_base=os.environ["OPENAI_BASE_URL"],
            api_key=os.environ["OPENAI_API_KEY"],
            messages=messages,
            **kwargs,
        )


class LiteLLMClient:
    """The part of the `openai` client the scenarios use, on litellm.completion."""

    chat = SimpleNamespace(completions=_Completions())


def flush() -> None:
    # LiteLLM logs each call from a background thread pool after the call returns: let those finish first.
    from litellm.litellm_core_utils.thread_pool_executor import executor

    executor.shutdown(wait=True)
    provider = trace.get_tracer_provider()
    if not provider.force_flush(30_000):
        raise SystemExit("force_flush timed out: tracelight did not take the export")
    provider.shutdown()


try:
    run_scenario(LiteLLMClient(), trace.get_tracer("tracelight-interop-agent"))
finally:
    flush()
