"""An agent on the `openai` client, traced by OpenInference (`openinference-instrumentation-openai`, Arize).

OpenInference records prompts and completions by default, as flattened span attributes
(`llm.input_messages.{i}.message.*`, `llm.output_messages.{i}.message.*`, `llm.token_count.*`, `llm.tools.*`),
on spans with `openinference.span.kind` = LLM. No logs are involved.

Usage: python openinference_agent.py single|tools
"""

from agent_common import run_scenario, setup_tracing

flush = setup_tracing()

from openai import OpenAI  # noqa: E402
from openinference.instrumentation.openai import OpenAIInstrumentor  # noqa: E402
from opentelemetry import trace  # noqa: E402

OpenAIInstrumentor().instrument()
try:
    run_scenario(OpenAI(), trace.get_tracer("tracelight-interop-agent"))
finally:
    flush()
