"""What with_rollout(), the baggage span processor and reward() put on spans, read back from an in-memory
exporter beside the SDK's own OTLP one (the spans reach tracelight too; this script looks at them here).

Usage: python sdk_spans.py
Prints one JSON object of findings; python-sdk.test.ts compares it with what the TypeScript SDK does.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import threading
from collections.abc import Callable
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sdk_common import emit

import tracelight

memory = InMemorySpanExporter()
handle = tracelight.init(service_name="sdk-spans", span_processors=[SimpleSpanProcessor(memory)], export_interval_ms=100)
tracer = trace.get_tracer("sdk-spans-test")
ROLLOUT, ATTEMPT, PROMPT = "tracelight.rollout.id", "tracelight.attempt.id", "tracelight.resource.prompt.version"


def named(name: str) -> ReadableSpan:
    spans = [s for s in memory.get_finished_spans() if s.name == name]
    assert len(spans) == 1, f"{len(spans)} spans named {name}"
    return spans[0]


def identity(span: ReadableSpan) -> list[Any]:
    attrs = span.attributes or {}
    return [attrs.get(ROLLOUT), attrs.get(ATTEMPT), attrs.get(PROMPT)]


def evaluations(span: ReadableSpan) -> list[dict[str, Any]]:
    return [dict(e.attributes or {}) for e in span.events if e.name == "gen_ai.evaluation.result"]


out: dict[str, Any] = {"idempotent": tracelight.init() is handle}

# ---- with_rollout + baggage: across await, asyncio tasks, a thread given the context, nested spans
carrier: dict[str, str] = {}


async def inside() -> None:
    await asyncio.sleep(0.001)
    tracer.start_span("after-await").end()

    async def task(i: int) -> None:
        await asyncio.sleep(0.001 * i)
        with tracer.start_as_current_span(f"task-{i}"):
            tracer.start_span(f"nested-in-task-{i}").end()

    await asyncio.gather(*(task(i) for i in (1, 2, 3)))


with tracer.start_as_current_span("outer-request") as outer, tracelight.with_rollout("r-bag", "a-bag", resources={"prompt": 3}):
    out["current_rollout"] = [tracelight.current_rollout().rollout_id, tracelight.current_rollout().attempt_id]  # type: ignore[union-attr]
    asyncio.run(inside())
    ctx = contextvars.copy_context()
    worker = threading.Thread(target=lambda: ctx.run(lambda: tracer.start_span("in-thread-with-context").end()))
    worker.start()
    worker.join()
    tracer.start_span("own-id", attributes={ROLLOUT: "explicit"}).end()
    propagate.inject(carrier)
out["current_rollout_after"] = tracelight.current_rollout() is None
tracer.start_span("after-rollout").end()

root = named("tracelight.rollout")
out["root"] = {
    "identity": identity(root),
    "has_parent": root.parent is not None,
    "same_trace_as_outer": root.context.trace_id == outer.get_span_context().trace_id,
    "scope": root.instrumentation_scope.name if root.instrumentation_scope else None,
}
out["children"] = {
    name: [*identity(named(name)), named(name).context.trace_id == root.context.trace_id]
    for name in ["after-await", "task-1", "task-2", "task-3", "nested-in-task-1", "nested-in-task-3", "in-thread-with-context"]
}
out["own_id"] = named("own-id").attributes.get(ROLLOUT)  # type: ignore[union-attr]
out["after_rollout"] = identity(named("after-rollout"))
out["traceparent"] = carrier.get("traceparent", "")
out["baggage"] = carrier.get("baggage", "")

# ---- an exception: recorded on the root span, status ERROR, raised again; an empty id is refused
try:
    with tracelight.with_rollout("r-err", "a-err"):
        raise RuntimeError("tool exploded")
except RuntimeError as err:
    out["raised"] = str(err)
failed = next(s for s in memory.get_finished_spans() if (s.attributes or {}).get(ROLLOUT) == "r-err")
out["error_root"] = {"status": failed.status.status_code.name, "description": failed.status.description, "events": [e.name for e in failed.events]}
try:
    tracelight.with_rollout("")
    out["empty_id"] = "accepted"
except TypeError as err:
    out["empty_id"] = str(err)

# ---- the decorator: a rollout of its own per call, with a fresh id when none is given
ids: list[str] = []


@tracelight.with_rollout(attributes={"job": "decorated"})
def decorated() -> None:
    ids.append(tracelight.current_rollout().rollout_id)  # type: ignore[union-attr]


decorated()
decorated()
out["decorated_ids"] = ids

# ---- reward(): on the active span, on the rollout's root outside spans, on a span of its own outside all
with tracelight.with_rollout("r-rew", "a-rew") as rewarded:
    with tracer.start_as_current_span("judged-step") as step:
        on_step = tracelight.reward(0.25, "step_quality", label="ok", explanation="close enough")
    on_root = tracelight.reward(1, "correct", primary=True)
lone = tracelight.reward(-2)
rew_root = next(s for s in memory.get_finished_spans() if s.name == "tracelight.rollout" and (s.attributes or {}).get(ROLLOUT) == "r-rew")
lone_span = next(s for s in memory.get_finished_spans() if s.context.span_id == lone.span_id)
out["reward"] = {
    "on_step_is_step": on_step.span_id == step.get_span_context().span_id,
    "on_root_is_root": on_root.span_id == rewarded.span.get_span_context().span_id,
    "step_events": evaluations(named("judged-step")),
    "root_events": evaluations(rew_root),
    "lone_name": lone_span.name,
    "lone_events": evaluations(lone_span),
}
refused: dict[str, str] = {}
refusals: dict[str, Callable[[], object]] = {
    "nan": lambda: tracelight.reward(math.nan),
    "inf": lambda: tracelight.reward(math.inf),
    "string": lambda: tracelight.reward("1"),  # type: ignore[arg-type]
    "none": lambda: tracelight.reward(None),  # type: ignore[arg-type]
    "bool": lambda: tracelight.reward(True),
    "empty_name": lambda: tracelight.reward(1, ""),
    "label": lambda: tracelight.reward(1, label=3),  # type: ignore[arg-type]
    "primary": lambda: tracelight.reward(1, primary="yes"),  # type: ignore[arg-type]
}
for label, call in refusals.items():
    try:
        call()
        refused[label] = "accepted"
    except (TypeError, ValueError) as err:
        refused[label] = f"{type(err).__name__}: {err}"
out["refused"] = refused

out["flushed"] = handle.flush()
emit(out)
