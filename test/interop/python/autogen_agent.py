"""An AutoGen AgentChat agent (Microsoft AutoGen v0.4+ API: `autogen-agentchat` `AssistantAgent` with a calculator
tool, `autogen-ext[openai]` `OpenAIChatCompletionClient`) with AutoGen's native OpenTelemetry tracing, set up as
AutoGen's tracing guide does: a global OTel SDK TracerProvider with an OTLP exporter, plus
`opentelemetry-instrumentation-openai` (OpenLLMetry's `OpenAIInstrumentor().instrument()`) for the model calls.

AutoGen itself traces agents and tools only (autogen_core's GenAI helpers, on the global tracer provider by
default): `create_agent <name>` when an agent is constructed, `invoke_agent <name>` around `run()`, and
`execute_tool <tool>` around each tool run; its model clients emit no spans (only Python logging events), which is
why the guide adds the OpenAI instrumentation. That one records content by default (TRACELOOP_TRACE_CONTENT unset
means true; the test sets it to true explicitly), as span attributes gen_ai.input.messages / gen_ai.output.messages
(OTel GenAI messages with parts, JSON strings).

The model is `OpenAIChatCompletionClient(model="sim-small", base_url=OPENAI_BASE_URL, model_info=...)`: sim-small is
not a model AutoGen knows, so its capabilities (function calling, no vision, ...) are declared in model_info. The
agent runs with `max_tool_iterations=8`, so it keeps calling the model while the model asks for tools (the default,
1, would stop after the first tool round with a tool-call summary and never make the third call).

Scenario `tools` only: the run happens under a root span "agent-run" carrying `tracelight.rollout.id`
(TRACELIGHT_ROLLOUT_ID) and ending with a `gen_ai.evaluation.result` event (reward 1 when the answer holds 42).

Usage: python autogen_agent.py tools
"""

import asyncio
import os
import sys

from agent_common import MODEL, TOOL_QUESTION, TOOL_SYSTEM_PROMPT, calculate, rewarded_rollout, setup_tracing

flush = setup_tracing()

from opentelemetry.instrumentation.openai import OpenAIInstrumentor  # noqa: E402

OpenAIInstrumentor().instrument()

from autogen_agentchat.agents import AssistantAgent  # noqa: E402
from autogen_agentchat.messages import TextMessage  # noqa: E402
from autogen_core.models import ModelFamily  # noqa: E402
from autogen_ext.models.openai import OpenAIChatCompletionClient  # noqa: E402


def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression and return the result."""
    return calculate(expression)


async def run_agent() -> str:
    client = OpenAIChatCompletionClient(
        model=MODEL,
        base_url=os.environ["OPENAI_BASE_URL"],
        api_key=os.environ["OPENAI_API_KEY"],
        model_info={
            "vision": False,
            "function_calling": True,
            "json_output": False,
            "structured_output": False,
            "family": ModelFamily.UNKNOWN,
        },
    )
    try:
        agent = AssistantAgent(
            name="calculator_agent",
            model_client=client,
            tools=[calculator],
            system_message=TOOL_SYSTEM_PROMPT,
            max_tool_iterations=8,
        )
        result = await agent.run(task=TOOL_QUESTION)
    finally:
        await client.close()
    last = result.messages[-1]
    if not isinstance(last, TextMessage):
        raise SystemExit(f"the agent ended on a {type(last).__name__}, not a text answer: {last!r}")
    return last.content


def main() -> None:
    scenario = sys.argv[1] if len(sys.argv) > 1 else "tools"
    if scenario != "tools":
        raise SystemExit(f"unknown scenario {scenario!r} (this agent has only `tools`)")
    rewarded_rollout(lambda: asyncio.run(run_agent()))


try:
    main()
finally:
    flush()
