"""The resource client (mirrors instrumentation/sdk/resources.ts): versioned, labelled resources (prompt
templates, model endpoints, …) fetched from `GET /api/v1/resources/{name}?label=…|version=…`, kept in memory,
and revalidated with the ETag (`If-None-Match` → 304 keeps the cached value).

A pinned version never changes, so it is served from memory once fetched. When the server cannot be
reached, the last value seen is served rather than failing the agent.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .api_client import ApiClient, ApiError, is_retryable
from .attributes import resource_version_key
from .otel import default_api_target
from .rollout import current_rollout

_log = logging.getLogger("tracelight")


@dataclass(frozen=True)
class Resource:
    """One version of a resource."""

    name: str
    version: int
    #: `prompt_template`, `llm`, `model` or `json`.
    kind: str
    #: The version's content, e.g. `{"template": "Solve: {{question}}"}` for a prompt template.
    content: Any
    #: The labels pointing at this version when it was fetched (e.g. `["production"]`).
    labels: tuple[str, ...] = ()
    #: The server's whole answer (parent, metrics, author, created_at, …).
    data: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


class ResourceNotFoundError(LookupError):
    """No such resource, version or label."""

    def __init__(self, resource: str, selector: str) -> None:
        super().__init__(f"resource {resource}{f' ({selector})' if selector else ''} not found")
        self.resource = resource
        self.selector = selector


@dataclass
class ResourceClientStats:
    #: Requests sent.
    requests: int = 0
    #: Of those, answered 304 Not Modified (cached value kept).
    not_modified: int = 0
    #: Served from memory without a request (pinned versions, max_age_ms).
    cache_hits: int = 0
    #: Served from memory because the server could not be reached.
    stale: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"requests": self.requests, "not_modified": self.not_modified, "cache_hits": self.cache_hits, "stale": self.stale}


@dataclass
class _Entry:
    value: Resource
    etag: str | None
    fetched_at: float


def resource_from_json(body: Any, name: str) -> Resource:
    """A Resource from the server's answer (a version object, or a claim's pinned resource)."""
    if not isinstance(body, dict):
        raise ValueError(f"resource {name}: the server's answer is not a JSON object")
    if not isinstance(body.get("kind"), str) or "content" not in body or body.get("version") is None:
        raise ValueError(f"resource {name}: the answer lacks kind, version or content")
    labels = body.get("labels")
    return Resource(
        name=body["name"] if isinstance(body.get("name"), str) else name,
        version=int(body["version"]),
        kind=body["kind"],
        content=body["content"],
        labels=tuple(labels) if isinstance(labels, list) else (),
        data=dict(body),
    )


class ResourceClient:
    """A cache of resources over one server; safe to share between threads."""

    def __init__(self, server: str | None = None, api_key: str | None = None, timeout_ms: float = 10_000) -> None:
        target_server, target_key = default_api_target()
        self._api = ApiClient(server or target_server, target_key if api_key is None else api_key, timeout_ms=timeout_ms)
        self._cache: dict[str, _Entry] = {}
        self._in_flight: dict[str, Future[Resource]] = {}
        self._lock = threading.Lock()
        self.stats = ResourceClientStats()

    @property
    def server(self) -> str:
        return self._api.server

    def get(self, name: str, label: str | None = None, version: int | None = None, max_age_ms: float | None = None) -> Resource:
        """Fetches a resource, revalidating a cached copy with its ETag.

        label: e.g. `production`; version: a pinned version. With neither: the server's default, the
        `production` label, else the latest version. max_age_ms: serve a labelled copy from memory without
        asking while younger than this (default: always revalidate).

        Raises ResourceNotFoundError (404), ApiError (other refusals) or ApiConnectionError (unreachable, with
        no cached copy). Inside a rollout, the version is recorded on its root span.
        """
        if not isinstance(name, str) or name == "":
            raise TypeError("resources.get: name must be a non-empty string")
        if label is not None and version is not None:
            raise TypeError("resources.get: give a label or a version, not both")
        if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
            raise TypeError("resources.get: version must be a positive integer")
        selector = f"version={version}" if version is not None else f"label={quote(label, safe='')}" if label is not None else ""
        value = self._lookup(name, selector, f"{name}?{selector}", pinned=version is not None, max_age_ms=max_age_ms)
        rollout = current_rollout()
        if rollout is not None and rollout.span.is_recording():
            rollout.span.set_attribute(resource_version_key(value.name or name), str(value.version))
        return value

    def clear(self) -> None:
        """Forgets every cached resource."""
        with self._lock:
            self._cache.clear()

    def _lookup(self, name: str, selector: str, key: str, pinned: bool, max_age_ms: float | None) -> Resource:
        with self._lock:
            entry = self._cache.get(key)
            if entry is not None and (pinned or (max_age_ms is not None and (time.monotonic() - entry.fetched_at) * 1000 < max_age_ms)):
                self.stats.cache_hits += 1
                return entry.value
            # One request per key at a time: concurrent callers share it.
            pending = self._in_flight.get(key)
            owner = pending is None
            if pending is None:
                pending = self._in_flight[key] = Future()
        if not owner:
            return pending.result()
        try:
            pending.set_result(self._fetch(name, selector, key))
        except BaseException as err:
            pending.set_exception(err)
        finally:
            with self._lock:
                self._in_flight.pop(key, None)
        return pending.result()

    def _fetch(self, name: str, selector: str, key: str) -> Resource:
        with self._lock:
            entry = self._cache.get(key)
            self.stats.requests += 1
        headers = {"if-none-match": entry.etag} if entry is not None and entry.etag else {}
        path = f"/api/v1/resources/{quote(name, safe='')}{f'?{selector}' if selector else ''}"
        try:
            res = self._api.request("GET", path, headers=headers, accept=(304,))
        except ApiError as err:
            if err.status == 404:
                with self._lock:
                    self._cache.pop(key, None)
                raise ResourceNotFoundError(name, selector) from err
            if entry is not None and is_retryable(err):
                return self._stale(key, entry, err)
            raise
        except Exception as err:
            if entry is not None and is_retryable(err):
                return self._stale(key, entry, err)
            raise
        if res.status == 304:
            if entry is None:
                raise ApiError("GET", path, 304, "Not Modified without a cached copy")
            with self._lock:
                self.stats.not_modified += 1
                entry.fetched_at = time.monotonic()
            return entry.value
        value = resource_from_json(res.body, name)
        with self._lock:
            self._cache[key] = _Entry(value, res.headers.get("etag"), time.monotonic())
        return value

    def _stale(self, key: str, entry: _Entry, err: BaseException) -> Resource:
        with self._lock:
            self.stats.stale += 1
        _log.warning("tracelight: serving cached resource %s: %s", key, err)
        return entry.value


class _SharedResources:
    """`tracelight.resources`: get / clear / stats on one client, (re)made when init()'s target changes."""

    def __init__(self) -> None:
        self._client: ResourceClient | None = None
        self._target: tuple[str, str] | None = None
        self._lock = threading.Lock()

    def _shared(self) -> ResourceClient:
        target = default_api_target()
        with self._lock:
            if self._client is None or target != self._target:
                self._client = ResourceClient(*target)
                self._target = target
            return self._client

    def get(self, name: str, label: str | None = None, version: int | None = None, max_age_ms: float | None = None) -> Resource:
        """`resources.get(name, label=…)` or `resources.get(name, version=…)` with the shared client."""
        return self._shared().get(name, label=label, version=version, max_age_ms=max_age_ms)

    def clear(self) -> None:
        if self._client is not None:
            self._client.clear()

    @property
    def stats(self) -> ResourceClientStats:
        return self._shared().stats


resources = _SharedResources()


def create_resource_client(server: str | None = None, api_key: str | None = None, timeout_ms: float = 10_000) -> ResourceClient:
    """A resource client with its own server, key and cache."""
    return ResourceClient(server, api_key, timeout_ms)
