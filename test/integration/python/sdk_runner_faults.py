"""runner() mechanics the real queue cannot be made to show on demand, against small local stand-ins of its
HTTP contract (as the TypeScript SDK's tests do): a rejected key stops the runner with the error, an
unreachable server is retried with back-off, a heartbeat answered 409 tells the agent its attempt is lost,
and a completion answered 503 is retried until delivered.

Usage: python sdk_runner_faults.py
Prints one JSON object of findings.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sdk_common import emit

import tracelight


class StandIn:
    """A queue stand-in: `routes` maps (method, path suffix) to a list of (status, body) answered in turn (the
    last one repeats); every request is logged as (method, path, body)."""

    def __init__(self, routes: dict[tuple[str, str], list[tuple[int, Any]]]) -> None:
        self.routes = routes
        self.log: list[tuple[str, str, Any]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                stand_in.log.append(("POST", self.path, json.loads(raw) if raw else None))
                for (method, suffix), answers in stand_in.routes.items():
                    if method == "POST" and self.path.endswith(suffix):
                        status, body = answers.pop(0) if len(answers) > 1 else answers[0]
                        data = b"" if body is None else json.dumps(body).encode()
                        self.send_response(status)
                        self.send_header("content-type", "application/json")
                        self.send_header("content-length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data)
                        return
                self.send_response(404)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


quiet: dict[str, Any] = {"handle_signals": False, "init": False}
out: dict[str, Any] = {}
CLAIM = {"rollout_id": "ro-1", "attempt_id": "at-1", "sequence": 1, "input": {"n": 1}, "mode": "train", "resources": {}, "config": {}, "metadata": {}}

# ---- a rejected key: fatal, the runner stops and wait() raises the server's error
rejecting = StandIn({("POST", "/claim"): [(401, {"error": "unauthorized: missing or invalid API key"})]})
r = tracelight.runner(lambda task: 1, server=rejecting.url, wait_ms=0, **quiet)
try:
    r.wait(10)
    out["fatal"] = "no error"
except tracelight.ApiError as err:
    out["fatal"] = f"{type(err).__name__}: {err}"
out["fatal_stats"] = r.stats.as_dict()
rejecting.close()

# ---- unreachable: claims are retried with back-off until stop()
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    closed_port = s.getsockname()[1]
r = tracelight.runner(lambda task: 1, server=f"http://127.0.0.1:{closed_port}", backoff_initial_ms=20, backoff_max_ms=40, **quiet)
time.sleep(0.5)
out["unreachable_stats"] = r.stop(10).as_dict()

# ---- a heartbeat answered 409: the attempt is lost; the agent sees ctx.lost and the runner still completes it
lost = StandIn(
    {
        ("POST", "/claim"): [(200, CLAIM), (204, None)],
        ("POST", "/heartbeat"): [(409, {"error": "attempt at-1 is over (timeout)"})],
        ("POST", "/complete"): [(200, {"rollout_id": "ro-1", "attempt_id": "at-1", "attempt_status": "timeout", "status": "failed"})],
    }
)


def waits_for_loss(task: dict[str, Any], resources: dict[str, Any], ctx: tracelight.AgentContext) -> float:
    return 1.0 if ctx.lost.wait(5) else 0.0


r = tracelight.runner(waits_for_loss, server=lost.url, wait_ms=0, heartbeat_ms=30, until_empty=True, **quiet)
out["lost_stats"] = r.wait(10).as_dict()
out["lost_log"] = [[method, path.rsplit("/", 1)[-1], body] for method, path, body in lost.log]
lost.close()

# ---- a completion answered 503 once: retried, delivered once
flaky = StandIn(
    {
        ("POST", "/claim"): [(200, CLAIM), (204, None)],
        ("POST", "/complete"): [(503, {"error": "store unavailable"}), (200, {"status": "succeeded"})],
    }
)
r = tracelight.runner(lambda task: 0.5, server=flaky.url, wait_ms=0, until_empty=True, backoff_initial_ms=20, backoff_max_ms=40, **quiet)
out["flaky_stats"] = r.wait(10).as_dict()
out["flaky_completes"] = [body for method, path, body in flaky.log if path.endswith("/complete")]
flaky.close()

emit(out)
