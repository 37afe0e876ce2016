"""A calculator agent on LlamaIndex (`llama-index-core`'s workflow `FunctionAgent`), traced by a third-party
LlamaIndex instrumentation, exporting with the standard OTLP exporters through a plain OTel SDK TracerProvider
(agent_common.setup_tracing).

The LLM is `OpenAILike(model="sim-small", api_base=OPENAI_BASE_URL, is_chat_model=True,
is_function_calling_model=True)` (llama-index-llms-openai-like; `llama_index.llms.openai.OpenAI` itself raises
"ValueError: Unknown model 'sim-small'" when the agent reads its metadata): Chat Completions against the SIMULATED model (examples/simulated-model, not a real
LLM). The FunctionAgent runs its own loop and tool calls; the tool is a `FunctionTool` over a plain function.
LLAMAINDEX_STREAM=0 builds the agent with `streaming=False` (the default, True, streams every model call).

LLAMAINDEX_TRACING picks the instrumentation (both hook LlamaIndex's instrumentation dispatcher):
  openinference  openinference-instrumentation-llama-index (Arize): content on by default; OpenInference
                 `llm.input_messages.*` / `llm.output_messages.*` flattened attributes on the LLM span;
  openllmetry    opentelemetry-instrumentation-llamaindex (Traceloop OpenLLMetry): content on with
                 TRACELOOP_TRACE_CONTENT=true (its default; the test sets it); `gen_ai.input.messages` /
                 `gen_ai.output.messages` JSON (OTel GenAI parts) on the LLM span, plus traceloop.entity.input /
                 traceloop.entity.output (LlamaIndex's own objects as JSON) on every span.

Nothing reaches the internet at run time: llama-index-core ships tiktoken's cl100k_base (the agent Memory's token
counter; it points TIKTOKEN_CACHE_DIR at its own _static/tiktoken_cache) and NLTK's data in its package, and has no
telemetry of its own.

Usage: python llamaindex_agent.py single|tools
"""

import asyncio
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

from opentelemetry import trace  # noqa: E402

TRACING = os.environ.get("LLAMAINDEX_TRACING", "openinference")
if TRACING == "openinference":
    from openinference.instrumentation.llama_index import LlamaIndexInstrumentor

    LlamaIndexInstrumentor().instrument(tracer_provider=trace.get_tracer_provider())
elif TRACING == "openllmetry":
    from opentelemetry.instrumentation.llamaindex import LlamaIndexInstrumentor

    LlamaIndexInstrumentor().instrument(tracer_provider=trace.get_tracer_provider())
else:
    raise SystemExit(f"unknown LLAMAINDEX_TRACING {TRACING!r}")

from llama_index.core.agent.workflow import FunctionAgent  # noqa: E402
from llama_index.core.tools import FunctionTool  # noqa: E402
from llama_index.llms.openai_like import OpenAILike  # noqa: E402

STREAM = os.environ.get("LLAMAINDEX_STREAM", "1") != "0"


def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression and return the result."""
    return calculate(expression)


def llm() -> OpenAILike:
    return OpenAILike(
        model=MODEL,
        api_base=os.environ["OPENAI_BASE_URL"],
        api_key=os.environ["OPENAI_API_KEY"],
        is_chat_model=True,
        is_function_calling_model=True,
        # A stream reports usage only when asked (llama-index-llms-openai drops this from unstreamed requests).
        additional_kwargs={"stream_options": {"include_usage": True}},
    )


async def run(name: str, system_prompt: str, question: str, tools: list) -> str:
    agent = FunctionAgent(name=name, llm=llm(), system_prompt=system_prompt, tools=tools, streaming=STREAM)
    return str(await agent.run(user_msg=question)).strip()


def main() -> None:
    scenario = sys.argv[1] if len(sys.argv) > 1 else "single"
    if scenario == "single":
        print(json.dumps({"answer": asyncio.run(run("geography-tutor", SYSTEM_PROMPT, USER_QUESTION, []))}))
        return
    if scenario != "tools":
        raise SystemExit(f"unknown scenario {scenario!r}")
    tool = FunctionTool.from_defaults(fn=calculator, name="calculator")
    rewarded_rollout(lambda: asyncio.run(run("calculator-agent", TOOL_SYSTEM_PROMPT, TOOL_QUESTION, [tool])))


try:
    main()
finally:
    flush()
