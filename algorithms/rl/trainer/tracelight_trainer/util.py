"""Shared plumbing for the commands: the error type the CLI turns into one stderr line, device choice,
JSONL reading with line numbers in messages, and metrics output.

It exists so every command fails the same way (one line naming the problem, non-zero exit) and reports
the same way (one JSON object on stdout, the same object in the out dir's metrics.json).
"""

import json
import math
import os


class TrainerError(Exception):
    """A problem with the user's input (missing file, bad batch line, ...): reported as one line, exit 2."""


def pick_device(name="auto"):
    import torch

    if name in (None, "", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise TrainerError(f"--device {name}: CUDA is not available on this machine (use --device auto or cpu)")
        return torch.device(name)
    raise TrainerError(f"--device {name}: expected auto, cpu or cuda")


def read_jsonl(path, what):
    """Yields (line_number, object) for each non-blank line; bad JSON is a TrainerError naming the line."""
    if not os.path.isfile(path):
        raise TrainerError(f"{what} file not found: {path}")
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise TrainerError(f"{path}:{n}: not valid JSON ({e.msg})") from None
            if not isinstance(obj, dict):
                raise TrainerError(f"{path}:{n}: expected a JSON object")
            yield n, obj


def int_list(value, where, field, vocab_size, allow_empty=True):
    if not isinstance(value, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in value):
        raise TrainerError(f"{where}: {field} must be a list of integers")
    if not allow_empty and not value:
        raise TrainerError(f"{where}: {field} is empty")
    bad = next((t for t in value if t < 0 or t >= vocab_size), None)
    if bad is not None:
        raise TrainerError(f"{where}: {field} has token id {bad}, outside the model's vocabulary of {vocab_size}")
    return value


def finite(value, where, field):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TrainerError(f"{where}: {field} must be a finite number")
    return float(value)


def write_metrics(out_dir, metrics):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(metrics, f, indent=1)


def rounded(x, digits=6):
    return None if x is None else round(float(x), digits)
