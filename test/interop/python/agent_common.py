"""Shared parts of the Python interop agents (test/interop/python/*_agent.py).

Every agent talks to the SIMULATED OpenAI-compatible model (examples/simulated-model, not a real LLM) through
the official `openai` client, which reads OPENAI_BASE_URL and OPENAI_API_KEY from the environment, and exports
its telemetry with the standard OTLP exporters, configured only by the standard environment variables:
OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL (grpc | http/protobuf), OTEL_SERVICE_NAME and
OTEL_RESOURCE_ATTRIBUTES.

Two scenarios, picked by the first command-line argument:
  single  one chat call: a system prompt and a user question (the rollout id comes from the resource,
          OTEL_RESOURCE_ATTRIBUTES=tracelight.rollout.id=...);
  tools   a calculator agent: one LLM call per arithmetic step with the tool results in between, under a root
          span that declares the rollout (TRACELIGHT_ROLLOUT_ID) and ends with a reward.
"""

from __future__ import annotations

import ast
import json
import operator
import os
from typing import Any, Callable

MODEL = "sim-small"

SYSTEM_PROMPT = "You are a concise geography tutor."
USER_QUESTION = "What is the capital of France?"

TOOL_SYSTEM_PROMPT = "You solve arithmetic with the calculator tool."
TOOL_QUESTION = "What is (3 + 4) * 6?"
CALCULATOR_TOOL = {
    "type": "function",
    "function": {
        "name": "calculator",
        "description": "Evaluate an arithmetic expression and return the result.",
        "parameters": {
            "type": "object",
            "properties": {"expression": {"type": "string", "description": "The arithmetic expression, e.g. 2 + 2"}},
            "required": ["expression"],
            "additionalProperties": False,
        },
    },
}

_OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def calculate(expression: str) -> str:
    """The calculator tool: + - * / and parentheses on numbers (no eval)."""

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        raise ValueError(f"not an arithmetic expression: {expression}")

    value = ev(ast.parse(expression, mode="eval"))
    return str(int(value)) if float(value).is_integer() else str(value)


def protocol() -> str:
    return os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")


def span_exporter():
    """The OTLP span exporter for OTEL_EXPORTER_OTLP_PROTOCOL; it reads the endpoint from the environment."""
    if protocol() == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    return OTLPSpanExporter()


def log_exporter():
    if protocol() == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    else:
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    return OTLPLogExporter()


def setup_tracing(with_logs: bool = False):
    """Global TracerProvider (and LoggerProvider when the instrumentation writes content to logs) exporting OTLP.

    Returns a flush() that force-flushes and shuts both down; call it before the process exits.
    """
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create()  # OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter()))
    trace.set_tracer_provider(tracer_provider)
    providers: list[Any] = [tracer_provider]

    if with_logs:
        from opentelemetry._logs import set_logger_provider
        from opentelemetry.sdk._logs import LoggerProvider
        from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

        logger_provider = LoggerProvider(resource=resource)
        logger_provider.add_log_record_processor(BatchLogRecordProcessor(log_exporter()))
        set_logger_provider(logger_provider)
        providers.append(logger_provider)

    def flush() -> None:
        for p in providers:
            if not p.force_flush(30_000):
                raise SystemExit(f"{type(p).__name__}.force_flush timed out: tracelight did not take the export")
        for p in providers:
            p.shutdown()

    return flush


def single_turn(client, **extra: Any) -> str:
    """Scenario `single`: one chat call with a system prompt and a user question."""
    response = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": USER_QUESTION}],
        **extra,
    )
    return response.choices[0].message.content or ""


def tool_agent(client, **extra: Any) -> str:
    """Scenario `tools`: calls the model until it answers, running the calculator for each tool call."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": TOOL_SYSTEM_PROMPT},
        {"role": "user", "content": TOOL_QUESTION},
    ]
    for _ in range(8):
        response = client.chat.completions.create(model=MODEL, messages=messages, tools=[CALCULATOR_TOOL], **extra)
        message = response.choices[0].message
        if not message.tool_calls:
            return message.content or ""
        messages.append(
            {
                "role": "assistant",
                "content": message.content,
                "tool_calls": [
                    {"id": tc.id, "type": "function", "function": {"name": tc.function.name, "arguments": tc.function.arguments}}
                    for tc in message.tool_calls
                ],
            }
        )
        for tc in message.tool_calls:
            args = json.loads(tc.function.arguments)
            messages.append({"role": "tool", "tool_call_id": tc.id, "content": calculate(args["expression"])})
    raise SystemExit("the agent did not finish within 8 model calls")


def score(answer: str) -> float:
    """The reward: 1 when the answer holds the right result, 42, else 0."""
    return 1.0 if "42" in answer else 0.0


def rewarded_rollout(run: Callable[[], str], tracer=None) -> None:
    """Runs the agent (`run` returns its answer) under the root span "agent-run" that declares the rollout
    (TRACELIGHT_ROLLOUT_ID), records the reward as a `gen_ai.evaluation.result` event on it, and prints
    {answer, reward} for the test."""
    if tracer is None:
        from opentelemetry import trace

        tracer = trace.get_tracer("tracelight-interop-agent")
    with tracer.start_as_current_span("agent-run", attributes={"tracelight.rollout.id": os.environ["TRACELIGHT_ROLLOUT_ID"]}) as root:
        answer = run()
        value = score(answer)
        root.add_event(
            "gen_ai.evaluation.result",
            {
                "gen_ai.evaluation.name": "correct",
                "gen_ai.evaluation.score.value": value,
                "gen_ai.evaluation.explanation": f"expected 42, the agent answered {answer!r}",
            },
        )
    print(json.dumps({"answer": answer, "reward": value}))


def run_scenario(client, tracer=None, **extra: Any) -> None:
    """Runs the scenario named on the command line; `tools` runs under a root span with the rollout and reward."""
    import sys

    scenario = sys.argv[1] if len(sys.argv) > 1 else "single"
    if scenario == "single":
        print(json.dumps({"answer": single_turn(client, **extra)}))
        return
    if scenario != "tools":
        raise SystemExit(f"unknown scenario {scenario!r}")
    rewarded_rollout(lambda: tool_agent(client, **extra), tracer)
