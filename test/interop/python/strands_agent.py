"""A Strands Agents agent (`strands-agents`, AWS) on its OpenAI model provider, traced by Strands' own OpenTelemetry.

Strands traces natively: `StrandsTelemetry()` makes the global TracerProvider and `setup_otlp_exporter()` adds an
OTLP/HTTP exporter that reads OTEL_EXPORTER_OTLP_ENDPOINT (for OTEL_EXPORTER_OTLP_PROTOCOL=grpc the standard gRPC
exporter is added to the same provider instead). Content capture is on by default in Strands (no switch; only the
opt-in redaction `gen_ai_unredacted_attributes=` in OTEL_SEMCONV_STABILITY_OPT_IN turns it off). Under the
default conventions Strands writes content as span events (gen_ai.system.message, gen_ai.user.message,
gen_ai.assistant.message, gen_ai.tool.message, gen_ai.choice) whose `content` / `message` attribute is a JSON
string of Bedrock-style content blocks (`text`, `toolUse`, `toolResult`); with
OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental it writes one `gen_ai.client.inference.operation.details`
event per span with `gen_ai.input.messages` / `gen_ai.output.messages` in OTel GenAI parts.

The model is `strands.models.openai.OpenAIModel` (model_id sim-small, base_url OPENAI_BASE_URL), the tool a
`@tool` calculator. STRANDS_STREAM=0 turns the provider's chat-completions streaming off (its `stream` config).

Usage: python strands_agent.py single|tools
"""

import json
import os
import sys

from agent_common import (
    MODEL,
    SYSTEM_PROMPT,
    TOOL_QUESTION,
    TOOL_SYSTEM_PROMPT,
    USER_QUESTION,
    calculate,
    protocol,
    rewarded_rollout,
    span_exporter,
)

from opentelemetry.sdk.trace.export import BatchSpanProcessor
from strands.telemetry import StrandsTelemetry

telemetry = StrandsTelemetry()
if protocol() == "grpc":
    telemetry.tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter()))
else:
    telemetry.setup_otlp_exporter()

from strands import Agent, tool  # noqa: E402
from strands.models.openai import OpenAIModel  # noqa: E402


@tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression and return the result.

    Args:
        expression: The arithmetic expression, e.g. 2 + 2
    """
    return calculate(expression)


def model() -> OpenAIModel:
    stream = os.environ.get("STRANDS_STREAM", "1") != "0"
    return OpenAIModel(
        client_args={"base_url": os.environ["OPENAI_BASE_URL"], "api_key": os.environ["OPENAI_API_KEY"]},
        model_id=MODEL,
        stream=stream,
    )


def main() -> None:
    scenario = sys.argv[1] if len(sys.argv) > 1 else "single"
    if scenario == "single":
        agent = Agent(name="geography-tutor", model=model(), system_prompt=SYSTEM_PROMPT, callback_handler=None)
        print(json.dumps({"answer": str(agent(USER_QUESTION)).strip()}))
        return
    if scenario != "tools":
        raise SystemExit(f"unknown scenario {scenario!r}")

    def solve() -> str:
        agent = Agent(
            name="calculator-agent", model=model(), system_prompt=TOOL_SYSTEM_PROMPT, tools=[calculator], callback_handler=None
        )
        return str(agent(TOOL_QUESTION)).strip()

    rewarded_rollout(solve)


try:
    main()
finally:
    if not telemetry.tracer_provider.force_flush(30_000):
        raise SystemExit("force_flush timed out: tracelight did not take the export")
    telemetry.tracer_provider.shutdown()
