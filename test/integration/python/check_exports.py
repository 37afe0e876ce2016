"""Reads tracelight's export files with the readers the target trainers use, and checks their shape.

verl reads its RL dataset with pyarrow / datasets ("parquet"); TRL and most SFT stacks read JSONL with
datasets ("json"); OpenAI's fine-tuning API validates each chat line (the rules below follow its
documented format). Prints one JSON object with what it found; exits non-zero naming the first problem.
"""
import json
import sys

import pyarrow.parquet as pq
from datasets import load_dataset

ROLES = {"system", "developer", "user", "assistant", "tool"}


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def check_openai_line(i, rec):
    msgs = rec.get("messages")
    if not isinstance(msgs, list) or not msgs:
        fail(f"line {i}: messages must be a non-empty list")
    if msgs[-1].get("role") != "assistant":
        fail(f"line {i}: the last message must be the assistant's")
    pending = []
    for j, m in enumerate(msgs):
        if m.get("role") not in ROLES:
            fail(f"line {i} message {j}: role {m.get('role')!r}")
        if "weight" in m and (m["role"] != "assistant" or m["weight"] not in (0, 1)):
            fail(f"line {i} message {j}: weight only on assistant messages, 0 or 1")
        for c in m.get("tool_calls") or []:
            if c.get("type") != "function" or not isinstance(c.get("function", {}).get("arguments"), str):
                fail(f"line {i} message {j}: tool call shape {c!r}")
            pending.append(c["id"])
        if m["role"] == "tool":
            if m.get("tool_call_id") not in pending:
                fail(f"line {i} message {j}: tool_call_id {m.get('tool_call_id')!r} answers no earlier tool call")
        elif m.get("content") is None and not m.get("tool_calls"):
            fail(f"line {i} message {j}: content is null without tool calls")
    for t in rec.get("tools") or []:
        if t.get("type") != "function" or not t.get("function", {}).get("name"):
            fail(f"line {i}: tool definition shape {t!r}")


def main(sft_openai, sft_trl, dpo, verl, grpo):
    out = {}
    with open(sft_openai) as f:
        lines = [json.loads(l) for l in f if l.strip()]
    for i, rec in enumerate(lines):
        check_openai_line(i, rec)
    out["sft_openai_lines"] = len(lines)
    out["sft_openai_with_tools"] = sum(1 for r in lines if r.get("tools"))
    out["sft_openai_datasets_rows"] = load_dataset("json", data_files=sft_openai, split="train").num_rows
    trl = load_dataset("json", data_files=sft_trl, split="train")
    out["sft_trl_columns"] = sorted(trl.column_names)
    out["sft_trl_rows"] = trl.num_rows
    pref = load_dataset("json", data_files=dpo, split="train")
    out["dpo_columns"] = sorted(pref.column_names)
    out["dpo_rows"] = pref.num_rows
    if pref.num_rows and not all(r["score_chosen"] > r["score_rejected"] for r in pref):
        fail("dpo: a chosen answer does not score above its rejected one")
    table = pq.read_table(verl)
    out["verl_schema"] = {f.name: str(f.type) for f in table.schema}
    out["verl_rows"] = table.num_rows
    rows = load_dataset("parquet", data_files=verl, split="train")
    first = rows[0]
    out["verl_first_prompt_roles"] = [m["role"] for m in first["prompt"]]
    out["verl_first_ground_truth"] = first["reward_model"]["ground_truth"]
    with open(grpo) as f:
        samples = [json.loads(l) for l in f if l.strip()]
    out["grpo_samples"] = len(samples)
    out["grpo_advantage_sum"] = round(sum(s["advantage"] for s in samples), 6)
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:6])
