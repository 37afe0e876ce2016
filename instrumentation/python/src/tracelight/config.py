"""Where the SDK sends things: options first, then the standard OpenTelemetry variables, then tracelight's own.

Mirrors instrumentation/sdk/config.ts. The REST API (`/api/v1/...`) is served on tracelight's OTLP/HTTP port,
so one address serves both — except when the exporters speak gRPC, whose port serves no REST API.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Literal
from urllib.parse import unquote

#: tracelight's OTLP/HTTP port on this machine: the standard default.
DEFAULT_ENDPOINT = "http://localhost:4318"

Protocol = Literal["http/protobuf", "grpc"]
Signal = Literal["traces", "logs"]

_BEARER = re.compile(r"^Bearer\s+(.+)$", re.IGNORECASE)
_log = logging.getLogger("tracelight")


def env(name: str) -> str | None:
    """The variable's value, trimmed; None when unset or blank (blank means unset in the OTel spec)."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_bool(name: str) -> bool | None:
    """A boolean variable (`true`/`false`/`1`/`0`, any case); None when unset or unparseable."""
    value = (env(name) or "").lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    return None


def parse_header_list(raw: str | None) -> dict[str, str]:
    """`OTEL_EXPORTER_OTLP_HEADERS` as the spec writes it: `key1=value1,key2=value2`, values URL-encoded.

    Malformed pairs are skipped. Keys are lower-cased: HTTP headers are case-insensitive, and gRPC metadata
    keys must be lower case.
    """
    out: dict[str, str] = {}
    if not raw:
        return out
    for pair in raw.split(","):
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            continue
        out[key.lower()] = unquote(value.strip())
    return out


def signal_protocol(signal: Signal, override: str | None = None, warn: bool = True) -> Protocol:
    """The OTLP protocol of one signal: the option, else `OTEL_EXPORTER_OTLP_{TRACES,LOGS}_PROTOCOL`, else
    `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf` (the spec's default, tracelight's port 4318).
    `http/json` has no Python exporter, so it is sent as protobuf (tracelight reads both)."""
    raw = (override or env(f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL") or env("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf").strip().lower()
    if raw == "grpc":
        return "grpc"
    if warn and raw == "http/json":
        _log.warning("tracelight: the Python OTLP exporters cannot send http/json; sending %s as http/protobuf", signal)
    elif warn and raw not in ("http/json", "http/protobuf"):
        _log.warning("tracelight: unsupported OTLP protocol %r for %s (grpc, http/protobuf or http/json); using http/protobuf", raw, signal)
    return "http/protobuf"


def signal_headers(signal: Signal) -> dict[str, str]:
    """The export headers the environment gives one signal: the per-signal variable, else the general one."""
    return parse_header_list(env(f"OTEL_EXPORTER_OTLP_{signal.upper()}_HEADERS") or env("OTEL_EXPORTER_OTLP_HEADERS"))


def signal_url(endpoint: str, signal: Signal) -> str:
    """The OTLP/HTTP URL of a signal under a base endpoint (`http://host:4318` → `http://host:4318/v1/traces`)."""
    return f"{endpoint.rstrip('/')}/v1/{signal}"


def resolve_server_url(server: str | None = None) -> str:
    """tracelight's base URL for the REST API: the option, else `TRACELIGHT_URL`, else
    `OTEL_EXPORTER_OTLP_ENDPOINT` when the traces go over OTLP/HTTP (tracelight serves the API on that port),
    else http://localhost:4318."""
    otlp = env("OTEL_EXPORTER_OTLP_ENDPOINT") if signal_protocol("traces", warn=False) == "http/protobuf" else None
    return (server or env("TRACELIGHT_URL") or otlp or DEFAULT_ENDPOINT).rstrip("/")


def resolve_api_key(api_key: str | None = None) -> str:
    """The key for `Authorization: Bearer <key>`: the option, else `TRACELIGHT_API_KEY`, else the bearer token
    in `OTEL_EXPORTER_OTLP_HEADERS` (the key that lets the exporter in lets the API calls in too); '' when none."""
    if api_key is not None:
        return api_key
    from_env = env("TRACELIGHT_API_KEY")
    if from_env:
        return from_env
    auth = parse_header_list(env("OTEL_EXPORTER_OTLP_HEADERS")).get("authorization", "")
    match = _BEARER.match(auth.strip())
    return match.group(1).strip() if match else ""
