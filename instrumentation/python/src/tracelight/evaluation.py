"""reward(): the OTel GenAI evaluation event, `gen_ai.evaluation.result` (mirrors reward.ts).

It goes on the span it judges — the given span, else the active one, else the rollout's root span — which is
exactly what tracelight's normalizer reads. Outside every span and rollout a short `tracelight.reward` span
of its own carries it (its rollout then comes from baggage or resource attributes, or it stands alone).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanContext

from .attributes import (
    EVALUATION_EVENT,
    EVALUATION_EXPLANATION,
    EVALUATION_NAME,
    EVALUATION_SCORE_LABEL,
    EVALUATION_SCORE_VALUE,
    REWARD_PRIMARY,
    REWARD_SPAN_NAME,
)
from .otel import sdk_tracer
from .rollout import current_rollout


def _optional_str(value: object, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"reward: {what} must be a string")
    return value


def _pick_span(explicit: Span | None) -> Span | None:
    if explicit is not None:
        return explicit
    active = trace.get_current_span()
    if active.is_recording():
        return active
    rollout = current_rollout()
    if rollout is not None and rollout.span.is_recording():
        return rollout.span
    return None


def reward(
    value: float,
    name: str = "reward",
    *,
    primary: bool | None = None,
    label: str | None = None,
    explanation: str | None = None,
    span: Span | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> SpanContext:
    """Records a reward as a `gen_ai.evaluation.result` event and returns the context of the span it went on.

    value: the score (`gen_ai.evaluation.score.value`), a finite number.
    name: `gen_ai.evaluation.name` (default `reward`).
    primary: `tracelight.reward.primary`, the reward training uses when a rollout has several.
    label: `gen_ai.evaluation.score.label` (e.g. `correct`); explanation: `gen_ai.evaluation.explanation`.
    span: attach to this span instead of the active one; attributes: more event attributes.

    Raises TypeError for a value that is not a number (bool included) or options of the wrong type, and
    ValueError for a value that is not finite or an empty name.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"reward: value must be a finite number, got {type(value).__name__}")
    try:
        score = float(value)
    except OverflowError:
        score = math.inf
    if not math.isfinite(score):
        raise ValueError(f"reward: value must be a finite number, got {value}")
    if not isinstance(name, str):
        raise TypeError("reward: name must be a string")
    if name == "":
        raise ValueError("reward: name must not be empty")
    label = _optional_str(label, "label")
    explanation = _optional_str(explanation, "explanation")
    if primary is not None and not isinstance(primary, bool):
        raise TypeError("reward: primary must be a boolean")

    event: dict[str, Any] = {**(attributes or {}), EVALUATION_NAME: name, EVALUATION_SCORE_VALUE: score}
    if label is not None:
        event[EVALUATION_SCORE_LABEL] = label
    if explanation is not None:
        event[EVALUATION_EXPLANATION] = explanation
    if primary is not None:
        event[REWARD_PRIMARY] = primary

    target = _pick_span(span)
    if target is not None:
        target.add_event(EVALUATION_EVENT, event)
        return target.get_span_context()
    # Nowhere to attach: a span of its own, a child of the current context so baggage identity still applies.
    own = sdk_tracer().start_span(REWARD_SPAN_NAME, context=otel_context.get_current())
    own.add_event(EVALUATION_EVENT, event)
    own.end()
    return own.get_span_context()
