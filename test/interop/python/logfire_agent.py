"""An agent on the `openai` client, traced by Pydantic Logfire's OpenAI instrumentation (`logfire.instrument_openai()`),
with no Logfire token and nothing sent to Logfire's cloud (`send_to_logfire=False`).

Where spans go is decided by the standard OTLP variables only:
  - OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf: `logfire.configure()` itself adds an OTLP/HTTP span exporter (and a
    log exporter and a metric reader) when OTEL_EXPORTER_OTLP_ENDPOINT is set; that is Logfire's documented way to
    send to another OTLP backend.
  - OTEL_EXPORTER_OTLP_PROTOCOL=grpc: Logfire's own OTLP exporters are always OTLP/HTTP (they ignore the protocol),
    so they are turned off (OTEL_TRACES_EXPORTER / OTEL_LOGS_EXPORTER = none, no metrics) and the standard OTLP/gRPC
    span exporter is passed in `additional_span_processors`.

`logfire.configure()` sets the global TracerProvider (its resource reads OTEL_SERVICE_NAME and
OTEL_RESOURCE_ATTRIBUTES), so the scenario's root span (agent_common.run_scenario) is the parent of Logfire's
`Chat Completion with 'sim-small'` spans. Logfire records content by default: semconv version 2 (the default) puts
`gen_ai.input.messages` / `gen_ai.output.messages` (JSON strings of OTel GenAI messages) on the span; no logs.

LOGFIRE_OPENAI_SEMCONV picks `instrument_openai(version=...)`: 1, 2, latest or 1,2 (unset = Logfire's default).

Usage: python logfire_agent.py single|tools
"""

import os

from agent_common import protocol, run_scenario, span_exporter

grpc = protocol() == "grpc"
if grpc:
    os.environ["OTEL_TRACES_EXPORTER"] = "none"
    os.environ["OTEL_LOGS_EXPORTER"] = "none"

import logfire  # noqa: E402
from openai import OpenAI  # noqa: E402
from opentelemetry import trace  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: E402

logfire.configure(
    send_to_logfire=False,
    console=False,
    service_name=os.environ.get("OTEL_SERVICE_NAME"),
    additional_span_processors=[BatchSpanProcessor(span_exporter())] if grpc else None,
    metrics=False if grpc else None,
)
semconv = os.environ.get("LOGFIRE_OPENAI_SEMCONV")
versions = None if not semconv else [int(v) if v.isdigit() else v for v in semconv.split(",")]
client = OpenAI()
logfire.instrument_openai(client, **({"version": versions if len(versions) > 1 else versions[0]} if versions else {}))
try:
    run_scenario(client, trace.get_tracer("tracelight-interop-agent"))
finally:
    if not logfire.force_flush(30_000):
        raise SystemExit("logfire.force_flush timed out: tracelight did not take the export")
    logfire.shutdown()
