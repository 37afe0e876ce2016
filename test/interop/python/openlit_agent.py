"""An agent on the plain `openai` client, traced by OpenLIT (`openlit.init(...)`, OpenTelemetry-native auto-instrumentation).

`openlit.init()` builds the global TracerProvider (and a LoggerProvider for its gen_ai events, and a MeterProvider)
from the standard environment: OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL (its exporters are the
OTLP/gRPC ones for `grpc`, else OTLP/HTTP), OTEL_SERVICE_NAME (its application / service name),
OTEL_RESOURCE_ATTRIBUTES; then it instruments every library it finds installed (here openai, and the HTTP clients
requests / urllib3 / httpx / urllib / aiohttp, which OpenLIT depends on).

Content capture: `capture_message_content=True` (OpenLIT's default; OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT
=false would turn it off). No network: OpenLIT downloads its model price list from GitHub at init unless given
`pricing_json`; the script passes it a local file with no prices (OPENLIT_PRICING_JSON is the variable for it).

agent_common's scenarios run unchanged on `openai.OpenAI()` (OPENAI_BASE_URL, OPENAI_API_KEY).

Usage: python openlit_agent.py single|tools
"""

import json
import os
import tempfile

from agent_common import run_scenario

_pricing = os.path.join(tempfile.mkdtemp(prefix="openlit-pricing-"), "pricing.json")
with open(_pricing, "w", encoding="utf-8") as f:
    json.dump({"chat": {}, "embeddings": {}, "images": {}, "audio": {}}, f)

import openlit  # noqa: E402

openlit.init(capture_message_content=True, pricing_json=_pricing)

from openai import OpenAI  # noqa: E402
from opentelemetry import _logs, metrics, trace  # noqa: E402


def flush() -> None:
    for provider in (trace.get_tracer_provider(), _logs.get_logger_provider(), metrics.get_meter_provider()):
        force_flush = getattr(provider, "force_flush", None)
        if force_flush is None:
            continue
        if force_flush(30_000) is False:
            raise SystemExit(f"{type(provider).__name__}.force_flush timed out: tracelight did not take the export")
        provider.shutdown()


try:
    run_scenario(OpenAI(), trace.get_tracer("tracelight-interop-agent"))
finally:
    flush()
