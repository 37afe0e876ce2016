"""A small JSON client for tracelight's REST API (`/api/v1/...`), mirroring instrumentation/sdk/http.ts:
bearer auth, timeouts, errors that name the problem in one line, and a classification of failures into
"try again later" (network trouble, 408/425/429, 5xx) and "this will not work" (other HTTP errors).
"""

from __future__ import annotations

import errno
import json
import random
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

#: Longest server error detail an ApiError quotes (an HTML error page from a proxy can be long).
MAX_DETAIL_CHARS = 300


def _one_line(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class ApiError(Exception):
    """The server answered with an error status: `POST /api/v1/rollouts/claim: HTTP 401 — unauthorized`."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        if isinstance(body, dict) and "error" in body:
            detail = str(body["error"])
        elif isinstance(body, str):
            detail = body
        else:
            detail = ""
        detail = _one_line(detail)
        super().__init__(f"{method} {path}: HTTP {status}{f' — {detail}' if detail else ''}")
        self.method = method
        self.path = path
        self.status = status
        self.body = body


def _network_reason(err: BaseException) -> str:
    """The root cause of a failed request, as short as Node's (`ECONNREFUSED`, `Name or service not known`):
    requests wraps it in urllib3's MaxRetryError, which wraps a NewConnectionError, caused by the OSError."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and not isinstance(current, requests.RequestException) and current.errno:
            return errno.errorcode.get(current.errno, current.strerror or str(current.errno))
        following = getattr(current, "reason", None)
        if not isinstance(following, BaseException):
            first = current.args[0] if current.args else None
            following = first if isinstance(first, BaseException) else current.__cause__ or current.__context__
        current = following
    return _one_line(str(err), 160)


class ApiConnectionError(ConnectionError):
    """tracelight could not be reached, or did not answer in time (worth retrying)."""


def is_retryable(err: BaseException) -> bool:
    """Network failures, timeouts, 408/425/429 and 5xx are worth retrying; other HTTP errors are not."""
    if isinstance(err, ApiError):
        return err.status in (408, 425, 429) or err.status >= 500
    return True


def backoff_delay_ms(attempt: int, initial_ms: float, max_ms: float) -> float:
    """Exponential back-off with jitter: attempt 0 → ~initial, doubling up to max."""
    base = min(max_ms, initial_ms * 2 ** min(attempt, 30))
    return float(round(base * (0.5 + random.random() * 0.5)))


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: Mapping[str, str]
    #: Parsed JSON body; None for empty bodies (204, 304); the text when it is not JSON.
    body: Any


_NO_BODY = object()


class ApiClient:
    """JSON over HTTP to one tracelight server. Safe to share between threads (one session per thread)."""

    def __init__(
        self,
        server: str,
        api_key: str = "",
        timeout_ms: float = 30_000,
        session_factory: Callable[[], requests.Session] = requests.Session,
    ) -> None:
        self.server = server.rstrip("/")
        self._api_key = api_key
        self._timeout_ms = timeout_ms
        self._session_factory = session_factory
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self._session_factory()
        return session

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = _NO_BODY,
        headers: Mapping[str, str] | None = None,
        timeout_ms: float | None = None,
        accept: Iterable[int] = (),
    ) -> ApiResponse:
        """Sends one request. Raises ApiError for a status outside 2xx and `accept`, ApiConnectionError when
        the server cannot be reached or does not answer within the timeout."""
        sent: dict[str, str] = {"accept": "application/json", **(headers or {})}
        if self._api_key:
            sent["authorization"] = f"Bearer {self._api_key}"
        data: bytes | None = None
        if body is not _NO_BODY:
            sent["content-type"] = "application/json"
            data = json.dumps(body).encode()
        timeout = timeout_ms if timeout_ms is not None else self._timeout_ms
        try:
            res = self._session().request(method, f"{self.server}{path}", data=data, headers=sent, timeout=timeout / 1000)
        except requests.Timeout as err:
            raise ApiConnectionError(f"{method} {path}: no answer from {self.server} within {timeout:g} ms") from err
        except requests.RequestException as err:
            raise ApiConnectionError(f"{method} {path}: cannot reach {self.server} ({_network_reason(err)})") from err
        text = res.text
        parsed: Any = None
        if text != "":
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = text
        if not 200 <= res.status_code <= 299 and res.status_code not in tuple(accept):
            raise ApiError(method, path, res.status_code, parsed)
        return ApiResponse(res.status_code, res.headers, parsed)
