"""Copies baggage entries onto every span as it starts (mirrors instrumentation/sdk/baggage-processor.ts).

with_rollout() puts the rollout identity in baggage, so every span started inside it — an LLM call an
instrumentation makes deep inside a library — carries `tracelight.rollout.id` / `tracelight.attempt.id`
itself, and the server can group calls into the rollout even when the spans of one trace arrive in
different export batches.
"""

from __future__ import annotations

from collections.abc import Callable

from opentelemetry import baggage
from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

BaggageKeyPredicate = Callable[[str], bool]


def tracelight_baggage_keys(key: str) -> bool:
    """The default predicate: only tracelight's own keys travel onto spans (baggage may hold things a user
    never meant to export)."""
    return key.startswith("tracelight.")


class BaggageSpanProcessor(SpanProcessor):
    """Sets each kept baggage entry of the span's parent context as a span attribute, unless the span has that
    attribute already (a span's own attribute, set at start, wins over inherited baggage)."""

    def __init__(self, keep: BaggageKeyPredicate = tracelight_baggage_keys) -> None:
        self._keep = keep

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        entries = baggage.get_all(parent_context if parent_context is not None else otel_context.get_current())
        if not entries:
            return
        own = span.attributes or {}
        for key, value in entries.items():
            if self._keep(key) and key not in own:
                span.set_attribute(key, str(value))

    def on_end(self, span: ReadableSpan) -> None:
        pass

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
