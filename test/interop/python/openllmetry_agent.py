"""An agent on the `openai` client, traced by OpenLLMetry's OpenAI instrumentation on its own
(`opentelemetry-instrumentation-openai` from traceloop/openllmetry, the package `traceloop-sdk` wraps), with a plain
OpenTelemetry SDK setup. Releases up to 0.52.x write the legacy indexed attributes (`gen_ai.prompt.{i}.*`,
`gen_ai.completion.{i}.*`, `llm.request.type`); later ones the OTel GenAI `gen_ai.input.messages` /
`gen_ai.output.messages`. Content goes on the span (TRACELOOP_TRACE_CONTENT, default true); no logs.

Usage: python openllmetry_agent.py single|tools
"""

from agent_common import run_scenario, setup_tracing

flush = setup_tracing()

from openai import OpenAI  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.instrumentation.openai import OpenAIInstrumentor  # noqa: E402

OpenAIInstrumentor().instrument()
try:
    run_scenario(OpenAI(), trace.get_tracer("tracelight-interop-agent"))
finally:
    flush()
