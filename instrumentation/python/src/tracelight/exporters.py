"""The exporting processors init() installs, chosen from the standard variables (mirrors instrumentation/sdk/exporters.ts).

init() must put the baggage processor before the exporting ones, so it builds them itself, from the variables
an OpenTelemetry SDK reads: OTEL_{TRACES,LOGS}_EXPORTER (`otlp`, the default; `console`; `none`),
OTEL_EXPORTER_OTLP_[{TRACES,LOGS}_]PROTOCOL (`http/protobuf`, the default, or `grpc`; `http/json` has no
Python exporter and is sent as protobuf), OTEL_BSP_* / OTEL_BLRP_* (read by the batch processors). Endpoint,
timeout, compression and TLS are read by the OTLP exporters themselves; headers are merged here (below).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from opentelemetry.sdk._logs import LogRecordProcessor
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, ConsoleLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

from .config import Protocol, Signal, env, signal_headers, signal_url

_log = logging.getLogger("tracelight")

_KNOWN_EXPORTERS = ("otlp", "console")


def exporter_names(signal: Signal) -> list[str]:
    """The exporters OTEL_<SIGNAL>_EXPORTER names that the SDK can honour (`otlp` when unset; `none` → none)."""
    variable = f"OTEL_{signal.upper()}_EXPORTER"
    names = list(dict.fromkeys(n.strip() for n in (env(variable) or "").split(",") if n.strip() not in ("", "null")))
    if "none" in names:
        return []
    for name in names:
        if name not in _KNOWN_EXPORTERS:
            _log.warning("tracelight: %s value %r is not supported here (otlp, console, none)", variable, name)
    known = [n for n in names if n in _KNOWN_EXPORTERS]
    return known if names else ["otlp"]


def export_headers(signal: Signal, headers: Mapping[str, str] | None, api_key: str | None) -> dict[str, str] | None:
    """The environment's headers, then the option's, then `authorization: Bearer <key>` (unless one is given).

    Merged here because the exporters of OTel 1.39 drop the environment's headers as soon as any are passed in
    (1.45 merges them). Lower-case keys: gRPC metadata must be.
    """
    merged = signal_headers(signal)
    merged.update({k.lower(): v for k, v in (headers or {}).items()})
    key = api_key if api_key is not None else env("TRACELIGHT_API_KEY")
    if key and "authorization" not in merged:
        merged["authorization"] = f"Bearer {key}"
    return merged or None


def _otlp_span_exporter(protocol: Protocol, endpoint: str | None, headers: dict[str, str] | None) -> Any:
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter

        # No endpoint: the exporter reads OTEL_EXPORTER_OTLP_{TRACES_,}ENDPOINT, else localhost:4317.
        return GrpcSpanExporter(endpoint=endpoint, headers=headers)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter

    return HttpSpanExporter(endpoint=signal_url(endpoint, "traces") if endpoint else None, headers=headers)


def _otlp_log_exporter(protocol: Protocol, endpoint: str | None, headers: dict[str, str] | None) -> Any:
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter

        return GrpcLogExporter(endpoint=endpoint, headers=headers)
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogExporter

    return HttpLogExporter(endpoint=signal_url(endpoint, "logs") if endpoint else None, headers=headers)


def _delay(variable: str, default_ms: float) -> float | None:
    # None lets the batch processor read OTEL_BSP_SCHEDULE_DELAY / OTEL_BLRP_SCHEDULE_DELAY itself.
    return None if env(variable) else default_ms


def span_processors(protocol: Protocol, endpoint: str | None, headers: dict[str, str] | None, delay_ms: float) -> list[SpanProcessor]:
    """Processors for OTEL_TRACES_EXPORTER (`none` → [])."""
    out: list[SpanProcessor] = []
    for name in exporter_names("traces"):
        if name == "console":
            out.append(SimpleSpanProcessor(ConsoleSpanExporter()))
        else:
            out.append(BatchSpanProcessor(_otlp_span_exporter(protocol, endpoint, headers), schedule_delay_millis=_delay("OTEL_BSP_SCHEDULE_DELAY", delay_ms)))
    return out


def log_record_processors(protocol: Protocol, endpoint: str | None, headers: dict[str, str] | None, delay_ms: float) -> list[LogRecordProcessor]:
    """Processors for OTEL_LOGS_EXPORTER (`none` → [])."""
    out: list[LogRecordProcessor] = []
    for name in exporter_names("logs"):
        if name == "console":
            out.append(SimpleLogRecordProcessor(ConsoleLogRecordExporter()))
        else:
            out.append(
                BatchLogRecordProcessor(_otlp_log_exporter(protocol, endpoint, headers), schedule_delay_millis=_delay("OTEL_BLRP_SCHEDULE_DELAY", delay_ms))
            )
    return out
