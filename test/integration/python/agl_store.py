"""Agent Lightning 0.3's own store client, runner and trainer against tracelight's /v1/agl (test/integration/agl-store.test.ts).

Everything here is the real `agentlightning` package: `LightningStoreClient` (the HTTP client every runner, trainer
and algorithm uses for a store at an address), `LitAgent` run by `LitAgentRunner` with `AgentOpsTracer`, `Trainer`
with the `Baseline` algorithm; and, for the comparison, Agent Lightning's own `LightningStoreServer` over its
`InMemoryLightningStore`. The only tracelight-specific thing is the address.

Usage (each prints one JSON object as its last stdout line):
  python agl_store.py compare TRACELIGHT_URL          every store method on both stores, normalized transcripts + diffs
  python agl_store.py runner TRACELIGHT_URL MODEL_URL  LitAgentRunner over 4 rollouts (2 enqueued here, 2 given as ids)
  python agl_store.py trainer TRACELIGHT_URL MODEL_URL Trainer(Baseline).fit over 3 tasks
  python agl_store.py restart TRACELIGHT_URL N         a runner's work loop; prints one line per acknowledged step
  python agl_store.py inmemory-restart N K             the same loop on Agent Lightning's in-memory server, killed after K
  python agl_store.py auth TRACELIGHT_URL WORKER_KEY ADMIN_KEY   scopes, with a client given an Authorization header
"""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional

import agentlightning as agl
from agentlightning.store.client_server import LightningStoreClient, LightningStoreServer
from agentlightning.types import LLM, EnqueueRolloutRequest, PromptTemplate, RolloutConfig, Span

QUIET = os.environ.get("AGL_TEST_VERBOSE") is None


