"""tracelight.resources against a real tracelight (through the test's recording proxy): fetch by label and
version, ETag revalidation (304 keeps the cached value), a moved label, the version recorded on the rollout
span, clear errors; and a cached copy served while the server is unreachable (a local stand-in server that
this script stops).

Usage: python sdk_resources.py NAME      (TRACELIGHT_URL, TRACELIGHT_API_KEY and the OTLP endpoint from the environment)
Prints one JSON object of findings.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
from sdk_common import emit

import tracelight

name = sys.argv[1]
server = os.environ["TRACELIGHT_URL"]
handle = tracelight.init(service_name="sdk-resources", export_interval_ms=100)
out: dict[str, Any] = {}


def create_version(template: str, labels: list[str]) -> int:
    # Writing versions is an admin's job (the CLI's, an optimizer's), not the SDK's: plain requests here.
    res = requests.post(
        f"{server}/api/v1/resources/{name}/versions",
        json={"kind": "prompt_template", "content": {"template": template}, "labels": labels},
        headers={"authorization": f"Bearer {os.environ['TRACELIGHT_API_KEY']}"},
        timeout=10,
    )
    res.raise_for_status()
    return int(res.json()["version"])


v1 = create_version("Solve: {{question}}", ["production"])
first = tracelight.resources.get(name, label="production")
second = tracelight.resources.get(name, label="production")
out["first"] = {"name": first.name, "version": first.version, "kind": first.kind, "content": first.content, "labels": list(first.labels)}
out["second_is_first"] = second is first
out["rendered"] = tracelight.render_prompt(first.content["template"], {"question": "2 + 2"})
out["stats_after_revalidation"] = tracelight.resources.stats.as_dict()

v2 = create_version("Solve step by step: {{question}}", ["production"])
third = tracelight.resources.get(name, label="production")
out["third"] = {"version": third.version, "content": third.content, "v2": v2}

# A pinned version is fetched once, then served from memory.
out["pinned"] = [tracelight.resources.get(name, version=v1).version, tracelight.resources.get(name, version=v1).version]
out["stats"] = tracelight.resources.stats.as_dict()

# Inside a rollout the version used goes on its root span (and so into the triplets' resources).
with tracelight.with_rollout(f"r-res-{name}", "a-res") as rollout:
    tracelight.resources.get(name)
out["rollout"] = rollout.rollout_id

errors: dict[str, str] = {}
failing: dict[str, Callable[[], object]] = {
    "not_found": lambda: tracelight.resources.get("no-such-prompt"),
    "bad_name": lambda: tracelight.resources.get("not a name!"),
    "label_and_version": lambda: tracelight.resources.get(name, label="production", version=1),
    "bad_version": lambda: tracelight.resources.get(name, version=0),
}
for label, call in failing.items():
    try:
        call()
        errors[label] = "accepted"
    except Exception as err:
        errors[label] = f"{type(err).__name__}: {err}"
out["errors"] = errors


# ---- unreachable: a stand-in server answers once, then goes away; the cached copy is served.
class OneResource(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"name": "standin", "version": 7, "kind": "json", "content": {"k": 1}, "labels": ["production"]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("etag", '"standin@7;production"')
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


standin = ThreadingHTTPServer(("127.0.0.1", 0), OneResource)
threading.Thread(target=standin.serve_forever, daemon=True).start()
client = tracelight.create_resource_client(server=f"http://127.0.0.1:{standin.server_address[1]}", timeout_ms=2000)
live = client.get("standin")
standin.shutdown()
standin.server_close()
out["stale_is_live"] = client.get("standin") is live
out["stale_stats"] = client.stats.as_dict()
try:
    client.get("other")
    out["unreachable"] = "accepted"
except Exception as err:
    out["unreachable"] = f"{type(err).__name__}: {err}"

out["flushed"] = handle.flush()
emit(out)
