"""One GRPO update from a batch of scored rollouts.

It exists to turn what tracelight collects (prompt/response token ids, the logprobs recorded while
serving, a group-relative advantage per rollout) into a new checkpoint. The loss is PPO's clipped
surrogate on the token-level ratio exp(logp_new - logp_old), averaged over all response tokens of a
minibatch, plus an optional k3 KL penalty to the parent checkpoint:

    loss = mean_t[ -min(r_t A, clip(r_t, 1-eps, 1+eps) A) + beta * (exp(ref_t - logp_t) - (ref_t - logp_t) - 1) ]

logp_old is the recorded logprob when the line has one, else the parent policy's own (detached), so a
batch without logprobs still trains (ratio 1 on the first step). Advantages are used as given: the
caller normalizes them within each group.
"""

import copy
import random
import time
from dataclasses import dataclass

import torch

from .util import TrainerError, finite, int_list, read_jsonl, rounded


@dataclass
class GrpoOptions:
    lr: float = 1e-3
    epochs: int = 2
    minibatches: int = 2
    clip: float = 0.2
    kl_beta: float = 0.0
    max_grad_norm: float = 1.0
    weight_decay: float = 0.0
    lora: int = 0
    lora_alpha: float = 0.0
    seed: int = 0


def load_batch(path, vocab_size):
    """Reads and validates the batch JSONL; returns a list of record dicts."""
    records = []
    for n, obj in read_jsonl(path, "batch"):
        where = f"{path}:{n}" + (f" (rollout {obj['rollout_id']})" if isinstance(obj.get("rollout_id"), str) else "")
        for field in ("prompt_token_ids", "response_token_ids", "advantage"):
            if field not in obj:
                raise TrainerError(f"{where}: missing {field}")
        prompt = int_list(obj["prompt_token_ids"], where, "prompt_token_ids", vocab_size, allow_empty=False)
        response = int_list(obj["response_token_ids"], where, "response_token_ids", vocab_size)
        logprobs = obj.get("response_logprobs")
        if logprobs is not None:
            if not isinstance(logprobs, list):
                raise TrainerError(f"{where}: response_logprobs must be a list of numbers or null")
            logprobs = [finite(x, where, "response_logprobs") for x in logprobs]
            if len(logprobs) != len(response):
                raise TrainerError(f"{where}: {len(logprobs)} response_logprobs for {len(response)} response_token_ids")
        reward = obj.get("reward")
        records.append(
            {
                "group_id": obj.get("group_id"),
                "rollout_id": obj.get("rollout_id"),
                "prompt": prompt,
                "response": response,
                "old": logprobs,
                "advantage": finite(obj["advantage"], where, "advantage"),
                "reward": None if reward is None else finite(reward, where, "reward"),
            }
        )
    if not records:
        raise TrainerError(f"batch is empty: {path} has no rollouts")
    return records


def _place(values, mask_row_slice, width, device):
    row = torch.zeros(width, device=device)
    row[mask_row_slice] = torch.tensor(values, dtype=torch.float32, device=device)
    return row


