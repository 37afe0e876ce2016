"""The GenAI instrumentations init() turns on when they are installed (mirrors instrumentation/sdk/instrumentations.ts).

They are optional: each is looked up at run time and skipped when absent, so the SDK installs and runs
without any of them. One instrumentation per instrumented library: two of them patching the `openai` client
would make two LLM spans, hence two triplets, of every call. The list is in order of preference — the
OpenTelemetry GenAI one first (the standard conventions), OpenInference's when it is the one installed.

In Python the instrumentations patch the library's classes in place (wrapt), so it does not matter whether
`openai` was imported before or after init(): clients made before are traced too.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from dataclasses import dataclass, field
from typing import Any

_log = logging.getLogger("tracelight")


@dataclass(frozen=True)
class KnownInstrumentation:
    """One instrumentation the SDK knows how to turn on."""

    #: Its distribution on PyPI (what `pip install` takes).
    distribution: str
    #: The module holding its instrumentor class.
    module: str
    class_name: str
    #: The library it patches (an importable module name).
    library: str


KNOWN: tuple[KnownInstrumentation, ...] = (
    KnownInstrumentation("opentelemetry-instrumentation-openai-v2", "opentelemetry.instrumentation.openai_v2", "OpenAIInstrumentor", "openai"),
    KnownInstrumentation("openinference-instrumentation-openai", "openinference.instrumentation.openai", "OpenAIInstrumentor", "openai"),
)


@dataclass
class ActiveInstrumentation:
    """An instrumentor init() turned on (and shutdown() turns off)."""

    library: str
    distribution: str
    instrumentor: Any = field(repr=False)


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def enable_known(tracer_provider: Any, logger_provider: Any) -> list[ActiveInstrumentation]:
    """Instruments every library that is installed with the first known instrumentation that is installed.

    The instrumentations get the SDK's tracer and logger providers, and no meter provider: tracelight answers
    UNIMPLEMENTED for metrics, so their meters stay on the global no-op one.
    """
    active: list[ActiveInstrumentation] = []
    covered: set[str] = set()
    for known in KNOWN:
        if known.library in covered or not _installed(known.library) or not _installed(known.module):
            continue
        try:
            cls = getattr(importlib.import_module(known.module), known.class_name)
        except ImportError as err:
            _log.warning("tracelight: %s is installed but cannot be imported (%s); trying the next one", known.distribution, err)
            continue
        except Exception as err:  # a broken package must not stop the agent
            _log.warning("tracelight: %s failed to load: %s", known.distribution, err)
            continue
        instrumentor = cls()
        if instrumentor.is_instrumented_by_opentelemetry:
            # Someone instrumented it already (opentelemetry-instrument, or the agent itself): theirs stays on.
            _log.warning("tracelight: %s was already instrumented with %s outside tracelight; keeping that", known.library, known.distribution)
            covered.add(known.library)
            continue
        try:
            instrumentor.instrument(tracer_provider=tracer_provider, logger_provider=logger_provider)
        except Exception as err:
            _log.warning("tracelight: %s failed to start: %s", known.distribution, err)
            continue
        if not instrumentor.is_instrumented_by_opentelemetry:
            # BaseInstrumentor declines quietly on a dependency conflict (e.g. an `openai` release it does not support).
            _log.warning("tracelight: %s declined to instrument %s (version conflict?)", known.distribution, known.library)
            continue
        active.append(ActiveInstrumentation(known.library, known.distribution, instrumentor))
        covered.add(known.library)
    return active


def enable_extra(instrumentors: list[Any], tracer_provider: Any, logger_provider: Any) -> list[ActiveInstrumentation]:
    """Wires instrumentors the user handed to init() to the SDK's providers and turns them on."""
    active: list[ActiveInstrumentation] = []
    for instrumentor in instrumentors:
        instrumentor.instrument(tracer_provider=tracer_provider, logger_provider=logger_provider)
        active.append(ActiveInstrumentation(type(instrumentor).__module__, type(instrumentor).__name__, instrumentor))
    return active


def disable_all(active: list[ActiveInstrumentation]) -> None:
    """Uninstruments what init() turned on (best effort: shutting down must not raise)."""
    for entry in active:
        try:
            entry.instrumentor.uninstrument()
        except Exception as err:
            _log.debug("tracelight: uninstrumenting %s failed: %s", entry.distribution, err)
    active.clear()
