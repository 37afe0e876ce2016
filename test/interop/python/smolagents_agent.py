"""A calculator agent on smolagents (Hugging Face) `ToolCallingAgent`, traced by OpenInference.

The agent is smolagents' own tool-calling loop (`ToolCallingAgent`, the `@tool` calculator and smolagents' built-in
`final_answer` tool, which ends a run) on `OpenAIServerModel(model_id="sim-small", api_base=OPENAI_BASE_URL)`, so
every model call is a chat-completions request (`tool_choice: "required"`, `stop: ["Observation:", "Calling
tools:"]`) to the SIMULATED model (not a real LLM). The scenario's system prompt goes in as the agent's
`instructions`, which smolagents appends to its own system prompt template.

Tracing: `openinference-instrumentation-smolagents` (Arize OpenInference), `SmolagentsInstrumentor().instrument()` on
agent_common's global TracerProvider; content is recorded by default (flattened `llm.input_messages.*` /
`llm.output_messages.*` span attributes). No network: smolagents makes no calls of its own here; HF_HUB_OFFLINE=1 and
HF_HUB_DISABLE_TELEMETRY=1 keep the huggingface_hub it imports from trying the Hub.

Scenario `tools` only: the run happens under a root span "agent-run" carrying `tracelight.rollout.id`
(TRACELIGHT_ROLLOUT_ID) and ending with a `gen_ai.evaluation.result` event (reward 1 when the answer holds 42).

Usage: python smolagents_agent.py tools
"""

import os
import sys

from agent_common import MODEL, TOOL_QUESTION, TOOL_SYSTEM_PROMPT, calculate, rewarded_rollout, setup_tracing

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

flush = setup_tracing()

from openinference.instrumentation.smolagents import SmolagentsInstrumentor  # noqa: E402

SmolagentsInstrumentor().instrument()

from smolagents import LogLevel, OpenAIServerModel, ToolCallingAgent, tool  # noqa: E402


@tool
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
    model = OpenAIServerModel(model_id=MODEL, api_base=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"])
    agent = ToolCallingAgent(
        tools=[calculator],
        model=model,
        instructions=TOOL_SYSTEM_PROMPT,
        name="calculator_agent",
        max_steps=6,
        verbosity_level=LogLevel.OFF,
    )
    rewarded_rollout(lambda: str(agent.run(TOOL_QUESTION)))


try:
    main()
finally:
    flush()
