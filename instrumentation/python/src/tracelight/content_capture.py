"""Turns GenAI content capture on (or off) in the vocabulary the installed instrumentation understands.

Training needs the prompts and completions, and the OTel GenAI instrumentations leave them out by default.
Their switch, `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, changed meaning across releases:

- opentelemetry-util-genai on the current conventions (1.x always; 0.x with
  `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`) reads a mode: `NO_CONTENT`, `SPAN_ONLY`,
  `EVENT_ONLY`, `SPAN_AND_EVENT`. `true` is rejected there with a warning and means NO_CONTENT.
- opentelemetry-instrumentation-openai-v2 on its semconv 1.30 path (util-genai 0.x without the opt-in, or
  releases that predate util-genai) reads `true` / `false` and sends content as per-message log events.

So the SDK asks the installed util-genai which path the instrumentation takes, and writes the value that
path accepts: `SPAN_ONLY` (content on the span itself, one record per call) or `true`. A value the user set
is kept when the installed version understands it; a boolean (`true`/`false`, what the TypeScript SDK's
README documents) is translated into a mode, and a mode into a boolean, when the version needs the other.
"""

from __future__ import annotations

import logging
import os
from importlib import metadata
from typing import Literal

CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
MODES = ("NO_CONTENT", "SPAN_ONLY", "EVENT_ONLY", "SPAN_AND_EVENT")
#: What OpenInference's instrumentations read (content is on there unless these are true).
OPENINFERENCE_HIDE_ENV = ("OPENINFERENCE_HIDE_INPUTS", "OPENINFERENCE_HIDE_OUTPUTS")

Vocabulary = Literal["modes", "boolean"]

_log = logging.getLogger("tracelight")


def _requires_util_genai(distribution: str) -> bool | None:
    """Whether an installed distribution depends on opentelemetry-util-genai; None when it is not installed."""
    try:
        requirements = metadata.requires(distribution) or []
    except metadata.PackageNotFoundError:
        return None
    return any(r.replace("_", "-").lower().startswith("opentelemetry-util-genai") for r in requirements)


def capture_vocabulary() -> Vocabulary:
    """`modes` when the installed GenAI instrumentation reads NO_CONTENT / SPAN_ONLY / …, else `boolean`."""
    if _requires_util_genai("opentelemetry-instrumentation-openai-v2") is False:
        return "boolean"  # an openai-v2 release from before util-genai: it reads `true` itself
    try:
        from opentelemetry.util.genai.utils import is_experimental_mode
    except ImportError:
        return "boolean"
    try:
        return "modes" if is_experimental_mode() else "boolean"
    except Exception:  # a util-genai whose check fails cannot be told apart; the old path is the safe guess
        return "boolean"


def _value(capture: bool, vocabulary: Vocabulary) -> str:
    if vocabulary == "modes":
        return "SPAN_ONLY" if capture else "NO_CONTENT"
    return "true" if capture else "false"


def apply_content_capture(capture: bool | None) -> tuple[bool, str]:
    """Sets the capture variable for the instrumentations about to be enabled; returns (capturing, value).

    `capture` is init()'s option: True/False override the environment; None keeps what the user set there
    (translated into the installed vocabulary) and captures when nothing is set.
    """
    vocabulary = capture_vocabulary()
    raw = (os.environ.get(CAPTURE_ENV) or "").strip()
    want: bool
    if capture is not None:
        want = capture
    elif raw == "":
        want = True
    elif raw.lower() in ("true", "1", "false", "0"):
        want = raw.lower() in ("true", "1")
    elif raw.upper() in MODES:
        if vocabulary == "modes":
            return raw.upper() != "NO_CONTENT", raw  # the user's own mode, understood as it is
        want = raw.upper() != "NO_CONTENT"
    else:
        _log.warning("tracelight: %s=%r is not a value tracelight knows; capturing content", CAPTURE_ENV, raw)
        want = True
    value = _value(want, vocabulary)
    os.environ[CAPTURE_ENV] = value
    if not want:
        for name in OPENINFERENCE_HIDE_ENV:
            os.environ.setdefault(name, "true")
    return want, value
