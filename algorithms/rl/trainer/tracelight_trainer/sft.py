"""One supervised fine-tuning pass: cross-entropy on the tokens the assistant wrote, nothing else.

It exists so a trainer can warm-start or distill from good trajectories (tracelight's exported triplets,
or any OpenAI chat fine-tuning file). Input lines are either `{"messages": [{"role", "content"}, ...]}`
(loss on every assistant message's content and its closing <eos>, through the same chat template the
server uses) or `{"prompt_token_ids": [...], "response_token_ids": [...]}` (loss on the response).
Reports the dataset's loss before and after the pass.
"""

import random
import time
from dataclasses import dataclass

import torch

from .util import TrainerError, int_list, read_jsonl, rounded


@dataclass
class SftOptions:
    lr: float = 1e-3
    epochs: int = 1
    batch_size: int = 16
    max_grad_norm: float = 1.0
    weight_decay: float = 0.0
    lora: int = 0
    lora_alpha: float = 0.0
    seed: int = 0



def load_sft_data(path, tokenizer, context):
    """Returns a list of (ids, mask) where mask[i] says whether ids[i] is trained on."""
    out = []
    for n, obj in read_jsonl(path, "SFT data"):
        where = f"{path}:{n}"
        if "messages" in obj:
            try:
                ids, mask = tokenizer.chat_with_mask(obj["messages"])
            except ValueError as e:
                raise TrainerError(f"{where}: {e}") from None
        elif "prompt_token_ids" in obj and "response_token_ids" in obj:
            p = int_list(obj["prompt_token_ids"], where, "prompt_token_ids", tokenizer.vocab_size, allow_empty=False)
            r = int_list(obj["response_token_ids"], where, "response_token_ids", tokenizer.vocab_size)
            ids, mask = p + r, [0] * len(p) + [1] * len(r)
        else:
            raise TrainerError(f"{where}: expected messages, or prompt_token_ids and response_token_ids")
        if len(ids) > context:
            raise TrainerError(f"{where}: {len(ids)} tokens exceed the model's context of {context}")
        if not any(mask[1:]):
            raise TrainerError(f"{where}: nothing to learn (no assistant tokens)")
        out.append((ids, mask))
    if not out:
        raise TrainerError(f"SFT data is empty: {path} has no examples")
    return out


def _batch_loss(model, batch, device):
    """Summed cross-entropy over trained tokens, and their count."""
    width = max(len(ids) for ids, _ in batch)
    pad = model.tokenizer.pad_id
    ids = torch.tensor([i + [pad] * (width - len(i)) for i, _ in batch], device=device)
    mask = torch.tensor([m + [0] * (width - len(m)) for _, m in batch], device=device, dtype=torch.float32)
    logits = model(ids[:, :-1]).float()
    nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), ids[:, 1:], reduction="none")
    m = mask[:, 1:]
    return (nll * m).sum(), m.sum()


@torch.no_grad()
def dataset_loss(model, data, device, batch_size=64):
    model.eval()
    total, count = 0.0, 0.0
    for i in range(0, len(data), batch_size):
        s, c = _batch_loss(model, data[i : i + batch_size], device)
        total, count = total + s.item(), count + c.item()
    return total / count


def sft_update(model, data, opts, device):
    started = time.time()
    before = dataset_loss(model, data, device)
    if opts.lora:
        model.add_lora(opts.lora, opts.lora_alpha or None)
        model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=opts.lr, weight_decay=opts.weight_decay)
    rng = random.Random(opts.seed)
    order = list(range(len(data)))
    steps, loss_sum = 0, 0.0
    model.train()
    for _ in range(max(1, opts.epochs)):
        rng.shuffle(order)
        for i in range(0, len(order), max(1, opts.batch_size)):
            s, c = _batch_loss(model, [data[j] for j in order[i : i + opts.batch_size]], device)
            loss = s / c
            optim.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, opts.max_grad_norm)
            optim.step()
            steps += 1
            loss_sum += loss.item()
    if opts.lora:
        model.merge_lora()
    after = dataset_loss(model, data, device)
    return {
        "examples": len(data),
        "tokens": int(sum(sum(m[1:]) for _, m in data)),
        "steps": steps,
        "loss_before": rounded(before),
        "loss_after": rounded(after),
        "loss": rounded(loss_sum / steps),
        "lora": opts.lora or None,
        "device": str(device),
        "seconds": rounded(time.time() - started, 3),
    }
