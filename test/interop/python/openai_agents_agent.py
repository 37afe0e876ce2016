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
import json
import os
import sys

from agent_common import MODEL, TOOL_QUESTION, TOOL_SYSTEM_PROMPT, calculate, score, setup_tracing

flush = setup_tracing()

from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool  # noqa: E402
from openai import AsyncOpenAI  # noqa: E402
from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor  # noqa: E402
from opentelemetry import trace  # noqa: E402

OpenAIAgentsInstrumentor().instrument()


@function_tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression and return the result.

    Args:
        expression: The arithmetic expression, e.g. 2 + 2
    """
    return calculate(expression)


async def main() -> None:
    scenario = sys.argv[1] if len(sys.argv) > 1 else "tools"
    if scenario != "tools":
        raise SystemExit(f"unknown scenario {scenario!r} (this agent has only `tools`)")
    agent = Agent(
        name="calculator-agent",
        instructions=TOOL_SYSTEM_PROMPT,
        model=OpenAIChatCompletionsModel(model=MODEL, openai_client=AsyncOpenAI()),
        tools=[calculator],
    )
    tracer = trace.get_tracer("tracelight-interop-agent")
    with tracer.start_as_current_span("agent-run", attributes={"tracelight.rollout.id": os.environ["TRACELIGHT_ROLLOUT_ID"]}) as root:
        result = await Runner.run(agent, TOOL_QUESTION, max_turns=8)
        answer = str(result.final_output)
        value = score(answer)
        root.add_event(
            "gen_ai.evaluation.result",
            {
                "gen_ai.evaluation.name": "correct",
                "gen_ai.evaluation.score.value": value,
                "gen_ai.evaluation.explanation": f"expected 42, the agent answered {answer!r}",
            },
        )
    print(json.dumps({"answer": answer, "reward": value}))


try:
    asyncio.run(main())
finally:
    flush()
