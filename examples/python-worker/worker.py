"""A tracelight rollout worker in Python, using only `requests` and stock OpenTelemetry.

It shows that any language can take part in training: claim a rollout over HTTP, run the agent with
the resources the rollout pins, let OpenTelemetry carry the LLM call to tracelight (OTel GenAI
semantic conventions), heartbeat while working, and complete the attempt with a reward.

    pip install requests opentelemetry-sdk opentelemetry-exporter-otlp-proto-http
    TRACELIGHT_URL=http://localhost:4318 OPENAI_BASE_URL=http://localhost:8000/v1 python worker.py --until-empty

Environment: TRACELIGHT_URL (default http://localhost:4318), TRACELIGHT_API_KEY (optional),
OPENAI_BASE_URL / OPENAI_API_KEY / OPENAI_MODEL for the agent's model, and the standard OTEL_* variables
(the OTLP endpoint defaults to TRACELIGHT_URL).
"""

import argparse
import json
import os
import re
import signal
import socket
import threading
import time

import requests
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

SERVER = os.environ.get("TRACELIGHT_URL", "http://localhost:4318").rstrip("/")
API_KEY = os.environ.get("TRACELIGHT_API_KEY")
MODEL_URL = os.environ.get("OPENAI_BASE_URL", "http://localhost:8000/v1").rstrip("/")
MODEL_KEY = os.environ.get("OPENAI_API_KEY", "unused")
MODEL = os.environ.get("OPENAI_MODEL", "sim-small")
DEFAULT_PROMPT = "Solve the problem: {{question}}"

stopping = threading.Event()


def headers():
    return {"authorization": f"Bearer {API_KEY}"} if API_KEY else {}


def setup_tracing():
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or (
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", SERVER).rstrip("/") + "/v1/traces"
    )
    provider = TracerProvider(resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "python-worker")}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, headers=headers())))
    trace.set_tracer_provider(provider)
    return provider


def render(template, variables):
    """Mustache-style {{name}} substitution, enough for prompt templates with plain variables."""
    def sub(m):
        name = m.group(1).strip()
        if name not in variables:
            raise KeyError(f"prompt template variable {name!r} has no value in the rollout input")
        return str(variables[name])
    return re.sub(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}", sub, template)


def chat(tracer, messages, attributes):
    """One chat completion over plain HTTP, recorded as an OTel GenAI client span."""
    with tracer.start_as_current_span(f"chat {MODEL}", kind=trace.SpanKind.CLIENT, attributes=attributes) as span:
        span.set_attribute("gen_ai.operation.name", "chat")
        span.set_attribute("gen_ai.provider.name", "openai")
        span.set_attribute("gen_ai.request.model", MODEL)
        span.set_attribute("gen_ai.input.messages", json.dumps([
            {"role": m["role"], "parts": [{"type": "text", "content": m["content"]}]} for m in messages
        ]))
        res = requests.post(f"{MODEL_URL}/chat/completions", json={"model": MODEL, "messages": messages},
                            headers={"authorization": f"Bearer {MODEL_KEY}"}, timeout=120)
        res.raise_for_status()
        body = res.json()
        choice = body["choices"][0]
        text = choice["message"].get("content") or ""
        span.set_attribute("gen_ai.response.model", body.get("model", MODEL))
        span.set_attribute("gen_ai.response.finish_reasons", [choice.get("finish_reason") or "stop"])
        usage = body.get("usage") or {}
        if "prompt_tokens" in usage:
            span.set_attribute("gen_ai.usage.input_tokens", usage["prompt_tokens"])
            span.set_attribute("gen_ai.usage.output_tokens", usage["completion_tokens"])
        span.set_attribute("gen_ai.output.messages", json.dumps([
            {"role": "assistant", "parts": [{"type": "text", "content": text}], "finish_reason": choice.get("finish_reason") or "stop"}
        ]))
        return text


def grade(answer, expected):
    """Reward 1 when the last number in the answer is the expected one."""
    numbers = re.findall(r"-?\d+(?:\.\d+)?", answer.replace(",", ""))
    return 1.0 if numbers and float(numbers[-1]) == float(expected) else 0.0


def heartbeat_loop(rollout_id, attempt_id, done):
    while not done.wait(5):
        try:
            res = requests.post(f"{SERVER}/api/v1/rollouts/{rollout_id}/attempts/{attempt_id}/heartbeat", headers=headers(), timeout=10)
            if res.status_code == 409:
                return  # the attempt is over on the server's side (timed out, cancelled)
        except requests.RequestException:
            pass


def run_attempt(tracer, provider, claim):
    rollout_id, attempt_id = claim["rollout_id"], claim["attempt_id"]
    task = claim["input"]
    resource = (claim.get("resources") or {}).get("prompt")
    template = resource["content"]["template"] if resource else DEFAULT_PROMPT
    done = threading.Event()
    threading.Thread(target=heartbeat_loop, args=(rollout_id, attempt_id, done), daemon=True).start()
    attributes = {"tracelight.rollout.id": rollout_id, "tracelight.attempt.id": attempt_id}
    if resource:
        attributes["tracelight.resource.prompt.version"] = str(resource["version"])
    try:
        with tracer.start_as_current_span("python-worker rollout", attributes=attributes) as root:
            # The rollout ids and resource versions go on the LLM span too, as the TypeScript SDK's baggage does.
            answer = chat(tracer, [{"role": "user", "content": render(template, task)}], attributes)
            reward = grade(answer, task["answer"])
            root.add_event("gen_ai.evaluation.result", {
                "gen_ai.evaluation.name": "correct",
                "gen_ai.evaluation.score.value": reward,
                "gen_ai.evaluation.explanation": f"expected {task['answer']}, answered {answer!r}",
            })
        provider.force_flush()
        body = {"status": "succeeded", "reward": reward}
    except Exception as err:  # the attempt fails with the error's message; the worker goes on
        provider.force_flush()
        body = {"status": "failed", "error": f"{type(err).__name__}: {err}"}
    finally:
        done.set()
    requests.post(f"{SERVER}/api/v1/rollouts/{rollout_id}/attempts/{attempt_id}/complete", json=body, headers=headers(), timeout=30)
    return body["status"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker-id", default=f"py-{socket.gethostname()}-{os.getpid()}")
    parser.add_argument("--wait-ms", type=int, default=2000, help="long-poll time per claim")
    parser.add_argument("--until-empty", action="store_true", help="exit when a claim finds nothing queued")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    provider = setup_tracing()
    tracer = trace.get_tracer("tracelight.examples.python-worker")
    counts = {"succeeded": 0, "failed": 0}
    while not stopping.is_set():
        try:
            res = requests.post(f"{SERVER}/api/v1/rollouts/claim", json={"worker_id": args.worker_id, "wait_ms": args.wait_ms},
                                headers=headers(), timeout=args.wait_ms / 1000 + 30)
        except requests.RequestException as err:
            print(f"claim failed ({err}); retrying", flush=True)
            time.sleep(1)
            continue
        if res.status_code == 204:
            if args.until_empty:
                break
            continue
        res.raise_for_status()
        counts[run_attempt(tracer, provider, res.json())] += 1
    provider.shutdown()
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    main()
