"""runner(): the worker loop over tracelight's rollout queue (mirrors instrumentation/sdk/runner.ts).

Each of `concurrency` slots claims a rollout (long poll), runs the agent inside with_rollout() for the
claimed ids (so its spans carry them) with the resources the rollout pins, heartbeats while it runs, and
completes the attempt: `succeeded` with the reward the agent returned (if a number), or `failed` with the
raised error's message. Network trouble backs off and retries; SIGTERM/SIGINT or stop() finish the running
attempts and the pending claims (at most wait_ms away) and claim no more (a second signal exits at once).

Slots are threads, since the REST calls and most agents block. An `async def` agent (or one returning an
awaitable) runs on one event loop shared by the runner's slots, so async clients made once (AsyncOpenAI)
serve every attempt from the same loop.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from types import FrameType
from typing import Any
from urllib.parse import quote

from opentelemetry import context as otel_context

from .api_client import ApiClient, ApiError, backoff_delay_ms, is_retryable
from .config import signal_protocol
from .otel import current_handle, default_api_target
from .otel import init as otel_init
from .resource_client import Resource, resource_from_json
from .rollout import with_rollout

#: Longest a claim may hold its request open (schemas/rollouts.ts MAX_WAIT_MS).
MAX_WAIT_MS = 60_000
#: Longer error messages are cut (the queue stores up to 100 000 characters).
MAX_ERROR_CHARS = 10_000
#: Attempts to deliver a completion before giving up on it.
COMPLETE_TRIES = 8


def _default_logger() -> logging.Logger:
    """The `tracelight.runner` logger; while logging is not configured at all, it reports on stderr itself (as
    the TypeScript runner does), so a worker's "SIGTERM: finishing …" is seen without any set-up."""
    log = logging.getLogger("tracelight.runner")
    if not log.hasHandlers():
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("tracelight runner: %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


@dataclass(frozen=True)
class AgentContext:
    """What the agent gets beside its input and resources."""

    rollout_id: str
    attempt_id: str
    #: `train`, `val` or `test` as enqueued ('' when none was given).
    mode: str
    worker_id: str
    #: Set when the server says this attempt is no longer ours (timed out, cancelled): stop working on it.
    lost: threading.Event
    #: The claim as the server sent it.
    claim: Mapping[str, Any]


Agent = Callable[..., Any]


@dataclass
class RunnerStats:
    claimed: int = 0
    succeeded: int = 0
    failed: int = 0
    #: Requests that failed (and were retried or given up).
    request_errors: int = 0
    #: Attempts whose completion could not be delivered.
    complete_errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _error_message(err: BaseException) -> str:
    return str(err) or type(err).__name__


def _arity(agent: Agent) -> int:
    """How many of (input, resources, ctx) the agent takes: JavaScript ignores extra arguments, Python refuses
    them, so a one-argument `def agent(task)` is called with the input alone."""
    try:
        params = list(inspect.signature(agent).parameters.values())
    except (TypeError, ValueError):
        return 3
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params):
        return 3
    positional = [p for p in params if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    return min(3, len(positional))


def _parse_claim(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("rollout_id"), str) or not isinstance(body.get("attempt_id"), str):
        raise ValueError(f"claim: the server's answer lacks rollout_id / attempt_id: {str(body)[:200]}")
    return body


def _attempt_path(claim: Mapping[str, Any], action: str) -> str:
    return f"/api/v1/rollouts/{quote(claim['rollout_id'], safe='')}/attempts/{quote(claim['attempt_id'], safe='')}/{action}"


class _EventLoopThread:
    """One asyncio loop in a daemon thread, where the runner awaits what async agents return."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tracelight-runner-loop", daemon=True)
        self._thread.start()

    def run(self, awaitable: Awaitable[Any]) -> Any:
        # The task starts in the loop thread's context: carry the rollout's OpenTelemetry context over.
        rollout_context = otel_context.get_current()

        async def in_rollout() -> Any:
            token = otel_context.attach(rollout_context)
            try:
                return await awaitable
            finally:
                otel_context.detach(token)

        return asyncio.run_coroutine_threadsafe(in_rollout(), self._loop).result()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()


class Runner:
    """A running worker loop: stats, stop(), wait(). Made by runner()."""

    def __init__(
        self,
        agent: Agent,
        *,
        concurrency: int,
        api: ApiClient,
        worker_id: str,
        wait_ms: int,
        heartbeat_ms: float,
        backoff_initial_ms: float,
        backoff_max_ms: float,
        until_empty: bool,
        max_attempts: int | None,
        handle_signals: bool,
        flush_before_complete: bool,
        logger: logging.Logger | logging.LoggerAdapter[Any],
    ) -> None:
        self.worker_id = worker_id
        self.stats = RunnerStats()
        self._agent = agent
        self._arity = _arity(agent)
        self._api = api
        self._wait_ms = wait_ms
        self._heartbeat_s = heartbeat_ms / 1000
        self._backoff = (backoff_initial_ms, backoff_max_ms)
        self._until_empty = until_empty
        self._max_attempts = max_attempts
        self._flush_before_complete = flush_before_complete
        self._log = logger
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._done = threading.Event()
        self._running = 0
        self._reserved = 0
        self._fatal: BaseException | None = None
        self._loop: _EventLoopThread | None = None
        self._previous_handlers: dict[int, Any] = {}
        if handle_signals and threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                self._previous_handlers[signum] = signal.signal(signum, self._on_signal)
        elif handle_signals:
            self._log.debug("runner started outside the main thread: SIGTERM / SIGINT are not handled")
        self._slots = [threading.Thread(target=self._slot, name=f"tracelight-runner-{i}") for i in range(concurrency)]
        for slot in self._slots:
            slot.start()
        self._finisher = threading.Thread(target=self._finish, name="tracelight-runner-finish", daemon=True)
        self._finisher.start()

    # ------------------------------------------------------------------ public

    @property
    def running(self) -> int:
        """Attempts running now."""
        return self._running

    @property
    def done(self) -> bool:
        """Whether every slot has ended."""
        return self._done.is_set()

    def stop(self, timeout: float | None = None) -> RunnerStats:
        """Stops claiming, finishes running attempts (and what a pending claim brings, at most wait_ms away);
        returns like wait()."""
        self._stopping.set()
        return self.wait(timeout)

    def wait(self, timeout: float | None = None) -> RunnerStats:
        """Blocks until every slot has ended and returns the stats; raises the fatal error that stopped the
        runner (such as a rejected API key), TimeoutError when `timeout` seconds pass first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        # Short waits, so the main thread keeps running signal handlers.
        while not self._done.wait(0.2):
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"the runner did not finish within {timeout} s")
        self._restore_signals()
        if self._fatal is not None:
            raise self._fatal
        return self.stats

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._done.wait()
        self._restore_signals()

    # ------------------------------------------------------------------ signals

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._done.is_set():
            # This runner is over: the signal belongs to whoever handled it before.
            previous = self._previous_handlers.get(signum)
            self._restore_signals()
            if callable(previous):
                previous(signum, frame)
            else:
                os.kill(os.getpid(), signum)
            return
        name = signal.Signals(signum).name
        if self._stopping.is_set():
            self._log.warning("%s again: exiting now", name)
            os._exit(130 if signum == signal.SIGINT else 143)
        self._log.info("%s: finishing %d running attempt(s), claiming no more (send it again to exit now)", name, self._running)
        self._stopping.set()

    def _restore_signals(self) -> None:
        if not self._previous_handlers or threading.current_thread() is not threading.main_thread():
            return
        for signum, previous in self._previous_handlers.items():
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        self._previous_handlers = {}

    # ------------------------------------------------------------------ the queue

    def _count(self, field: str) -> None:
        with self._lock:
            setattr(self.stats, field, getattr(self.stats, field) + 1)

    def _claim(self) -> dict[str, Any] | None:
        # Not cut short by stop(): a claim answered while the client hung up would leave an attempt nobody runs
        # (it fails as unresponsive later). Stopping waits for the pending claim instead (at most wait_ms) and
        # runs what it brings.
        res = self._api.request(
            "POST",
            "/api/v1/rollouts/claim",
            body={"worker_id": self.worker_id, "wait_ms": self._wait_ms},
            timeout_ms=self._wait_ms + 30_000,
            accept=(204,),
        )
        return None if res.status == 204 or res.body is None else _parse_claim(res.body)

    def _heartbeats(self, claim: Mapping[str, Any], lost: threading.Event, finished: threading.Event) -> None:
        while not finished.wait(self._heartbeat_s):
            try:
                self._api.request("POST", _attempt_path(claim, "heartbeat"), body={}, timeout_ms=max(self._heartbeat_s * 1000, 5000))
            except ApiError as err:
                if err.status in (404, 409, 410):
                    self._log.warning("attempt %s of rollout %s is no longer ours (%s)", claim["attempt_id"], claim["rollout_id"], err)
                    lost.set()
                    return
                self._count("request_errors")
                self._log.warning("heartbeat failed (will retry): %s", err)
            except Exception as err:
                self._count("request_errors")
                self._log.warning("heartbeat failed (will retry): %s", err)

    def _complete(self, claim: Mapping[str, Any], body: dict[str, Any]) -> None:
        for attempt in range(COMPLETE_TRIES):
            try:
                self._api.request("POST", _attempt_path(claim, "complete"), body=body)
                return
            except Exception as err:
                self._count("request_errors")
                if not is_retryable(err) or attempt == COMPLETE_TRIES - 1:
                    self._count("complete_errors")
                    self._log.error("could not complete attempt %s of rollout %s: %s", claim["attempt_id"], claim["rollout_id"], err)
                    return
                time.sleep(backoff_delay_ms(attempt, *self._backoff) / 1000)

    # ------------------------------------------------------------------ attempts

    def _call_agent(self, claim: Mapping[str, Any], resources: dict[str, Resource], ctx: AgentContext) -> Any:
        args = (claim.get("input"), resources, ctx)[: self._arity]
        result = self._agent(*args)
        if inspect.isawaitable(result):
            with self._lock:
                if self._loop is None:
                    self._loop = _EventLoopThread()
                loop = self._loop
            result = loop.run(result)
        return result

    def _run_attempt(self, claim: dict[str, Any]) -> None:
        with self._lock:
            self.stats.claimed += 1
            self._running += 1
        lost = threading.Event()
        resources: dict[str, Resource] = {}
        versions: dict[str, str | int] = {}
        for name, pinned in (claim.get("resources") or {}).items():
            resources[name] = resource_from_json({**pinned, "name": name}, name)
            versions[name] = pinned.get("version")
        ctx = AgentContext(
            rollout_id=claim["rollout_id"],
            attempt_id=claim["attempt_id"],
            mode=claim["mode"] if isinstance(claim.get("mode"), str) else "",
            worker_id=self.worker_id,
            lost=lost,
            claim=claim,
        )
        finished = threading.Event()
        beating = threading.Thread(target=self._heartbeats, args=(claim, lost, finished), name="tracelight-heartbeat", daemon=True)
        beating.start()
        body: dict[str, Any]
        fatal: BaseException | None = None
        try:
            with with_rollout(claim["rollout_id"], claim["attempt_id"], resources=versions):
                result = self._call_agent(claim, resources, ctx)
            body = {"status": "succeeded"}
            if isinstance(result, (int, float)) and not isinstance(result, bool):
                try:
                    finite = math.isfinite(result)
                except OverflowError:
                    finite = False
                if finite:
                    body["reward"] = result
                else:
                    self._log.warning("agent returned %s for rollout %s; completing without a reward", result, claim["rollout_id"])
            self._count("succeeded")
        except BaseException as err:
            body = {"status": "failed", "error": _error_message(err)[:MAX_ERROR_CHARS]}
            self._count("failed")
            # SystemExit and the like still end the slot, but only once the attempt is reported.
            fatal = None if isinstance(err, Exception) else err
        finally:
            finished.set()
        if self._flush_before_complete:
            handle = current_handle()
            try:
                if handle is not None and not handle.flush():
                    self._log.warning("flushing telemetry timed out before completing rollout %s", claim["rollout_id"])
            except Exception as err:
                self._log.warning("flushing telemetry failed: %s", err)
        self._complete(claim, body)
        with self._lock:
            self._running -= 1
        if fatal is not None:
            raise fatal

    def _slot(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            with self._lock:
                if self._max_attempts is not None and self._reserved >= self._max_attempts:
                    return
                self._reserved += 1
            try:
                claim = self._claim()
                failures = 0
            except Exception as err:
                with self._lock:
                    self._reserved -= 1
                if self._stopping.is_set():
                    return
                self._count("request_errors")
                if not is_retryable(err):
                    with self._lock:
                        if self._fatal is None:
                            self._fatal = err
                    self._log.error("stopping: %s", err)
                    self._stopping.set()
                    return
                delay = backoff_delay_ms(failures, *self._backoff)
                failures += 1
                self._log.warning("claim failed, retrying in %d ms: %s", delay, err)
                self._stopping.wait(delay / 1000)
                continue
            if claim is None:
                with self._lock:
                    self._reserved -= 1
                if self._until_empty:
                    return
                continue
            # A claim the server handed out is run even when stop() came meanwhile: it is ours now.
            self._run_attempt(claim)

    def _finish(self) -> None:
        for slot in self._slots:
            slot.join()
        handle = current_handle()
        if handle is not None:
            try:
                handle.flush()
            except Exception as err:
                self._log.warning("flushing telemetry failed: %s", err)
        if self._loop is not None:
            self._loop.close()
        self._done.set()


def runner(
    agent: Agent,
    *,
    concurrency: int = 1,
    server: str | None = None,
    worker_id: str | None = None,
    api_key: str | None = None,
    wait_ms: float = 5000,
    heartbeat_ms: float = 10_000,
    backoff_initial_ms: float = 500,
    backoff_max_ms: float = 30_000,
    until_empty: bool = False,
    max_attempts: int | None = None,
    handle_signals: bool = True,
    flush_before_complete: bool = True,
    init: bool | Mapping[str, Any] = True,
    logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
) -> Runner:
    """Starts the worker loop and returns its Runner (call `.wait()` to block until it ends).

        def agent(task, resources, ctx):        # or (task), or (task, resources); async def works too
            ...
            return 1.0                          # the attempt's reward (anything else: no reward)

        tracelight.runner(agent, concurrency=4).wait()

    agent: called with the rollout's input, its pinned resources (name → Resource) and an AgentContext,
        inside with_rollout() for the claimed ids. A number it returns is the attempt's reward; an exception
        fails the attempt with its message.
    concurrency: attempts run at once (default 1).
    server: tracelight's base URL (default: init()'s endpoint, TRACELIGHT_URL, OTEL_EXPORTER_OTLP_ENDPOINT,
        http://localhost:4318); api_key: bearer key (default: init()'s, TRACELIGHT_API_KEY, or the one in
        OTEL_EXPORTER_OTLP_HEADERS).
    worker_id: default `<host>-<pid>-<random>`.
    wait_ms: long-poll wait per claim (default 5000, at most 60000); heartbeat_ms: heartbeat interval while
        an attempt runs (default 10000); backoff_initial_ms / backoff_max_ms: back-off after a failed
        request, doubling (default 500 → 30000).
    until_empty: end each slot when a claim finds the queue empty (drain the queue, then end).
    max_attempts: stop after this many attempts in all.
    handle_signals: stop gracefully on SIGTERM / SIGINT (default True; only from the main thread).
    flush_before_complete: flush spans before completing each attempt, so its telemetry is stored when it
        shows as done (default True).
    init: start OpenTelemetry when init() has not been called (default True; a mapping of init() options,
        with `server` / `api_key` as its endpoint / key).
    logger: where the runner reports (default the `tracelight.runner` logger).
    """
    if not callable(agent):
        raise TypeError("runner: agent must be callable")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise TypeError("runner: concurrency must be a positive integer")
    target_server, target_key = default_api_target()
    api = ApiClient(server or target_server, target_key if api_key is None else api_key)
    if init is not False and current_handle() is None:
        options: dict[str, Any] = dict(init) if isinstance(init, Mapping) else {}
        # An explicit server is the exporters' endpoint too, unless they speak gRPC (its port serves no REST API).
        if server and "endpoint" not in options and signal_protocol("traces", options.get("protocol")) == "http/protobuf":
            options["endpoint"] = server
        if api_key is not None:
            options.setdefault("api_key", api_key)
        otel_init(**options)
    return Runner(
        agent,
        concurrency=concurrency,
        api=api,
        worker_id=worker_id or f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}",
        wait_ms=min(max(0, round(wait_ms)), MAX_WAIT_MS),
        heartbeat_ms=heartbeat_ms,
        backoff_initial_ms=backoff_initial_ms,
        backoff_max_ms=backoff_max_ms,
        until_empty=until_empty,
        max_attempts=max_attempts,
        handle_signals=handle_signals,
        flush_before_complete=flush_before_complete,
        logger=logger or _default_logger(),
    )
