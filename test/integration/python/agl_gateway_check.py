"""Agent Lightning 1.0.2's own clients against a v1 gateway server, tracelight's or Agent Lightning's own.

Run: python agl_gateway_check.py BASE_URL KEY MODEL_URL OUT_FILE. The trainer's calls (AgentLightningSyncClient with the
payloads its rollout manager builds), the local controller (LocalReconciler, which starts one agent process per
rollout with the rollout's proxy and event URLs) and the agents' own calls are made in a fixed order; every answer
is written to OUT_FILE as one JSON document, {"steps": [...]} (stdout is the controller's log), with what varies between runs (times, response ids) masked, so
two servers can be compared step by step. `compare` says how much of a step must match: "full", "status" (the
words of an auth refusal are each server's own) or "loc" (a refused request: status and where the error is).
The module is also the agents' class: the controller's worker processes import `agl_gateway_check:Agent`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

import httpx

CHAT_QUESTION = "What is 6 * 7?"
MASKED_KEYS = {"created_at", "updated_at", "timestamp", "latency_ms", "created", "system_fingerprint"}


class Agent:
    """What the controller runs for a rollout: one chat call through the rollout's proxy URL, then a reward event."""

    def run(self) -> None:
        from agentlightning.schemas import EventCreate

        key = os.environ.get("AGL_KEY") or ""
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        base = os.environ["AGL_OPENAI_BASE_URL"]
        answer = httpx.post(
            f"{base}/chat/completions",
            json={"model": "whatever-the-agent-names", "messages": [{"role": "user", "content": os.environ["QUESTION"]}], "max_tokens": 64},
            headers=headers,
            timeout=60,
        )
        answer.raise_for_status()
        text = answer.json()["choices"][0]["message"]["content"] or ""
        reward = 1.0 if os.environ.get("EXPECTED", "") in text else 0.0
        event = EventCreate(event_type="reward", data={"value": reward, "message": f"answered {text!r}", "source": "agent"})
        httpx.post(os.environ["AGL_EVENT_URL"], json=event.model_dump(mode="json"), headers=headers, timeout=30).raise_for_status()
        if os.environ.get("FAIL") == "yes":
            raise RuntimeError("this task asks its agent to fail after rewarding")


def mask(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in MASKED_KEYS and v is not None:
                out[k] = "<masked>"
            elif k == "id" and isinstance(v, str) and (v.startswith("chatcmpl") or v.startswith("cmpl")):
                out[k] = "<masked>"
            else:
                out[k] = mask(v)
        return out
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


class Recorder:
    def __init__(self) -> None:
        self.steps: list[dict[str, Any]] = []

    def add(self, name: str, response: httpx.Response, compare: str = "full", headers: tuple[str, ...] = ()) -> Any:
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = response.text
        step: dict[str, Any] = {"name": name, "status": response.status_code, "body": mask(body), "compare": compare}
        if compare == "loc":
            detail = body.get("detail") if isinstance(body, dict) else None
            step["loc"] = detail[0].get("loc") if isinstance(detail, list) and detail and isinstance(detail[0], dict) else None
        if headers:
            step["headers"] = {h: response.headers.get(h) for h in headers}
        self.steps.append(step)
        return body


def rollout_payloads() -> list[dict[str, Any]]:
    from agentlightning.schemas import RolloutConfig, RolloutCreate, RolloutLocalConfig

    env_map = {"QUESTION": "input.question", "EXPECTED": "input.expected", "FAIL": "input.fail"}
    local = RolloutLocalConfig(agent_class="agl_gateway_check:Agent", env_map=env_map)
    requests = [
        RolloutCreate(
            rollout_id="r1",
            input={"data_id": "d1", "question": CHAT_QUESTION, "expected": "42", "fail": "no"},
            config=RolloutConfig(timeout_seconds=120, local=local),
            metadata={"batch_idx": 0, "sample_idx_in_batch": 0},
        ),
        RolloutCreate(
            rollout_id="r2",
            input={"instance_id": "d2", "question": CHAT_QUESTION, "expected": "42", "fail": "yes"},
            is_train=False,
            config=RolloutConfig(timeout_seconds=120, local=local),
            metadata={"batch_idx": 0, "sample_idx_in_batch": 1, "step": 7},
        ),
        # No agent class: the controller fails it when it tries to start it.
        RolloutCreate(rollout_id="r3", input={"data_id": "d3"}, config=RolloutConfig(timeout_seconds=120)),
    ]
    # As the trainer sends them (AglRolloutManager._create_rollouts).
    return [r.model_dump(mode="json", exclude_none=True) for r in requests]


async def run_controller(base: str, key: str, rollout_ids: list[str], client: Any) -> None:
    from omegaconf import OmegaConf

    from agentlightning.client import AgentLightningAsyncClient
    from agentlightning.controller.local_reconciler import LocalReconciler
    from agentlightning.schemas import TERMINAL_STATES, Rollout

    config = OmegaConf.create(
        {
            "runner_type": "local",
            "agl_server": {"url": base, "agent_url": None, "key": key},
            # One agent at a time, so rollouts finish in creation order on every server.
            "local_runner": {"maximum_size": 1, "poll_interval": 0.2},
        }
    )
    deadline = time.monotonic() + 240
    async with AgentLightningAsyncClient(base_url=base, key=key) as api:
        reconciler = LocalReconciler(api=api, config=config)
        while time.monotonic() < deadline:
            await reconciler._reconcile_once()
            states = [Rollout.model_validate(client.get(f"/api/rollouts/{rid}").json()["rollout"]).status.state for rid in rollout_ids]
            if all(s in TERMINAL_STATES for s in states):
                return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"rollouts {rollout_ids} did not finish under the local controller")


