"""A calculator agent on LangGraph (`langgraph.prebuilt.create_react_agent` with langchain-openai's
`ChatOpenAI(model="sim-small")` and a `@tool` calculator), traced by LangChain's instrumentation of one of two
projects, picked by LANGGRAPH_TRACING:

  openinference  `openinference-instrumentation-langchain` (Arize): `LangChainInstrumentor().instrument()`; content is
                 recorded by default, as flattened span attributes (`llm.input_messages.{i}.message.*`, ...).
  openllmetry    `opentelemetry-instrumentation-langchain` (Traceloop's OpenLLMetry): `LangchainInstrumentor().instrument()`;
                 content only with TRACELOOP_TRACE_CONTENT=true (the test sets it), as span attributes
                 (`use_attributes` defaults to True; False would move content to log events).

Both hook LangChain's callback system, so they see LangGraph's graph and node runs (chain spans) as well as the
ChatOpenAI calls (the inference spans) and the tool runs. The model is the SIMULATED one at OPENAI_BASE_URL.

Scenario `tools` only: the run happens under a root span "agent-run" carrying `tracelight.rollout.id`
(TRACELIGHT_ROLLOUT_ID) and ending with a `gen_ai.evaluation.result` event (reward 1 when the answer holds 42).

Usage: LANGGRAPH_TRACING=openinference|openllmetry python langgraph_agent.py tools
"""

import os
import sys

from agent_common import MODEL, TOOL_QUESTION, TOOL_SYSTEM_PROMPT, calculate, rewarded_rollout, setup_tracing

flush = setup_tracing()

TRACING = os.environ.get("LANGGRAPH_TRACING", "")
if TRACING == "openinference":
    from openinference.instrumentation.langchain import LangChainInstrumentor

    LangChainInstrumentor().instrument()
elif TRACING == "openllmetry":
    from opentelemetry.instrumentation.langchain import LangchainInstrumentor

    LangchainInstrumentor().instrument()
else:
    raise SystemExit(f"LANGGRAPH_TRACING must be openinference or openllmetry, not {TRACING!r}")

from langchain_core.tools import tool  # noqa: E402
from langchain_openai import ChatOpenAI  # noqa: E402
from langgraph.prebuilt import create_react_agent  # noqa: E402


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
    # ChatOpenAI reads OPENAI_API_KEY; the base URL is passed as the simulated model's /v1.
    model = ChatOpenAI(model=MODEL, base_url=os.environ["OPENAI_BASE_URL"])
    agent = create_react_agent(model, [calculator], prompt=TOOL_SYSTEM_PROMPT)
    rewarded_rollout(lambda: str(agent.invoke({"messages": [("user", TOOL_QUESTION)]}, {"recursion_limit": 16})["messages"][-1].content))


try:
    main()
finally:
    flush()
