"""An agent on the `openai` client, traced by tracelight's Python SDK configured by nothing but the environment
the test gives it (at least OTEL_EXPORTER_OTLP_ENDPOINT).

Usage: python sdk_agent.py MODEL_URL ROLLOUT_ID ATTEMPT_ID

1. One question inside with_rollout(ROLLOUT_ID, ATTEMPT_ID), rewarded with `correct` (primary).
2. An `async def` decorated with with_rollout() (a fresh rollout id per call) asking two questions at once
   with AsyncOpenAI: both calls must carry that rollout through asyncio.gather.
It exits without flushing: the SDK's exit hook sends what is left. Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import sys

from openai import AsyncOpenAI, OpenAI
from sdk_common import ask, ask_async, emit

import tracelight

model_url, rollout_id, attempt_id = sys.argv[1:4]

# The client is made before init(): the instrumentation patches the class, so it is traced all the same.
client = OpenAI(base_url=model_url, api_key="unused")
handle = tracelight.init()

with tracelight.with_rollout(rollout_id, attempt_id) as rollout:
    answer = ask(client, "What is 12 * (3 + 4)?")
    tracelight.reward(1.0 if answer == "84" else 0.0, "correct", primary=True, explanation=f"answered {answer!r}")


@tracelight.with_rollout()
async def two_at_once(questions: list[str]) -> tuple[str, list[str]]:
    aclient = AsyncOpenAI(base_url=model_url, api_key="unused")
    answers = await asyncio.gather(*(ask_async(aclient, q) for q in questions))
    tracelight.reward(float(sum(a == "42" for a in answers)) / len(answers))
    current = tracelight.current_rollout()
    assert current is not None
    return current.rollout_id, list(answers)


async_rollout, async_answers = asyncio.run(two_at_once(["What is 6 * 7?", "What is 100 - 58?"]))

emit(
    {
        "answer": answer,
        "rollout": rollout.rollout_id,
        "async_rollout": async_rollout,
        "async_answers": async_answers,
        "instrumented": handle.instrumented,
        "instrumentations": handle.instrumentations,
        "capture_content": handle.capture_content,
        "capture_setting": handle.capture_setting,
        "protocols": dict(handle.protocols),
        "service_name": handle.resource.attributes.get("service.name"),
        "idempotent": tracelight.init() is handle,
    }
)