def main() -> None:
    base, key, model_url, out_file = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    from agentlightning.client import AgentLightningSyncClient
    from agentlightning.schemas import Event, EventCreate, Model, Rollout, RolloutPatch, RolloutStatusPatch

    rec = Recorder()
    client = AgentLightningSyncClient(base_url=base, key=key, timeout=60.0, max_retries=0)
    anonymous = httpx.Client(base_url=base, timeout=30.0)

    rec.add("no key", anonymous.get("/api/rollouts", params={"state_in": "queuing"}), compare="status")

    # The trainer registers its model servers (AglRolloutManager.register_model).
    models = [Model(model="sim-small", endpoint=model_url, version=1).model_dump(mode="json")]
    registered = rec.add("register models", client.post_with_retry("/api/models", json=models))
    [Model.model_validate(m) for m in registered]

    payloads = rollout_payloads()
    created = rec.add("create rollouts", client.post_with_retry("/api/rollouts", json=payloads))
    [Rollout.model_validate(r) for r in created]
    rec.add("create again (idempotent)", client.post_with_retry("/api/rollouts", json=payloads[:1]))
    rec.add("create with an object, not a list", client.post("/api/rollouts", json=payloads[0]), compare="loc")
    rec.add("list queuing", client.get("/api/rollouts", params={"state_in": ["queuing"], "limit": 50}))
    rec.add("list without state_in", client.get("/api/rollouts"), compare="loc")
    rec.add("list with an unknown state", client.get("/api/rollouts", params={"state_in": "done"}), compare="loc")

    def patch(rid: str, **status: Any) -> httpx.Response:
        body = RolloutPatch(status=RolloutStatusPatch(**status)).model_dump(mode="json", exclude_unset=True)
        return client.patch(f"/api/rollouts/{rid}", json=body)

    rec.add("queuing -> succeeded is refused", patch("r1", state="succeeded"))
    rec.add("a status field v1 lacks", client.patch("/api/rollouts/r1", json={"status": {"bogus": 1}}), compare="loc")
    rec.add("an empty patch changes nothing", client.patch("/api/rollouts/r1", json={}))
    rec.add("k8s_job_name alone", patch("r1", k8s_job_name="job-r1"))

    # The controller runs every queued rollout: running with attempt "0", then succeeded or failed.
    asyncio.run(run_controller(base, key, ["r1", "r2", "r3"], client))
    for rid in ("r1", "r2", "r3"):
        detail = rec.add(f"get {rid}", client.get(f"/api/rollouts/{rid}"))
        Rollout.model_validate(detail["rollout"])
    rec.add("succeeded -> running is refused", patch("r1", state="running"))
    rec.add("failed -> succeeded is refused", patch("r2", state="succeeded"))
    rec.add("state null is refused", client.patch("/api/rollouts/r1", json={"status": {"state": None}}))

    # What the trainer reads back (AglRolloutManager._fetch_rollout_events).
    raw = rec.add("events r1", client.get("/api/rollouts/r1/events", params={"include_routed_experts": False}))
    [Event.model_validate(e) for e in raw]
    rec.add("events r1 as triplets", client.get("/api/rollouts/r1/events", params={"format": "triplet"}))
    rec.add("reward events of r2", client.get("/api/rollouts/r2/events", params={"event_type": "reward"}))
    rec.add("events of r3 (none)", client.get("/api/rollouts/r3/events"))
    note = EventCreate(event_type="trace_note", data={"step": 1, "text": "any event type passes through"})
    rec.add("post a custom event", client.post("/api/rollouts/r1/attempt/0/events", json=note.model_dump(mode="json")))
    rec.add("events r1 after it", client.get("/api/rollouts/r1/events"))

    # Cancelling, the v1 way: a queued rollout is patched to failed. Then one deleted before it ran.
    client.post_with_retry("/api/rollouts", json=[{"rollout_id": "r4", "input": {"data_id": "d4"}}, {"rollout_id": "r5", "input": "x"}])
    rec.add("cancel r4", patch("r4", state="failed", error_message="cancelled by the trainer"))
    rec.add("terminal page 1", client.get("/api/rollouts/terminal", params={"after": 0, "limit": 2}))
    rec.add("terminal page 2", client.get("/api/rollouts/terminal", params={"after": 2, "limit": 10}))
    rec.add("terminal, nothing new", client.get("/api/rollouts/terminal", params={"after": 4}))
    rec.add("terminal, a cursor before the start", client.get("/api/rollouts/terminal", params={"after": -5, "limit": 0}))
    rec.add("delete r5", client.delete("/api/rollouts/r5"))
    rec.add("get r5 after delete", client.get("/api/rollouts/r5"))
    rec.add("delete r5 again", client.delete("/api/rollouts/r5"))
    rec.add("delete r4 (terminal)", client.delete("/api/rollouts/r4"))
    rec.add("terminal after deleting r4", client.get("/api/rollouts/terminal"))
    rec.add("list every state", client.get("/api/rollouts", params={"state_in": ["queuing", "running", "succeeded", "failed"]}))
    rec.add("list with a negative limit", client.get("/api/rollouts", params={"state_in": ["succeeded", "failed"], "limit": -1}))

    # The proxy route, called directly (a validation call of r1 under another attempt).
    proxy = "/proxy/rollout/r1/attempt/1/mode"
    chat = {"model": "m", "messages": [{"role": "user", "content": CHAT_QUESTION}], "max_tokens": 64}
    rec.add("proxy: unknown mode", client.post(f"{proxy}/test/openai/v1/chat/completions", json=chat))
    rec.add("proxy: unknown path", client.post(f"{proxy}/val/openai/v1/embeddings", json=chat))
    rec.add("proxy: unknown rollout", client.post("/proxy/rollout/nope/attempt/0/mode/train/openai/v1/chat/completions", json=chat))
    rec.add("proxy: a stream", client.post(f"{proxy}/val/openai/v1/chat/completions", json={**chat, "stream": True}))
    rec.add("proxy: a JSON array", client.post(f"{proxy}/val/openai/v1/chat/completions", json=[1, 2]))
    rec.add("proxy: val call", client.post(f"{proxy}/val/openai/v1/chat/completions", json=chat))
    rec.add("proxy: text completion", client.post(f"{proxy}/train/openai/v1/completions", json={"model": "m", "prompt": "2 + 2 =", "max_tokens": 8}))
    rec.add("get r1 with its attempts", client.get("/api/rollouts/r1"))

    rec.add("pause", client.post("/proxy/pause", json={"reason": "syncing weights", "retry_after_seconds": 3}))
    rec.add("proxy while paused", client.post(f"{proxy}/val/openai/v1/chat/completions", json=chat), headers=("retry-after", "x-agl-paused"))
    rec.add("proxy state", client.get("/proxy/state"))
    rec.add("resume", client.post("/proxy/resume"))

    rec.add("get an unknown rollout", client.get("/api/rollouts/nope"))
    rec.add("events of an unknown rollout", client.get("/api/rollouts/nope/events"))
    rec.add("event for an unknown rollout", client.post("/api/rollouts/nope/attempt/0/events", json=note.model_dump(mode="json")))
    rec.add("delete models", client.delete("/api/models"))

    with open(out_file, "w", encoding="utf-8") as f:
        json.dump({"steps": rec.steps}, f)


if __name__ == "__main__":
    main()
