"""An AG2 (`ag2`, the AutoGen 0.2 line's successor: `import autogen`) two-agent calculator chat with AG2's own
OpenTelemetry tracing (`autogen.opentelemetry`: `instrument_agent(agent, tracer_provider=...)` for each agent and
`instrument_llm_wrapper(tracer_provider=..., capture_messages=True)` for the model calls; content capture is opt-in
there, turned on here as AG2's tracing guide shows).

A `ConversableAgent` assistant (system message = the scenario's system prompt, an `LLMConfig` for the
OpenAI-compatible model `sim-small` at OPENAI_BASE_URL) proposes calculator calls and a `ConversableAgent` user proxy
(no LLM, human_input_mode NEVER) executes them: `register_function(calculator, caller=assistant, executor=user)`.
The user proxy starts the chat with the question and ends it when the assistant answers without a tool call
(`is_termination_msg`), so there are exactly three model calls.

Scenario `tools` only: the chat runs under a root span "agent-run" carrying `tracelight.rollout.id`
(TRACELIGHT_ROLLOUT_ID) and ending with a `gen_ai.evaluation.result` event (reward 1 when the answer holds 42).

Usage: python ag2_agent.py tools
"""

import os
import sys
from typing import Annotated, Any

from agent_common import MODEL, TOOL_QUESTION, TOOL_SYSTEM_PROMPT, calculate, rewarded_rollout, setup_tracing

flush = setup_tracing()

from autogen import ConversableAgent, LLMConfig, register_function  # noqa: E402
from autogen.opentelemetry import instrument_agent, instrument_llm_wrapper  # noqa: E402
from opentelemetry import trace  # noqa: E402

tracer_provider = trace.get_tracer_provider()
instrument_llm_wrapper(tracer_provider=tracer_provider, capture_messages=True)


def calculator(expression: Annotated[str, "The arithmetic expression, e.g. 2 + 2"]) -> str:
    return calculate(expression)


def answered(message: dict[str, Any]) -> bool:
    """The assistant's text answer (no tool call) ends the chat."""
    return not message.get("tool_calls") and bool(message.get("content"))


def main() -> None:
    scenario = sys.argv[1] if len(sys.argv) > 1 else "tools"
    if scenario != "tools":
        raise SystemExit(f"unknown scenario {scenario!r} (this agent has only `tools`)")
    llm_config = LLMConfig(
        {"api_type": "openai", "model": MODEL, "base_url": os.environ["OPENAI_BASE_URL"], "api_key": os.environ["OPENAI_API_KEY"]},
        cache_seed=None,
    )
    tracer = trace.get_tracer("tracelight-interop-agent")

    def chat() -> str:
        assistant = ConversableAgent(name="calculator_agent", system_message=TOOL_SYSTEM_PROMPT, llm_config=llm_config)
        user = ConversableAgent(
            name="user", llm_config=False, human_input_mode="NEVER", is_termination_msg=answered, code_execution_config=False
        )
        register_function(
            calculator, caller=assistant, executor=user, description="Evaluate an arithmetic expression and return the result."
        )
        instrument_agent(assistant, tracer_provider=tracer_provider)
        instrument_agent(user, tracer_provider=tracer_provider)
        result = user.initiate_chat(assistant, message=TOOL_QUESTION, max_turns=8, summary_method="last_msg", silent=True)
        return str(result.chat_history[-1].get("content") or "").strip()

    rewarded_rollout(chat, tracer)


try:
    main()
finally:
    flush()
