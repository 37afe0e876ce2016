"""init(): OpenTelemetry for an agent, pointed at tracelight (mirrors instrumentation/sdk/otel.ts).

Traces and logs (GenAI instrumentations put prompt and completion content in log records on some of their
paths) over OTLP — HTTP/protobuf to port 4318 by default, gRPC when OTEL_EXPORTER_OTLP_PROTOCOL says so
(exporters.py); the baggage span processor that puts rollout ids on every span, ahead of the exporting ones;
and the GenAI instrumentations that are installed, with content capture on (training needs the content). No
metrics: tracelight answers UNIMPLEMENTED for them, so no MeterProvider is made and nothing tries to export one.

W3C trace-context and baggage propagation are the Python SDK's default already (OTEL_PROPAGATORS), and
contextvars carry the context across `await`, so neither needs setting up as in Node.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace
from opentelemetry._logs import get_logger_provider, set_logger_provider
from opentelemetry.sdk._logs import LoggerProvider, LogRecordProcessor
from opentelemetry.sdk.resources import OTELResourceDetector, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.sampling import Sampler

from .attributes import SDK_SCOPE
from .baggage_processor import BaggageKeyPredicate, BaggageSpanProcessor, tracelight_baggage_keys
from .config import Protocol, Signal, env_bool, resolve_api_key, resolve_server_url, signal_protocol
from .content_capture import apply_content_capture
from .exporters import export_headers
from .exporters import log_record_processors as log_record_processors_from_env
from .exporters import span_processors as span_processors_from_env
from .instrumentations import ActiveInstrumentation, disable_all, enable_extra, enable_known
from .version import __version__

_log = logging.getLogger("tracelight")

#: Longest the exit hook waits for the last spans to be taken by tracelight.
EXIT_FLUSH_TIMEOUT_MS = 10_000


@dataclass
class TracelightHandle:
    """The running SDK: its providers, what it instrumented, and flush / shutdown."""

    tracer_provider: TracerProvider
    logger_provider: LoggerProvider
    resource: Resource
    #: The protocol each signal is exported with.
    protocols: Mapping[Signal, Protocol]
    #: Whether GenAI content capture is on, and the value OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT got.
    capture_content: bool
    capture_setting: str
    _active: list[ActiveInstrumentation] = field(default_factory=list, repr=False)
    _shut_down: bool = field(default=False, repr=False)

    @property
    def instrumented(self) -> list[str]:
        """Libraries traced by an instrumentation init() turned on (e.g. `['openai']`)."""
        return [a.library for a in self._active]

    @property
    def instrumentations(self) -> list[str]:
        """The distributions of those instrumentations (e.g. `['opentelemetry-instrumentation-openai-v2']`)."""
        return [a.distribution for a in self._active]

    def flush(self, timeout_ms: int = 30_000) -> bool:
        """Exports everything buffered now; False when tracelight did not take it within the timeout."""
        spans = self.tracer_provider.force_flush(timeout_ms)
        logs = self.logger_provider.force_flush(timeout_ms)
        return bool(spans) and bool(logs)

    def shutdown(self) -> None:
        """Flushes, stops exporting, turns the instrumentations off. A later init() makes new providers (OTel
        Python lets the global providers be set only once per process: spans made through the global API
        then still go to the first ones; the SDK's own spans and instrumentations use the new ones)."""
        global _current, _api_defaults
        with _lock:
            if self._shut_down:
                return
            self._shut_down = True
            disable_all(self._active)
            try:
                self.tracer_provider.shutdown()
                self.logger_provider.shutdown()
            finally:
                if _current is self:
                    _current = None
                    _api_defaults = {}


_lock = threading.RLock()
_current: TracelightHandle | None = None
#: The server and key given to init(), which the REST clients (resources, runner) use when given none.
_api_defaults: dict[str, str | None] = {}
_exit_hook_registered = False


def current_handle() -> TracelightHandle | None:
    """The running SDK, if init() was called (and not shut down)."""
    return _current


def sdk_tracer() -> trace.Tracer:
    """The tracer of the SDK's own spans (rollout roots, lone rewards): the running SDK's, else the global one."""
    handle = _current
    provider = handle.tracer_provider if handle else trace.get_tracer_provider()
    return provider.get_tracer(SDK_SCOPE, __version__)


def default_api_target() -> tuple[str, str]:
    """The REST API base URL and key the SDK's clients use when given none: init()'s endpoint / api_key, else
    the environment (TRACELIGHT_URL, OTEL_EXPORTER_OTLP_ENDPOINT, TRACELIGHT_API_KEY, the bearer token in
    OTEL_EXPORTER_OTLP_HEADERS), else http://localhost:4318 without a key."""
    return resolve_server_url(_api_defaults.get("server")), resolve_api_key(_api_defaults.get("api_key"))


def _logger_provider_is_free() -> bool:
    try:
        from opentelemetry._logs._internal import ProxyLoggerProvider
    except ImportError:  # a layout this SDK does not know: try, and let the API warn if it is taken
        return True
    return isinstance(get_logger_provider(), ProxyLoggerProvider)


def _flush_at_exit() -> None:
    handle = _current
    if handle is not None:
        try:
            handle.flush(EXIT_FLUSH_TIMEOUT_MS)
        except Exception as err:  # at exit there is nobody left to raise to
            _log.warning("tracelight: flushing at exit failed: %s", err)


def _resource(service_name: str | None, resource_attributes: Mapping[str, Any] | None) -> Resource:
    # As the TypeScript SDK: the code's attributes are defaults that OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME
    # override (the deployment has the last word), except `service_name`, which is over OTEL_SERVICE_NAME.
    attributes: dict[str, Any] = {**(resource_attributes or {}), **OTELResourceDetector().detect().attributes}
    if service_name:
        attributes["service.name"] = service_name
    return Resource.create(attributes)


def init(
    endpoint: str | None = None,
    *,
    api_key: str | None = None,
    headers: Mapping[str, str] | None = None,
    service_name: str | None = None,
    resource_attributes: Mapping[str, Any] | None = None,
    sampler: Sampler | None = None,
    capture_content: bool | None = None,
    instrument: bool = True,
    instrumentations: Iterable[Any] = (),
    protocol: str | None = None,
    baggage_keys: BaggageKeyPredicate | None = None,
    span_processors: Iterable[SpanProcessor] = (),
    log_record_processors: Iterable[LogRecordProcessor] = (),
    export_interval_ms: int = 1000,
) -> TracelightHandle:
    """Starts OpenTelemetry for tracelight and returns a handle. Idempotent: a second call returns the running
    handle (its options are ignored; call shutdown() first to start with others).

    endpoint: base OTLP endpoint, e.g. `http://tracelight:4318` (`/v1/traces` and `/v1/logs` are appended for
        OTLP/HTTP) or `http://tracelight:4317` with gRPC. Default: OTEL_EXPORTER_OTLP_ENDPOINT and the
        per-signal OTEL_EXPORTER_OTLP_{TRACES,LOGS}_ENDPOINT, else the protocol's localhost default (4318, gRPC 4317).
    api_key: sent as `Authorization: Bearer <key>` (gRPC metadata under grpc). Default: TRACELIGHT_API_KEY,
        else none (OTEL_EXPORTER_OTLP_HEADERS still applies).
    headers: more export headers, over OTEL_EXPORTER_OTLP_HEADERS.
    service_name: `service.name`, over OTEL_SERVICE_NAME. Default: OTEL_SERVICE_NAME, else `service.name` in
        OTEL_RESOURCE_ATTRIBUTES, else `unknown_service`.
    resource_attributes: default resource attributes; OTEL_RESOURCE_ATTRIBUTES overrides them.
    sampler: over OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (default: parent-based always-on).
    capture_content: prompt and completion content in the GenAI instrumentations. Default: what
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT says (`false` turns it off), else on.
    instrument: turn on the GenAI instrumentations that are installed (default True).
    instrumentations: further OpenTelemetry instrumentors to wire to these providers and turn on.
    protocol: `http/protobuf` or `grpc`, over OTEL_EXPORTER_OTLP_[{TRACES,LOGS}_]PROTOCOL (default http/protobuf).
    baggage_keys: which baggage entries are copied onto spans (default: keys starting with `tracelight.`).
    span_processors / log_record_processors: more processors (e.g. an in-memory exporter in tests), after the
        exporting ones (which OTEL_{TRACES,LOGS}_EXPORTER choose: otlp, console, none).
    export_interval_ms: batch export delay when OTEL_BSP_SCHEDULE_DELAY / OTEL_BLRP_SCHEDULE_DELAY are unset
        (default 1000 ms: a rollout is short, and the trainer waits for its spans).

    OTEL_SDK_DISABLED=true: nothing is recorded, exported or instrumented (the handle still works). No
    MeterProvider is made: tracelight stores traces and logs, and answers UNIMPLEMENTED for metrics.
    """
    global _current, _api_defaults, _exit_hook_registered
    with _lock:
        extra_instrumentations = list(instrumentations)
        extra_span_processors = list(span_processors)
        extra_log_processors = list(log_record_processors)
        if _current is not None:
            given = [endpoint, api_key, headers, service_name, resource_attributes, sampler, capture_content, protocol, baggage_keys]
            if any(v is not None for v in given) or extra_instrumentations or extra_span_processors or extra_log_processors:
                _log.warning("tracelight: init() already ran; its new options are ignored (call shutdown() first to change them)")
            return _current

        disabled = env_bool("OTEL_SDK_DISABLED") is True
        protocols: dict[Signal, Protocol] = {"traces": signal_protocol("traces", protocol), "logs": signal_protocol("logs", protocol)}
        resource = _resource(service_name, resource_attributes)

        # The SDK's providers read OTEL_SDK_DISABLED themselves (their tracers and loggers are no-ops then).
        tracer_provider = TracerProvider(resource=resource, sampler=sampler)  # sampler None: OTEL_TRACES_SAMPLER
        logger_provider = LoggerProvider(resource=resource)
        if not disabled:
            # First, so the copied attributes are on the span before any other processor sees it.
            tracer_provider.add_span_processor(BaggageSpanProcessor(baggage_keys or tracelight_baggage_keys))
            trace_headers = export_headers("traces", headers, api_key)
            for processor in span_processors_from_env(protocols["traces"], endpoint, trace_headers, export_interval_ms):
                tracer_provider.add_span_processor(processor)
            log_headers = export_headers("logs", headers, api_key)
            for log_processor in log_record_processors_from_env(protocols["logs"], endpoint, log_headers, export_interval_ms):
                logger_provider.add_log_record_processor(log_processor)
        for processor in extra_span_processors:
            tracer_provider.add_span_processor(processor)
        for log_processor in extra_log_processors:
            logger_provider.add_log_record_processor(log_processor)

        # Each global is taken only if free: spans made through the global API go to whoever set it first.
        if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
            trace.set_tracer_provider(tracer_provider)
        else:
            _log.warning("tracelight: another tracer provider is already registered; spans made through the global API go there")
        if _logger_provider_is_free():
            set_logger_provider(logger_provider)
        else:
            _log.warning("tracelight: another logger provider is already registered; log records made through the global API go there")

        capturing, setting = apply_content_capture(capture_content)
        active = enable_known(tracer_provider, logger_provider) if instrument and not disabled else []
        active += enable_extra(extra_instrumentations, tracer_provider, logger_provider)

        handle = TracelightHandle(
            tracer_provider=tracer_provider,
            logger_provider=logger_provider,
            resource=resource,
            protocols=protocols,
            capture_content=capturing,
            capture_setting=setting,
            _active=active,
        )
        _current = handle
        _api_defaults = {"server": endpoint if protocols["traces"] == "http/protobuf" else None, "api_key": api_key}
        if not _exit_hook_registered:
            # Registered after the providers' own exit hooks, so it runs before them (atexit is last-in, first-out).
            atexit.register(_flush_at_exit)
            _exit_hook_registered = True
        return handle


def flush(timeout_ms: int = 30_000) -> bool:
    """Flushes the running SDK's spans and logs, if init() was called; True when there was nothing left over."""
    handle = _current
    return handle.flush(timeout_ms) if handle else True


def shutdown() -> None:
    """Shuts the running SDK down, if init() was called."""
    handle = _current
    if handle:
        handle.shutdown()
