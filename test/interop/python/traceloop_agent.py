"""An agent on the `openai` client, traced by OpenLLMetry (`traceloop-sdk`, Traceloop).

`Traceloop.init()` builds the TracerProvider and instruments the `openai` client with OpenLLMetry's
`opentelemetry-instrumentation-openai`. Its own endpoint settings (TRACELOOP_BASE_URL) are not used here: the
standard OTLP exporter for OTEL_EXPORTER_OTLP_PROTOCOL is passed in, so OTEL_EXPORTER_OTLP_ENDPOINT decides where
spans go. Prompts and completions are span attributes (content tracing is on by default,
TRACELOOP_TRACE_CONTENT); no logs.

Usage: python traceloop_agent.py single|tools
"""

import os

from agent_common import run_scenario, span_exporter

from openai import OpenAI
from opentelemetry import trace
from traceloop.sdk import Traceloop

# app_name becomes service.name (Traceloop sets it over OTEL_SERVICE_NAME); its own telemetry is off.
Traceloop.init(app_name=os.environ.get("OTEL_SERVICE_NAME", "traceloop-agent"), exporter=span_exporter(), telemetry_enabled=False)
try:
    run_scenario(OpenAI(), trace.get_tracer("tracelight-interop-agent"))
finally:
    provider = trace.get_tracer_provider()
    if not provider.force_flush(30_000):
        raise SystemExit("force_flush timed out: tracelight did not take the export")
    provider.shutdown()
