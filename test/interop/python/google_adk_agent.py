"""A calculator agent on Google's Agent Development Kit (`google-adk`), traced by ADK's own OpenTelemetry.

The agent is an ADK `LlmAgent` (its own agent loop and function calling) with a Python function tool, `calculator`,
on ADK's LiteLLM model wrapper: `LiteLlm(model="openai/sim-small", api_base=OPENAI_BASE_URL)`, so every model call
is a chat-completions request to the SIMULATED model (not a real LLM). It runs on an `InMemoryRunner`.

Tracing is ADK's native one (tracer `gcp.vertex.agent`). `google.adk.telemetry.setup.maybe_set_otel_providers()`
(ADK's telemetry setup function, what `adk web --otel_to_cloud`'s generic path uses) sets the global TracerProvider
with an OTLP/HTTP exporter when OTEL_EXPORTER_OTLP_ENDPOINT is set, and also a MeterProvider and a LoggerProvider on
the same endpoint. ADK only builds OTLP/HTTP exporters there, so with OTEL_EXPORTER_OTLP_PROTOCOL=grpc the script
sets the global TracerProvider and LoggerProvider itself (agent_common.setup_tracing, the standard gRPC exporters); ADK's spans go to
whatever global provider there is.

Content capture, by ADK's own switches (the test sets them):
  - the default telemetry schema (2, "OTel GenAI semconv aligned") records content only with
    OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT = SPAN_ONLY (gen_ai.system_instructions,
    gen_ai.input.messages, gen_ai.output.messages on the generate_content span), EVENT_ONLY (the same on a
    `gen_ai.client.inference.operation.details` log record) or SPAN_AND_EVENT; unset, neither carries content;
  - ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN=1, the legacy schema, writes `call_llm` spans with the request and response
    as `gcp.vertex.agent.llm_request` / `gcp.vertex.agent.llm_response` JSON (Gemini `contents`), on by default
    (ADK_CAPTURE_MESSAGE_CONTENT_IN_SPANS).

No network: LITELLM_LOCAL_MODEL_COST_MAP=True (LiteLLM would fetch its model price map from GitHub at import).

Scenario `tools` only: the run happens under a root span "agent-run" carrying `tracelight.rollout.id`
(TRACELIGHT_ROLLOUT_ID) and ending with a `gen_ai.evaluation.result` event (reward 1 when the answer holds 42).

Usage: python google_adk_agent.py tools
"""

import asyncio
import os
import sys

from agent_common import MODEL, TOOL_QUESTION, TOOL_SYSTEM_PROMPT, calculate, protocol, rewarded_rollout

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from opentelemetry import _logs, metrics, trace  # noqa: E402

from google.adk.telemetry.setup import maybe_set_otel_providers  # noqa: E402

if protocol() == "grpc":
    # ADK's setup builds OTLP/HTTP exporters only: for gRPC the standard global TracerProvider, as ADK's docs allow.
    from agent_common import setup_tracing

    setup_tracing(with_logs=True)
else:
    maybe_set_otel_providers()

from google.adk.agents import LlmAgent  # noqa: E402
from google.adk.models.lite_llm import LiteLlm  # noqa: E402
from google.adk.runners import InMemoryRunner  # noqa: E402
from google.genai import types  # noqa: E402


def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression and return the result.

    Args:
        expression: The arithmetic expression, e.g. 2 + 2
    """
    return calculate(expression)


async def run_agent() -> str:
    model = LiteLlm(model=f"openai/{MODEL}", api_base=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"])
    agent = LlmAgent(name="calculator_agent", model=model, instruction=TOOL_SYSTEM_PROMPT, tools=[calculator])
    runner = InMemoryRunner(agent=agent, app_name="tracelight-interop")
    session = await runner.session_service.create_session(app_name="tracelight-interop", user_id="user")
    answer = ""
    message = types.Content(role="user", parts=[types.Part(text=TOOL_QUESTION)])
    async for event in runner.run_async(user_id="user", session_id=session.id, new_message=message):
        if event.is_final_response() and event.content and event.content.parts:
            answer = "".join(p.text or "" for p in event.content.parts)
    return answer


def main() -> None:
    scenario = sys.argv[1] if len(sys.argv) > 1 else "tools"
    if scenario != "tools":
        raise SystemExit(f"unknown scenario {scenario!r} (this agent has only `tools`)")
    rewarded_rollout(lambda: asyncio.run(run_agent()))


def flush() -> None:
    for provider in (trace.get_tracer_provider(), metrics.get_meter_provider(), _logs.get_logger_provider()):
        force_flush = getattr(provider, "force_flush", None)
        if force_flush is None:
            continue
        if force_flush(30_000) is False:
            raise SystemExit(f"{type(provider).__name__}.force_flush timed out: tracelight did not take the export")
        provider.shutdown()


try:
    main()
finally:
    flush()
