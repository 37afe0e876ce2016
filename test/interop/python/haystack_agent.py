"""A calculator agent on Haystack (`haystack-ai`): the `Agent` component with its own agent loop and tool calling,
`OpenAIChatGenerator(model="sim-small", api_base_url=OPENAI_BASE_URL)` and a calculator `Tool`, exporting with the
standard OTLP exporters through a plain OTel SDK TracerProvider (agent_common.setup_tracing). The model is the
SIMULATED OpenAI-compatible one (examples/simulated-model, not a real LLM).

HAYSTACK_TRACING picks the tracing:
  native         Haystack's own tracer over OpenTelemetry: `tracing.enable_tracing(OpenTelemetryTracer(tracer))`
                 from the opentelemetry-haystack integration (Haystack 3 moved OpenTelemetryTracer out of core and no
                 longer auto-enables it); content (component inputs and outputs) only with
                 HAYSTACK_CONTENT_TRACING_ENABLED=true, which the test sets;
  openinference  openinference-instrumentation-haystack (Arize): wraps every component's run (the Agent, the chat
                 generator, the tool invoker); content on by default.

Haystack's anonymous usage telemetry (PostHog, reached at import) is turned off with HAYSTACK_TELEMETRY_ENABLED=False
(set here before the import, and by the test).

Usage: python haystack_agent.py single|tools
"""

import json
import os
import sys

os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")

from agent_common import (  # noqa: E402
    MODEL,
    SYSTEM_PROMPT,
    TOOL_QUESTION,
    TOOL_SYSTEM_PROMPT,
    USER_QUESTION,
    calculate,
    rewarded_rollout,
    setup_tracing,
)

flush = setup_tracing()

from haystack.components.agents import Agent  # noqa: E402
from haystack.components.generators.chat import OpenAIChatGenerator  # noqa: E402
from haystack.dataclasses import ChatMessage  # noqa: E402
from haystack.tools import Tool  # noqa: E402
from haystack.utils import Secret  # noqa: E402
from opentelemetry import trace  # noqa: E402

TRACING = os.environ.get("HAYSTACK_TRACING", "native")
if TRACING == "native":
    from haystack import tracing
    from haystack_integrations.tracing.opentelemetry import OpenTelemetryTracer

    tracing.enable_tracing(OpenTelemetryTracer(trace.get_tracer("haystack")))
elif TRACING == "openinference":
    from openinference.instrumentation.haystack import HaystackInstrumentor

    HaystackInstrumentor().instrument(tracer_provider=trace.get_tracer_provider())
else:
    raise SystemExit(f"unknown HAYSTACK_TRACING {TRACING!r}")

CALCULATOR = Tool(
    name="calculator",
    description="Evaluate an arithmetic expression and return the result.",
    parameters={
        "type": "object",
        "properties": {"expression": {"type": "string", "description": "The arithmetic expression, e.g. 2 + 2"}},
        "required": ["expression"],
    },
    function=calculate,
)


def agent(system_prompt: str, tools: list) -> Agent:
    generator = OpenAIChatGenerator(
        model=MODEL, api_base_url=os.environ["OPENAI_BASE_URL"], api_key=Secret.from_env_var("OPENAI_API_KEY")
    )
    return Agent(chat_generator=generator, system_prompt=system_prompt, tools=tools)


def ask(a: Agent, question: str) -> str:
    result = a.run(messages=[ChatMessage.from_user(question)])
    return (result["last_message"].text or "").strip()


def main() -> None:
    scenario = sys.argv[1] if len(sys.argv) > 1 else "single"
    if scenario == "single":
        print(json.dumps({"answer": ask(agent(SYSTEM_PROMPT, []), USER_QUESTION)}))
        return
    if scenario != "tools":
        raise SystemExit(f"unknown scenario {scenario!r}")
    rewarded_rollout(lambda: ask(agent(TOOL_SYSTEM_PROMPT, [CALCULATOR]), TOOL_QUESTION))


try:
    main()
finally:
    flush()