def emit(obj: Any) -> None:
    print(json.dumps(obj, default=str), flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- compare: every store method, on tracelight and on Agent Lightning's in-memory server ---------------------


class Normalizer:
    """Ids the stores make differ (ro-…, at-…, rs-…) and so do clocks: both become stable placeholders."""

    def __init__(self) -> None:
        self.ids: Dict[str, str] = {}

    def __call__(self, v: Any, key: str = "") -> Any:
        if hasattr(v, "model_dump"):
            v = v.model_dump(mode="json")
        if isinstance(v, dict):
            return {k: self(x, k) for k, x in v.items() if k not in ("uptime", "name")}
        if isinstance(v, (list, tuple)):
            return [self(x) for x in v]
        if isinstance(v, str) and len(v) > 3 and v[:3] in ("ro-", "at-", "rs-"):
            return self.ids.setdefault(v, f"{v[:3]}{len(self.ids) + 1}")
        if isinstance(v, (int, float)) and not isinstance(v, bool) and key.endswith("_time"):
            return "T"
        return v


def diff(a: Any, b: Any, path: str = "") -> List[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: List[str] = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'tracelight' if k in a else 'in-memory'}")
            else:
                out.extend(diff(a[k], b[k], f"{path}.{k}"))
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items vs {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def make_span(rollout_id: str, attempt_id: str, seq: int, name: str, span_id: str, parent: Optional[str], t: float) -> Span:
    span = Span.from_attributes(
        attributes={"step": seq, "ok": True, "score": 0.5, "tags": ["a", "b"]},
        rollout_id=rollout_id,
        attempt_id=attempt_id,
        sequence_id=seq,
        name=name,
        trace_id="0af7651916cd43dd8448eb211c80319c",
        span_id=span_id,
        parent_id=parent,
        start_time=t,
        end_time=t + 0.25,
    )
    return span


async def transcript(url: str) -> Dict[str, Any]:
    """Calls every LightningStore method the client has, in one fixed order; the answers, normalized."""
    store = LightningStoreClient(url, retry_delays=(), health_retry_delays=())
    n = Normalizer()
    out: Dict[str, Any] = {}
    statuses: Dict[str, Any] = {}

    async def err(label: str, coro: Any) -> None:
        try:
            await coro
            out[label] = "no error"
        except Exception as e:  # the status is reported apart: tracelight answers 404 where Agent Lightning says 500
            out[label] = {"raises": type(e).__name__}
            statuses[label] = getattr(e, "status", None)

    try:
        out["statistics_empty"] = n({k: v for k, v in (await store.statistics()).items() if k.startswith("total_") and not k.endswith("bytes")})
        out["latest_resources_none"] = n(await store.get_latest_resources())
        llm = LLM(endpoint="http://127.0.0.1:9/v1", model="sim-small", sampling_parameters={"temperature": 0.2})
        prompt = PromptTemplate(template="You are {role}. Answer briefly.", engine="f-string")
        r1 = await store.add_resources({"main_llm": llm, "system_prompt": prompt})
        out["add_resources"] = n(r1)
        out["latest_after_add"] = n(await store.get_latest_resources())
        prompt2 = PromptTemplate(template="You are {role}. Show your work step by step.", engine="f-string")
        out["update_resources"] = n(await store.update_resources(r1.resources_id, {"main_llm": llm, "system_prompt": prompt2}))
        r2 = await store.add_resources({"system_prompt": prompt})
        out["add_resources_2"] = n(r2)
        out["update_resources_new_id"] = n(await store.update_resources("rs-given-1", {"main_llm": llm}))
        out["get_resources"] = n(await store.get_resources_by_id(r1.resources_id))
        out["get_resources_missing"] = n(await store.get_resources_by_id("rs-missing"))
        out["latest_resources"] = n(await store.get_latest_resources())
        out["query_resources"] = n(await store.query_resources())
        out["query_resources_sorted"] = n(await store.query_resources(sort_by="version", sort_order="desc", limit=2, offset=0))
        out["query_resources_by_id"] = n(await store.query_resources(resources_id=r2.resources_id))
        out["query_resources_contains"] = n(await store.query_resources(resources_id_contains="given"))

        a = await store.enqueue_rollout(input={"q": "What is 12 * (3 + 4)?"}, mode="train", metadata={"k": "v"})
        out["enqueue_rollout"] = n(a)
        many = await store.enqueue_many_rollouts(
            [
                EnqueueRolloutRequest(input={"q": "b"}, mode="val"),
                EnqueueRolloutRequest(input={"q": "c"}, resources_id=r2.resources_id, config=RolloutConfig(max_attempts=2, retry_condition=["failed"])),
                EnqueueRolloutRequest(input="plain text", config=RolloutConfig(timeout_seconds=3600, unresponsive_seconds=1800)),
            ]
        )
        out["enqueue_many"] = n(many)
        b, c, d = many
        out["query_rollouts"] = n(await store.query_rollouts())
        out["query_rollouts_queuing"] = n(await store.query_rollouts(status_in=["queuing"]))
        out["query_rollouts_ids"] = n(await store.query_rollouts(rollout_id_in=[c.rollout_id, a.rollout_id]))
        out["query_rollouts_sorted"] = n(await store.query_rollouts(sort_by="mode", sort_order="desc", limit=2, offset=1))
        out["query_rollouts_or"] = n(await store.query_rollouts(status_in=["running"], rollout_id_in=[b.rollout_id], filter_logic="or"))
        out["query_rollouts_contains"] = n(await store.query_rollouts(rollout_id_contains="ro-", limit=1))

        d1 = await store.dequeue_rollout(worker_id="worker-1")
        out["dequeue"] = n(d1)
        out["dequeue_many"] = n(await store.dequeue_many_rollouts(limit=2, worker_id="worker-2"))
        out["get_rollout"] = n(await store.get_rollout_by_id(a.rollout_id))
        out["get_rollout_queued"] = n(await store.get_rollout_by_id(d.rollout_id))
        out["get_rollout_missing"] = n(await store.get_rollout_by_id("ro-missing"))
        out["latest_attempt"] = n(await store.get_latest_attempt(a.rollout_id))
        out["latest_attempt_none"] = n(await store.get_latest_attempt(d.rollout_id))
        out["query_attempts"] = n(await store.query_attempts(a.rollout_id))

        assert d1 is not None
        at = d1.attempt.attempt_id
        out["next_seq_1"] = await store.get_next_span_sequence_id(a.rollout_id, at)
        out["next_seq_2"] = await store.get_next_span_sequence_id(a.rollout_id, at)
        t0 = 1_700_000_000.0
        out["add_span"] = n(await store.add_span(make_span(a.rollout_id, at, 3, "agent.step", "00f067aa0ba902b7", None, t0)))
        out["add_span_dup"] = n(await store.add_span(make_span(a.rollout_id, at, 3, "agent.step", "00f067aa0ba902b7", None, t0)))
        out["next_seq_after_span"] = await store.get_next_span_sequence_id(a.rollout_id, at)
        out["add_many_spans"] = n(
            await store.add_many_spans(
                [
                    make_span(a.rollout_id, at, 7, "llm.call", "00f067aa0ba902b8", "00f067aa0ba902b7", t0 + 2),
                    make_span(a.rollout_id, at, 5, "tool.call", "00f067aa0ba902b9", "00f067aa0ba902b7", t0 + 1),
                ]
            )
        )
        out["next_seq_after_many"] = await store.get_next_span_sequence_id(a.rollout_id, at)
        out["rollout_running_after_span"] = n(await store.get_rollout_by_id(a.rollout_id))
        out["query_spans"] = n(await store.query_spans(a.rollout_id))
        out["query_spans_latest"] = n(await store.query_spans(a.rollout_id, "latest", name_contains="call"))
        out["query_spans_sorted"] = n(await store.query_spans(a.rollout_id, at, sort_by="start_time", sort_order="desc", limit=2, offset=1))
        out["query_spans_parent"] = n(await store.query_spans(a.rollout_id, parent_id="00f067aa0ba902b7", name="tool.call", filter_logic="or"))
        out["query_spans_or_nothing"] = n(await store.query_spans(a.rollout_id, filter_logic="or"))
        out["query_spans_none"] = n(await store.query_spans(d.rollout_id, "latest"))

        out["update_attempt_succeeded"] = n(await store.update_attempt(a.rollout_id, at, status="succeeded", metadata={"why": "done"}))
        out["rollout_succeeded"] = n(await store.get_rollout_by_id(a.rollout_id))
        at_c = (await store.get_latest_attempt(c.rollout_id)).attempt_id  # type: ignore[union-attr]
        out["update_attempt_failed_retry"] = n(await store.update_attempt(c.rollout_id, at_c, status="failed"))
        out["rollout_requeuing"] = n(await store.get_rollout_by_id(c.rollout_id))
        again = await store.dequeue_many_rollouts(limit=3, worker_id="worker-3")
        out["dequeue_after_retry"] = n(again)
        out["update_attempt_latest"] = n(await store.update_attempt(c.rollout_id, "latest", status="failed", last_heartbeat_time=t0))
        out["rollout_failed"] = n(await store.get_rollout_by_id(c.rollout_id))
        out["query_attempts_desc"] = n(await store.query_attempts(c.rollout_id, sort_by="sequence_id", sort_order="desc"))
        out["dequeue_empty"] = n(await store.dequeue_rollout(worker_id="worker-4"))

        out["start_attempt"] = n(await store.start_attempt(b.rollout_id, worker_id="worker-5"))
        out["update_rollout_cancel"] = n(await store.update_rollout(b.rollout_id, status="cancelled"))
        out["update_rollout_fields"] = n(
            await store.update_rollout(
                b.rollout_id, input={"q": "b2"}, mode="test", metadata={"edited": True}, config=RolloutConfig(max_attempts=3, retry_condition=["timeout"])
            )
        )
        out["update_rollout_requeue"] = n(await store.update_rollout(b.rollout_id, status="requeuing"))
        out["dequeue_requeued"] = n(await store.dequeue_rollout(worker_id="worker-1"))
        started = await store.start_rollout(input={"q": "direct"}, mode="test", worker_id="worker-6", metadata={"m": 1})
        out["start_rollout"] = n(started)

        out["wait_some"] = n(await store.wait_for_rollouts(rollout_ids=[a.rollout_id, b.rollout_id, c.rollout_id, "ro-missing"], timeout=0.05))
        out["wait_none"] = n(await store.wait_for_rollouts(rollout_ids=[started.rollout_id], timeout=0))

        out["update_worker"] = n(await store.update_worker("worker-1", heartbeat_stats={"cpu": 0.5}))
        out["update_worker_new"] = n(await store.update_worker("worker-9"))
        out["get_worker"] = n(await store.get_worker_by_id("worker-2"))
        out["get_worker_missing"] = n(await store.get_worker_by_id("worker-none"))
        out["query_workers"] = n(await store.query_workers())
        out["query_workers_idle"] = n(await store.query_workers(status_in=["idle"]))
        out["query_workers_sorted"] = n(await store.query_workers(sort_by="worker_id", sort_order="desc"))
        out["query_workers_or"] = n(await store.query_workers(status_in=["busy"], worker_id_contains="-9", filter_logic="or"))

        # The GET forms of the listings (the client itself posts to the /search routes).
        raw = store._request_json  # pyright: ignore[reportPrivateUsage]
        out["get_rollouts"] = n(await raw("get", "/rollouts", params=[("status_in", "succeeded"), ("status_in", "failed"), ("sort_by", "status")]))
        out["get_attempts"] = n(await raw("get", f"/rollouts/{c.rollout_id}/attempts", params=[("sort_order", "desc"), ("limit", 1)]))
        out["get_workers"] = n(await raw("get", "/workers", params=[("status_in", "idle"), ("sort_by", "last_idle_time")]))
        out["get_spans"] = n(await raw("get", "/spans", params=[("rollout_id", a.rollout_id), ("name_contains", "call"), ("sort_by", "name")]))
        out["get_resources_raw"] = n(await raw("get", "/resources", params=[("sort_by", "update_time"), ("sort_order", "desc")]))

        # The rest of the queue is finished, so later tests against the same store start from an empty queue.
        for r in [d, started]:
            await store.update_rollout(r.rollout_id, status="cancelled")
        out["statistics"] = n({k: v for k, v in (await store.statistics()).items() if k.startswith("total_") and not k.endswith("bytes")})

        await err("update_rollout_missing", store.update_rollout("ro-missing", status="failed"))
        await err("update_attempt_missing", store.update_attempt(a.rollout_id, "at-missing", status="failed"))
        await err("start_attempt_missing", store.start_attempt("ro-missing"))
        await err("add_span_missing_rollout", store.add_span(make_span("ro-missing", "at-x", 1, "x", "00f067aa0ba902c0", None, t0)))
        await err("query_rollouts_bad_sort", store.query_rollouts(sort_by="nope"))
        await err("query_spans_bad_limit", store.query_spans(a.rollout_id, limit=0))
        await err("query_attempts_bad_offset", store.query_attempts(a.rollout_id, offset=-1))
    finally:
        await store.close()
    return {"answers": out, "error_statuses": statuses}


async def inmemory_transcript() -> Dict[str, Any]:
    port = free_port()
    server = LightningStoreServer(agl.InMemoryLightningStore(thread_safe=True), host="127.0.0.1", port=port)
    await server.start()
    try:
        return await transcript(f"http://127.0.0.1:{port}")
    finally:
        await server.stop()


async def compare(url: str) -> None:
    ours = await transcript(url)
    theirs = await inmemory_transcript()
    emit(
        {
            "diffs": diff(ours["answers"], theirs["answers"]),
            "methods": len(ours["answers"]),
            "tracelight": ours["answers"],
            "inmemory": theirs["answers"],
            "error_statuses": {"tracelight": ours["error_statuses"], "inmemory": theirs["error_statuses"]},
        }
    )


# ---- a LitAgent under LitAgentRunner, and a Trainer with Baseline ----------------------------------------------

TASKS = [
    {"question": "What is 12 * (3 + 4)?", "expected": "84"},
    {"question": "What is 15 divided by 3?", "expected": "5"},
    {"question": "What is 7 + 8?", "expected": "15"},
    {"question": "What is 9 * 9?", "expected": "81"},
]


class ArithmeticAgent(agl.LitAgent[Dict[str, Any]]):
    """Calls the model named by its resources, with its prompt template; even tasks emit the reward, odd ones return it."""

    def rollout(self, task: Dict[str, Any], resources: agl.NamedResources, rollout: agl.Rollout) -> Optional[float]:
        from openai import OpenAI

        llm = resources["main_llm"]
        prompt = resources["system_prompt"]
        assert isinstance(llm, LLM) and isinstance(prompt, PromptTemplate)
        client = OpenAI(base_url=llm.endpoint, api_key="unused")
        reply = client.chat.completions.create(
            model=llm.model,
            messages=[{"role": "system", "content": prompt.format(role="a careful tutor")}, {"role": "user", "content": task["question"]}],
            **llm.sampling_parameters,
        )
        answer = reply.choices[0].message.content or ""
        reward = 1.0 if task["expected"] in answer else 0.0
        if task.get("emit", True):
            agl.emit_reward(reward)
            return None
        return reward


def resources_for(model_url: str) -> agl.NamedResources:
    return {
        "main_llm": LLM(endpoint=model_url.rstrip("/").removesuffix("/v1") + "/v1", model="sim-small", sampling_parameters={"temperature": 0.0}),
        "system_prompt": PromptTemplate(template="You are {role}. Show your work step by step.", engine="f-string"),
    }


async def run_runner(url: str, model_url: str, given: List[str]) -> None:
    store = LightningStoreClient(url)
    await store.add_resources(resources_for(model_url))
    ids = list(given)
    for i, task in enumerate(TASKS[:2]):
        r = await store.enqueue_rollout(input={**task, "emit": i % 2 == 0}, mode="train")
        ids.append(r.rollout_id)
    runner = agl.LitAgentRunner(tracer=agl.AgentOpsTracer(), max_rollouts=len(ids), poll_interval=0.2, heartbeat_interval=0.5)
    with runner.run_context(agent=ArithmeticAgent(), store=store, worker_id=0):
        await runner.iter()
    done = await store.wait_for_rollouts(rollout_ids=ids, timeout=0.1)
    report = []
    for rid in ids:
        r = await store.get_rollout_by_id(rid)
        spans = await store.query_spans(rid, "latest")
        report.append(
            {
                "rollout_id": rid,
                "status": r.status if r else None,
                "worker_id": r.attempt.worker_id if isinstance(r, agl.AttemptedRollout) else None,
                "span_names": sorted({s.name for s in spans}),
                "sequence_ids": [s.sequence_id for s in spans],
                "reward": agl.find_final_reward(list(spans)),
            }
        )
    workers = await store.query_workers()
    await store.close()
    emit({"rollouts": report, "finished": len(done), "workers": [w.model_dump(mode="json") for w in workers]})


def run_trainer(url: str, model_url: str) -> None:
    store = LightningStoreClient(url)
    trainer = agl.Trainer(
        algorithm=agl.Baseline(n_epochs=1, train_split=0.5, polling_interval=0.2, span_verbosity="none"),
        store=store,
        strategy=agl.ClientServerExecutionStrategy(n_runners=1, managed_store=False),
        runner=agl.LitAgentRunner(tracer=agl.AgentOpsTracer(), poll_interval=0.2, heartbeat_interval=0.5),
        initial_resources=resources_for(model_url),
    )
    train = [{"question": "What is 11 * 11?", "expected": "121", "emit": True}, {"question": "What is 64 divided by 8?", "expected": "8", "emit": False}]
    val = [{"question": "What is 13 + 29?", "expected": "42", "emit": True}]
    trainer.fit(ArithmeticAgent(), train_dataset=train, val_dataset=val)

    async def report() -> Dict[str, Any]:
        s = LightningStoreClient(url)
        rollouts = await s.query_rollouts(sort_by="start_time")
        ours = [r for r in rollouts if isinstance(r.input, dict) and r.input.get("question") in {t["question"] for t in train + val}]
        latest = await s.get_latest_resources()
        out = {
            "rollouts": [
                {
                    "rollout_id": r.rollout_id,
                    "status": r.status,
                    "mode": r.mode,
                    "resources_id": r.resources_id,
                    "reward": agl.find_final_reward(list(await s.query_spans(r.rollout_id, "latest"))),
                }
                for r in ours
            ],
            "resources_id": latest.resources_id if latest else None,
        }
        await s.close()
        return out

    emit(asyncio.run(report()))


# ---- restart: a runner's work loop while the store restarts ---------------------------------------------------


async def work_loop(store: LightningStoreClient, n: int, on_step: Any = None) -> Dict[str, List[str]]:
    """Enqueue n rollouts, then dequeue, send 3 spans and complete each; every acknowledged step is printed.

    An attempt whose dequeue answer was lost in the crash is nobody's: its rollout names `unresponsive` as a retry
    condition, so the store requeues it (Agent Lightning's own recovery for lost workers).
    """
    acked: Dict[str, List[str]] = {"rollouts": [], "spans": [], "completed": []}
    config = RolloutConfig(unresponsive_seconds=5, max_attempts=5, retry_condition=["unresponsive"])
    for i in range(n):
        r = await store.enqueue_rollout(input={"i": i}, mode="train", config=config)
        acked["rollouts"].append(r.rollout_id)
        emit({"ack": "rollout", "id": r.rollout_id})
    completed: set = set()
    deadline = time.time() + 180
    while not set(acked["rollouts"]) <= completed and time.time() < deadline:
        got = await store.dequeue_rollout(worker_id="restart-worker")
        if got is None:
            await asyncio.sleep(0.2)
            continue
        at = got.attempt.attempt_id
        for k in range(3):
            seq = await store.get_next_span_sequence_id(got.rollout_id, at)
            span_id = f"{len(acked['spans']):08x}{k:08x}"
            stored = await store.add_span(make_span(got.rollout_id, at, seq, f"step-{k}", span_id, None, time.time()))
            if stored is not None:
                acked["spans"].append(f"{got.rollout_id}/{span_id}")
                emit({"ack": "span", "id": f"{got.rollout_id}/{span_id}"})
        await store.update_attempt(got.rollout_id, at, status="succeeded")
        if got.rollout_id not in completed:
            completed.add(got.rollout_id)
            acked["completed"].append(got.rollout_id)
            emit({"ack": "completed", "id": got.rollout_id, "n": len(completed)})
            if on_step is not None:
                await on_step(len(completed))
    return acked


async def survived(store: LightningStoreClient, acked: Dict[str, List[str]]) -> Dict[str, int]:
    found_rollouts = 0
    succeeded = 0
    found_spans = 0
    spans_by_rollout: Dict[str, set] = {}
    for rid in acked["rollouts"]:
        r = await store.get_rollout_by_id(rid)
        if r is not None:
            found_rollouts += 1
            if r.status == "succeeded":
                succeeded += 1
            spans_by_rollout[rid] = {s.span_id for s in await store.query_spans(rid)}
    for key in acked["spans"]:
        rid, span_id = key.split("/")
        if span_id in spans_by_rollout.get(rid, set()):
            found_spans += 1
    return {
        "acked_rollouts": len(acked["rollouts"]),
        "found_rollouts": found_rollouts,
        "acked_spans": len(acked["spans"]),
        "found_spans": found_spans,
        "acked_completions": len(acked["completed"]),
        "succeeded": succeeded,
    }


async def restart(url: str, n: int) -> None:
    # Long enough to ride out the restart: the client's own retry settings, not the server's.
    store = LightningStoreClient(url, retry_delays=(0.5, 1, 2, 4, 8, 8), health_retry_delays=(0.25,) * 80)
    acked = await work_loop(store, n)
    await store.close()
    check = LightningStoreClient(url, retry_delays=(), health_retry_delays=())
    emit({"summary": await survived(check, acked)})
    await check.close()


def inmemory_server(port: int) -> subprocess.Popen:
    code = (
        "import asyncio, agentlightning as agl\n"
        f"s = agl.LightningStoreServer(agl.InMemoryLightningStore(thread_safe=True), host='127.0.0.1', port={port})\n"
        "asyncio.run(s.run_forever())\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("Agent Lightning's store server did not start")


async def inmemory_restart(n: int, k: int) -> None:
    port = free_port()
    proc = inmemory_server(port)
    store = LightningStoreClient(f"http://127.0.0.1:{port}", retry_delays=(0.5, 1, 2, 4, 8, 8), health_retry_delays=(0.25,) * 80)

    class Stop(Exception):
        pass

    async def at(step: int) -> None:
        if step == k:
            raise Stop()

    acked: Dict[str, List[str]] = {"rollouts": [], "spans": [], "completed": []}
    try:
        await work_loop(store, n, at)
    except Stop:
        pass
    # What the loop was told before the restart (the printed acks, re-read from the same counters).
    acked = {"rollouts": [], "spans": [], "completed": []}
    for line in LOG:
        acked[{"rollout": "rollouts", "span": "spans", "completed": "completed"}[line["ack"]]].append(line["id"])
    await store.close()
    proc.kill()
    proc.wait()
    proc = inmemory_server(port)
    # Agent Lightning 0.3 answers a GET of an unknown rollout with a 500 (its response model refuses null), which its
    # client turns into None after its retries: no retries here, the answer is the same.
    check = LightningStoreClient(f"http://127.0.0.1:{port}", retry_delays=(), health_retry_delays=())
    try:
        emit({"summary": await survived(check, acked)})
    finally:
        await check.close()
        proc.kill()
        proc.wait()


class KeyedStoreClient(LightningStoreClient):
    """LightningStoreClient has no headers option: its aiohttp sessions are made with none. This gives them one."""

    def __init__(self, url: str, key: str, **kwargs: Any) -> None:
        super().__init__(url, **kwargs)
        self._key = key

    async def _get_session(self):  # type: ignore[override]
        import aiohttp

        loop = asyncio.get_running_loop()
        with self._lock:
            sess = self._sessions.get(id(loop))
            if sess is None or sess.closed:
                sess = aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=self._request_timeout, connect=self._connection_timeout),
                    headers={"Authorization": f"Bearer {self._key}"},
                )
                self._sessions[id(loop)] = sess
        return sess

    def __getstate__(self):  # the key travels with the client to runner processes
        return {**super().__getstate__(), "_key": self._key}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        super().__setstate__(state)
        self._key = state["_key"]


async def auth(url: str, worker_key: str, admin_key: str) -> None:
    out: Dict[str, Any] = {}

    async def status_of(coro: Any) -> Any:
        try:
            await coro
            return 200
        except Exception as e:
            return getattr(e, "status", type(e).__name__)

    plain = LightningStoreClient(url, retry_delays=(), health_retry_delays=())
    out["plain_health"] = await plain._wait_until_healthy(await plain._get_session())  # pyright: ignore[reportPrivateUsage]
    out["plain_query"] = await status_of(plain.query_rollouts())
    await plain.close()
    worker = KeyedStoreClient(url, worker_key, retry_delays=(), health_retry_delays=())
    admin = KeyedStoreClient(url, admin_key, retry_delays=(), health_retry_delays=())
    out["worker_enqueue"] = await status_of(worker.enqueue_rollout(input={"q": 1}))
    out["admin_enqueue"] = await status_of(admin.enqueue_rollout(input={"q": 1}))
    got = await worker.dequeue_rollout(worker_id="keyed-worker")
    out["worker_dequeue"] = got.status if got else None
    out["worker_update_attempt"] = await status_of(worker.update_attempt(got.rollout_id, got.attempt.attempt_id, status="succeeded")) if got else None
    out["worker_query"] = await status_of(worker.query_rollouts())
    out["worker_add_resources"] = await status_of(worker.add_resources({"p": PromptTemplate(template="x", engine="f-string")}))
    await worker.close()
    await admin.close()
    emit(out)


LOG: List[Dict[str, Any]] = []


def main() -> None:
    mode = sys.argv[1]
    if mode == "compare":
        asyncio.run(compare(sys.argv[2]))
    elif mode == "runner":
        asyncio.run(run_runner(sys.argv[2], sys.argv[3], [x for x in sys.argv[4:] if x]))
    elif mode == "trainer":
        run_trainer(sys.argv[2], sys.argv[3])
    elif mode == "restart":
        asyncio.run(restart(sys.argv[2], int(sys.argv[3])))
    elif mode == "auth":
        asyncio.run(auth(sys.argv[2], sys.argv[3], sys.argv[4]))
    elif mode == "inmemory-restart":
        global emit
        plain = emit

        def logged(obj: Any) -> None:
            if isinstance(obj, dict) and "ack" in obj:
                LOG.append(obj)
            plain(obj)

        emit = logged
        asyncio.run(inmemory_restart(int(sys.argv[2]), int(sys.argv[3])))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
