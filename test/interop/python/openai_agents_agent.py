"""A calculator agent on the OpenAI Agents SDK (`openai-agents`), traced by OpenInference
(`openinference-instrumentation-openai-agents`, Arize).

The SDK's own agent loop and tool calling: an `Agent` with a `@function_tool` calculator, run by `Runner.run`,
on `OpenAIChatCompletionsModel(model="sim-small", openai_client=AsyncOpenAI())` (Chat Completions, not the
Responses API), against the SIMULATED model at OPENAI_BASE_URL.

Tracing: the SDK has a tracing layer of its own (traces and spans handed to TracingProcessors; by default one that
exports to OpenAI's backend). `OpenAIAgentsInstrumentor().instrument()` registers OpenInference's processor
exclusively (exclusive_processor defaults to True), replacing the SDK's default OpenAI exporter, so nothing is sent
to OpenAI and no tracing key is needed. `set_tracing_disabled(True)` must NOT be called: it turns off the SDK's
trace provider, and with it every processor, OpenInference's included (no spans at all). OpenInference records
content by default (OPENINFERENCE_HIDE_* unset), on the spans only; no logs.

Scenario `tools` only: the run happens under a root span "agent-run" carrying `tracelight.rollout.id`
(TRACELIGHT_ROLLOUT_ID) and ending with a `gen_ai.evaluation.result` event (reward 1 when the answer holds 42).

Usage: python openai_agents_agent.py tools
"""

import asyncio
import sys

from agent_common import MODEL, TOOL_QUESTION, TOOL_SYSTEM_PROMPT, calculate, rewarded_rollout, setup_tracing

flush = setup_tracing()

from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool  # noqa: E402
from openai import AsyncOpenAI  # noqa: E402
from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor  # noqa: E402

OpenAIAgentsInstrumentor().instrument()


@function_tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression and return the result.

    Args:
        expression: The arithmetic expression, e.g. 2 + 2
    """
    return calculate(expression)


def main() -> None:
    scenario = sys.argv[1] if len(sys.argv) > 1 else "tools"
    if scenario != "tools":
        raise SystemExit(f"unknown scenario {scenario!r} (this agent has only `tools`)")
    agent = Agent(
        name="calculator-agent",
        instructions=TOOL_SYSTEM_PROMPT,
        model=OpenAIChatCompletionsModel(model=MODEL, openai_client=AsyncOpenAI()),
        tools=[calculator],
    )
    rewarded_rollout(lambda: str(asyncio.run(Runner.run(agent, TOOL_QUESTION, max_turns=8)).final_output))


try:
    main()
finally:
    flush()
