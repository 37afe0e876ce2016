"""What init() makes of the standard variables that change what is recorded and where it goes: the sampler
(OTEL_TRACES_SAMPLER), OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER and OTEL_RESOURCE_ATTRIBUTES over the code's
resource attributes.

Usage: python sdk_probe.py        (the variables from the environment)
Prints one JSON line last (a console exporter, when asked for, prints its spans before it).
"""

from __future__ import annotations

from sdk_common import emit

import tracelight

handle = tracelight.init(resource_attributes={"deployment.environment": "from-code", "team": "from-code"})
with tracelight.with_rollout("r-probe") as rollout:
    recording = rollout.span.is_recording()
flushed = handle.flush()
attributes = handle.resource.attributes
emit(
    {
        "recording": recording,
        "instrumented": handle.instrumented,
        "flushed": flushed,
        "resource": {k: attributes.get(k) for k in ("service.name", "deployment.environment", "team")},
    }
)
