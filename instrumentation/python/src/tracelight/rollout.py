"""with_rollout(): an agent's work inside a root span that declares the rollout identity (mirrors rollout.ts).

The root span carries `tracelight.rollout.id` / `tracelight.attempt.id` (and the versions of the resources the
attempt uses), and the same entries go into W3C baggage: the baggage span processor copies them onto every
span started inside — across `await` too, since contextvars follow the asyncio task — and the baggage
propagator carries them to downstream services. Threads start with an empty context in Python: work handed
to a thread pool inside a rollout needs `contextvars.copy_context().run` to stay in it.
"""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar, cast

from opentelemetry import baggage, trace
from opentelemetry import context as otel_context
from opentelemetry.trace import Span, Status, StatusCode

from .attributes import ATTEMPT_ID, ROLLOUT_ID, ROLLOUT_SPAN_NAME, resource_version_key
from .otel import sdk_tracer

F = TypeVar("F", bound=Callable[..., Any])

_ROLLOUT_KEY = otel_context.create_key("tracelight.rollout")


@dataclass(frozen=True)
class ActiveRollout:
    """The rollout the current code runs in."""

    rollout_id: str
    #: '' when the rollout was opened without an attempt id.
    attempt_id: str
    #: The rollout's root span.
    span: Span


def current_rollout() -> ActiveRollout | None:
    """The rollout the current code runs in (inside with_rollout), else None."""
    value = otel_context.get_value(_ROLLOUT_KEY)
    return value if isinstance(value, ActiveRollout) else None


def _error_message(err: BaseException) -> str:
    return str(err) or type(err).__name__


class RolloutScope:
    """What with_rollout() returns: a context manager (`with` / `async with`) and a decorator.

    As a decorator each call opens a rollout of its own, with a fresh id when none was given.
    """

    def __init__(
        self,
        rollout_id: str | None,
        attempt_id: str | None,
        resources: Mapping[str, str | int] | None,
        span_name: str | None,
        attributes: Mapping[str, Any] | None,
    ) -> None:
        if rollout_id is not None and (not isinstance(rollout_id, str) or rollout_id == ""):
            raise TypeError("with_rollout: rollout_id must be a non-empty string")
        if attempt_id is not None and not isinstance(attempt_id, str):
            raise TypeError("with_rollout: attempt_id must be a string")
        self._rollout_id = rollout_id
        self._attempt_id = attempt_id or ""
        self._resources = dict(resources or {})
        self._span_name = span_name or ROLLOUT_SPAN_NAME
        self._attributes = dict(attributes or {})
        # One entry per `with` in progress on this object (nested use); each holds what __exit__ undoes.
        self._open: list[tuple[object, Span]] = []

    def _copy(self) -> RolloutScope:
        return RolloutScope(self._rollout_id, self._attempt_id, self._resources, self._span_name, self._attributes)

    def __enter__(self) -> ActiveRollout:
        rollout_id = self._rollout_id or f"ro-{uuid.uuid4().hex}"
        identity: dict[str, str] = {ROLLOUT_ID: rollout_id}
        if self._attempt_id:
            identity[ATTEMPT_ID] = self._attempt_id
        for name, version in self._resources.items():
            identity[resource_version_key(name)] = str(version)

        ctx = otel_context.get_current()
        for key, value in identity.items():
            ctx = baggage.set_baggage(key, value, ctx)
        # A rollout is a trace of its own, even when opened inside another span: no parent span.
        parent = trace.set_span_in_context(trace.INVALID_SPAN, ctx)
        span = sdk_tracer().start_span(self._span_name, context=parent, attributes={**self._attributes, **identity})
        active = ActiveRollout(rollout_id, self._attempt_id, span)
        inner = otel_context.set_value(_ROLLOUT_KEY, active, trace.set_span_in_context(span, parent))
        self._open.append((otel_context.attach(inner), span))
        return active

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        token, span = self._open.pop()
        try:
            if exc is not None:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, _error_message(exc)))
            span.end()
        finally:
            otel_context.detach(cast(Any, token))

    async def __aenter__(self) -> ActiveRollout:
        return self.__enter__()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.__exit__(exc_type, exc, tb)

    def __call__(self, fn: F) -> F:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                async with self._copy():
                    return await cast(Callable[..., Awaitable[Any]], fn)(*args, **kwargs)

            return cast(F, run_async)

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._copy():
                return fn(*args, **kwargs)

        return cast(F, run)


def with_rollout(
    rollout_id: str | None = None,
    attempt_id: str | None = None,
    *,
    resources: Mapping[str, str | int] | None = None,
    span_name: str | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> RolloutScope:
    """Runs the block (or each call of the decorated function) inside a new root span carrying the rollout
    identity, with the ids in baggage so every span started inside carries them too.

        with tracelight.with_rollout("r-17", "a-1") as rollout:
            ...  # rollout.rollout_id, rollout.span

    rollout_id: the rollout's id; None makes a fresh one (`ro-<hex>`) each time the scope is entered.
    attempt_id: the attempt's id ('' or None: none).
    resources: versions of the resources this attempt uses (name → version), as
        `tracelight.resource.<name>.version` on every span.
    span_name: the root span's name (default `tracelight.rollout`); attributes: more attributes for it.

    The span ends with the block; an exception is recorded on it (status ERROR) and propagates.
    """
    return RolloutScope(rollout_id, attempt_id, resources, span_name, attributes)
