"""tracelight.runner() over a real tracelight's rollout queue.

Usage: python sdk_runner.py MODEL_URL sync|async|serve
  sync   a plain function agent, 2 slots, until the queue is empty
  async  an `async def` agent on AsyncOpenAI, until the queue is empty
  serve  runs until SIGTERM (the test sends it once the queue is drained), then finishes and reports
The agent answers the rollout's question with the system prompt the rollout pins (resource `sdk-system`) and
returns 1 when the answer is the expected one; input {"question": ""} raises, failing the attempt.
Prints one JSON line: the runner's stats and what the agent saw.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from openai import AsyncOpenAI, OpenAI
from sdk_common import ask, ask_async, emit

import tracelight

model_url, mode = sys.argv[1], sys.argv[2]
seen: list[dict[str, Any]] = []
lock = threading.Lock()


def note(task: dict[str, Any], resources: dict[str, tracelight.Resource], ctx: tracelight.AgentContext) -> str:
    current = tracelight.current_rollout()
    with lock:
        seen.append(
            {
                "rollout_id": ctx.rollout_id,
                "attempt_id": ctx.attempt_id,
                "mode": ctx.mode,
                "worker_id": ctx.worker_id,
                "in_rollout": [current.rollout_id, current.attempt_id] if current else None,
                "resources": {name: [r.version, r.kind] for name, r in resources.items()},
            }
        )
    if not task["question"]:
        raise ValueError("the agent gave up: empty question")
    return tracelight.render_prompt(resources["sdk-system"].content["template"], task)


client = OpenAI(base_url=model_url, api_key="unused")


def agent(task: dict[str, Any], resources: dict[str, tracelight.Resource], ctx: tracelight.AgentContext) -> float:
    system = note(task, resources, ctx)
    if task.get("slow"):
        time.sleep(0.4)  # long enough for a few heartbeats
    return 1.0 if ask(client, task["question"], system) == task["expected"] else 0.0


aclient = AsyncOpenAI(base_url=model_url, api_key="unused")


async def async_agent(task: dict[str, Any], resources: dict[str, tracelight.Resource], ctx: tracelight.AgentContext) -> float:
    system = note(task, resources, ctx)
    return 1.0 if await ask_async(aclient, task["question"], system) == task["expected"] else 0.0


tracelight.init(service_name=f"sdk-runner-{mode}", export_interval_ms=200)
common: dict[str, Any] = {"wait_ms": 300, "heartbeat_ms": 50, "worker_id": f"py-sdk-{mode}"}
if mode == "sync":
    r = tracelight.runner(agent, concurrency=2, until_empty=True, **common)
elif mode == "async":
    r = tracelight.runner(async_agent, concurrency=2, until_empty=True, **common)
else:
    r = tracelight.runner(agent, **common)
    print("ready", flush=True)
stats = r.wait()
emit({"stats": stats.as_dict(), "seen": seen, "worker_id": r.worker_id})
