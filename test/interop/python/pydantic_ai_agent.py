"""A calculator agent on Pydantic AI (`pydantic-ai-slim[openai]`), traced by Pydantic AI's own OpenTelemetry
instrumentation (`Agent.instrument_all(InstrumentationSettings(...))`; Pydantic AI 2.x has no
`Agent(instrument=...)` any more, the per-agent form is the `Instrumentation` capability), exporting with the
standard OTLP exporters through a plain OTel SDK TracerProvider (agent_common.setup_tracing); no Logfire.

The model is `OpenAIChatModel('sim-small')` with an `OpenAIProvider` pointed at OPENAI_BASE_URL: Chat Completions
against the SIMULATED model (examples/simulated-model, not a real LLM). Pydantic AI runs its own agent loop and
tool calls; the tool is a plain Python function passed in `Agent(tools=[...])`.

Content capture is on by default (`include_content=True`): each model request span (`chat sim-small`) carries
`gen_ai.input.messages` / `gen_ai.output.messages` (JSON strings of OTel GenAI messages with parts),
`gen_ai.usage.*` and `gen_ai.response.finish_reasons`; the agent run span (`invoke_agent <name>`) carries
`pydantic_ai.all_messages`, and each tool call an `execute_tool calculator` span. Every span carries
`gen_ai.agent.name` (the Agent's name; Pydantic AI's default is `agent`). No logs.

PYDANTIC_AI_INSTRUMENTATION_VERSION picks the data format version (2..6; unset = Pydantic AI's default).

Usage: python pydantic_ai_agent.py single|tools
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
    rewarded_rollout,
    setup_tracing,
)

flush = setup_tracing()

from pydantic_ai import Agent  # noqa: E402
from pydantic_ai.models.instrumented import InstrumentationSettings  # noqa: E402
from pydantic_ai.models.openai import OpenAIChatModel  # noqa: E402
from pydantic_ai.providers.openai import OpenAIProvider  # noqa: E402

version = os.environ.get("PYDANTIC_AI_INSTRUMENTATION_VERSION")
settings = InstrumentationSettings(include_content=True, **({"version": int(version)} if version else {}))
Agent.instrument_all(settings)
model = OpenAIChatModel(MODEL, provider=OpenAIProvider(base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"]))


def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression and return the result.

    Args:
        expression: The arithmetic expression, e.g. 2 + 2
    """
    return calculate(expression)


def main() -> None:
    scenario = sys.argv[1] if len(sys.argv) > 1 else "single"
    if scenario == "single":
        agent = Agent(model, name="geography-tutor", system_prompt=SYSTEM_PROMPT)
        print(json.dumps({"answer": agent.run_sync(USER_QUESTION).output}))
        return
    if scenario != "tools":
        raise SystemExit(f"unknown scenario {scenario!r}")
    agent = Agent(model, name="calculator-agent", system_prompt=TOOL_SYSTEM_PROMPT, tools=[calculator])
    rewarded_rollout(lambda: agent.run_sync(TOOL_QUESTION).output)


try:
    main()
finally:
    flush()
