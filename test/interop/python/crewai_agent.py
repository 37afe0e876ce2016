"""A one-agent CrewAI crew (`crewai`: Agent + Task + Crew, CrewAI's own agent loop and native tool calling) with a
`@tool` calculator, traced with OpenInference as CrewAI's observability docs recommend for OpenTelemetry
(Arize Phoenix / OpenInference): `CrewAIInstrumentor().instrument()` for the crew, task, agent and tool spans, and
`OpenAIInstrumentor().instrument()` for the model calls (CrewAI 1.x talks to `openai/...` models through its native
OpenAI provider, i.e. the `openai` SDK, not LiteLLM, so the LiteLLM instrumentation would see nothing). OpenInference
records content by default (OPENINFERENCE_HIDE_* unset).

The model is `crewai.LLM(model="openai/sim-small", base_url=OPENAI_BASE_URL)`, the SIMULATED OpenAI-compatible model.
CrewAI builds its own prompt from the agent and the task: the system message is its `role_playing` slice
("You are {role}. {backstory}\\nYour personal goal is: {goal}"), the user message its `native_task` slice
("\\nCurrent Task: {description}") plus the task's expected-output criteria. The scenario's system prompt is the
backstory, its question the task description.

CrewAI's own telemetry is turned off with CREWAI_DISABLE_TELEMETRY=true (not OTEL_SDK_DISABLED, which CrewAI also
honours but which would turn this process's OpenTelemetry SDK, and so the exporter, into a no-op), its trace upload
and first-run consent prompt with CREWAI_TRACING_ENABLED=false, and its PyPI version check with
CREWAI_DISABLE_VERSION_CHECK=true. CrewAI also writes local state under the user's home on every run, with no
setting to turn it off (~/.local/share/<cwd name>/latest_kickoff_task_outputs.db, an encryption key for its CLI
tokens in ~/.local/share/crewai/credentials/, ~/.config/crewai/): HOME is pointed into the working directory (the
harness's temporary one) before CrewAI is imported, so that nothing lands in the real home.

Scenario `tools` only: the crew runs under a root span "agent-run" carrying `tracelight.rollout.id`
(TRACELIGHT_ROLLOUT_ID) and ending with a `gen_ai.evaluation.result` event (reward 1 when the answer holds 42).

Usage: python crewai_agent.py tools
"""

import os

os.environ.setdefault("CREWAI_DISABLE_TELEMETRY", "true")
os.environ.setdefault("CREWAI_TRACING_ENABLED", "false")
os.environ.setdefault("CREWAI_DISABLE_VERSION_CHECK", "true")
os.environ["HOME"] = os.path.join(os.getcwd(), "crewai-home")

import sys  # noqa: E402

from agent_common import MODEL, TOOL_QUESTION, TOOL_SYSTEM_PROMPT, calculate, rewarded_rollout, setup_tracing  # noqa: E402

flush = setup_tracing()

from openinference.instrumentation.crewai import CrewAIInstrumentor  # noqa: E402
from openinference.instrumentation.openai import OpenAIInstrumentor  # noqa: E402

CrewAIInstrumentor().instrument()
OpenAIInstrumentor().instrument()

from crewai import LLM, Agent, Crew, Task  # noqa: E402
from crewai.tools import tool  # noqa: E402

ROLE = "Calculator"
GOAL = "Answer arithmetic questions correctly"
EXPECTED_OUTPUT = "The result of the arithmetic"


@tool("calculator")
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression and return the result."""
    return calculate(expression)


def main() -> None:
    scenario = sys.argv[1] if len(sys.argv) > 1 else "tools"
    if scenario != "tools":
        raise SystemExit(f"unknown scenario {scenario!r} (this agent has only `tools`)")
    llm = LLM(model=f"openai/{MODEL}", base_url=os.environ["OPENAI_BASE_URL"], api_key=os.environ["OPENAI_API_KEY"])
    agent = Agent(role=ROLE, goal=GOAL, backstory=TOOL_SYSTEM_PROMPT, tools=[calculator], llm=llm, verbose=False)
    task = Task(description=TOOL_QUESTION, expected_output=EXPECTED_OUTPUT, agent=agent)
    crew = Crew(agents=[agent], tasks=[task], verbose=False)
    rewarded_rollout(lambda: str(crew.kickoff()).strip())


try:
    main()
finally:
    flush()