def grpo_update(model, records, opts, device):
    """Updates `model` in place; returns the metrics dict. A batch whose advantages are all zero is a no-op."""
    started = time.time()
    records = [r for r in records if r["response"]]
    tokens = sum(len(r["response"]) for r in records)
    rewards = [r["reward"] for r in records if r["reward"] is not None]
    base = {
        "sequences": len(records),
        "tokens": tokens,
        "reward_mean": rounded(sum(rewards) / len(rewards)) if rewards else None,
        "device": str(device),
    }
    if not records:
        raise TrainerError("batch has no response tokens to train on (every response_token_ids is empty)")
    for r in records:
        if len(r["prompt"]) + len(r["response"]) > model.cfg.context:
            raise TrainerError(f"rollout {r['rollout_id']}: prompt+response is {len(r['prompt']) + len(r['response'])} tokens, the model's context is {model.cfg.context}")
    if all(r["advantage"] == 0 for r in records):
        return {**base, "noop": True, "reason": "all advantages are zero", "steps": 0, "loss": 0.0, "mean_ratio": 1.0, "clip_fraction": 0.0,
                "kl": 0.0 if opts.kl_beta else None, "seconds": rounded(time.time() - started, 3)}

    ref = None
    if opts.kl_beta > 0:
        ref = copy.deepcopy(model).eval()
        for p in ref.parameters():
            p.requires_grad_(False)
    if opts.lora:
        model.add_lora(opts.lora, opts.lora_alpha or None)
        model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(params, lr=opts.lr, weight_decay=opts.weight_decay)

    # logp_old (recorded, or the parent's own) and logp_ref, once, before any step.
    model.eval()
    with torch.no_grad():
        for r in records:
            r["_pair"] = (r["prompt"], r["response"])
        cur, _, index = model.batch_logprobs([r["_pair"] for r in records])
        refp = ref.batch_logprobs([r["_pair"] for r in records])[0] if ref is not None else None
        mismatch = []
        for b, r in enumerate(records):
            now = cur[b, index[b]]
            if r["old"] is None:
                r["_old"] = now.tolist()
            else:
                r["_old"] = r["old"]
                mismatch.append((now - torch.tensor(r["old"], device=device)).abs().mean().item())
            r["_ref"] = refp[b, index[b]].tolist() if refp is not None else None
    model.train()

    rng = random.Random(opts.seed)
    order = list(range(len(records)))
    n_mb = max(1, min(opts.minibatches, len(records)))
    sums = {"loss": 0.0, "ratio": 0.0, "clipped": 0.0, "kl": 0.0, "approx_kl": 0.0, "tokens": 0, "grad_norm": 0.0}
    steps = 0
    for _ in range(max(1, opts.epochs)):
        rng.shuffle(order)
        for k in range(n_mb):
            mb = [records[i] for i in order[k::n_mb]]
            logp, mask, index = model.batch_logprobs([r["_pair"] for r in mb])
            width = logp.shape[1]
            old = torch.stack([_place(r["_old"], index[b], width, device) for b, r in enumerate(mb)])
            adv = torch.tensor([r["advantage"] for r in mb], device=device).unsqueeze(1).expand_as(logp)
            m = mask.float()
            ntok = m.sum()
            ratio = torch.exp((logp - old) * m)
            surr = torch.minimum(ratio * adv, torch.clamp(ratio, 1 - opts.clip, 1 + opts.clip) * adv)
            per_token = -surr
            kl = None
            if ref is not None:
                refl = torch.stack([_place(r["_ref"], index[b], width, device) for b, r in enumerate(mb)])
                d = (refl - logp) * m
                kl = torch.exp(d) - d - 1
                per_token = per_token + opts.kl_beta * kl
            loss = (per_token * m).sum() / ntok
            optim.zero_grad(set_to_none=True)
            loss.backward()
            gn = torch.nn.utils.clip_grad_norm_(params, opts.max_grad_norm)
            optim.step()
            steps += 1
            with torch.no_grad():
                clipped = ((ratio > 1 + opts.clip) & (adv > 0)) | ((ratio < 1 - opts.clip) & (adv < 0))
                d_old = (old - logp) * m
                sums["loss"] += loss.item()
                sums["ratio"] += (ratio * m).sum().item()
                sums["clipped"] += (clipped.float() * m).sum().item()
                sums["approx_kl"] += ((torch.exp(d_old) - d_old - 1) * m).sum().item()
                sums["kl"] += (kl * m).sum().item() if kl is not None else 0.0
                sums["tokens"] += ntok.item()
                sums["grad_norm"] += float(gn)
    if opts.lora:
        model.merge_lora()
    model.eval()
    for r in records:
        for key in ("_pair", "_old", "_ref"):
            r.pop(key, None)
    t = max(1.0, sums["tokens"])
    return {
        **base,
        "noop": False,
        "steps": steps,
        "loss": rounded(sums["loss"] / steps),
        "mean_ratio": rounded(sums["ratio"] / t),
        "clip_fraction": rounded(sums["clipped"] / t),
        "kl": rounded(sums["kl"] / t) if ref is not None else None,
        "approx_kl_to_old": rounded(sums["approx_kl"] / t),
        "grad_norm": rounded(sums["grad_norm"] / steps),
        "logprob_mismatch": rounded(sum(mismatch) / len(mismatch)) if mismatch else None,
        "lora": opts.lora or None,
        "seconds": rounded(time.time() - started, 3),
    }
