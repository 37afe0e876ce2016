"""An agent on the `openai` client, traced by the OTel GenAI OpenAI instrumentation
(`opentelemetry-instrumentation-openai-v2`).

Content capture follows the instrumentation's own variables: OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT
(`true` on its default, semconv 1.30 path, where prompts and completions go out as OTLP log events
`gen_ai.system.message`, `gen_ai.user.message`, `gen_ai.assistant.message`, `gen_ai.tool.message`,
`gen_ai.choice`), or, with OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental, `span_only` /
`event_only` / `span_and_event` (the current `gen_ai.input.messages` / `gen_ai.output.messages` /
`gen_ai.system_instructions`, on the span and/or on a `gen_ai.client.inference.operation.details` log event).
Both paths need a LoggerProvider for their events, so one is always configured.

Usage: python openai_v2_agent.py single|tools
"""

from agent_common import run_scenario, setup_tracing

flush = setup_tracing(with_logs=True)

from openai import OpenAI  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor  # noqa: E402

OpenAIInstrumentor().instrument()
try:
    run_scenario(OpenAI(), trace.get_tracer("tracelight-interop-agent"))
finally:
    flush()
