"""Shared parts of the Python SDK test agents (test/integration/python/sdk_*.py, run by python-sdk.test.ts).

The model is the SIMULATED OpenAI-compatible one (examples/simulated-model, not a real LLM), reached with the
official `openai` client; its URL comes on the command line, so the agents need no OPENAI_* variables.
"""

from __future__ import annotations

import json
from typing import Any

MODEL = "sim-small"
SYSTEM = "Answer with only the number."


def messages(question: str, system: str = SYSTEM) -> list[dict[str, str]]:
    return [{"role": "system", "content": system}, {"role": "user", "content": question}]


def ask(client: Any, question: str, system: str = SYSTEM) -> str:
    """One chat call; the answer's text, stripped."""
    res = client.chat.completions.create(model=MODEL, messages=messages(question, system))
    return (res.choices[0].message.content or "").strip()


async def ask_async(client: Any, question: str, system: str = SYSTEM) -> str:
    res = await client.chat.completions.create(model=MODEL, messages=messages(question, system))
    return (res.choices[0].message.content or "").strip()


def emit(result: Any) -> None:
    """The script's result: one JSON line on stdout (the test reads the last one)."""
    print(json.dumps(result), flush=True)
