"""Proof that the pieces learn: a from-scratch model improves on a toy reward through repeated GRPO
updates, and SFT on correct answers lowers the loss and raises the reward over the parent.

It exists because a trainer whose loss runs but whose policy never improves is the failure that unit
checks miss. Each iteration goes through the real pipeline: sample with the server's sampler (token ids
and logprobs), write the batch JSONL, read it back with train-grpo's loader, update, save the
checkpoint and load it again.

Toy task, "write the class the prompt names": the prompts ask for digits or for capital letters
("Write digits", "capitals please", ...); the reward is the share of the max_tokens slots filled with
characters of that class (so 8 digits then <eos> scores 1, stopping early scores less). A fresh model
is near-uniform over 104 tokens, so it starts around 0.15 (digits 10/104, capitals 26/104), and must
condition on the prompt to go higher than about 0.5. Advantages are rewards normalized within each
prompt's group of samples (GRPO).
"""

import json
import os
import random
import statistics
import tempfile
import time

import torch

from .grpo import GrpoOptions, grpo_update, load_batch
from .model import TinyLM
from .sft import SftOptions, load_sft_data, sft_update

PROMPTS = [("Write digits", "digit"), ("digits please", "digit"), ("Write capitals", "capital"), ("capitals please", "capital")]
CLASSES = {"digit": "0123456789", "capital": "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def reward(text, kind, max_tokens):
    return sum(ch in CLASSES[kind] for ch in text[:max_tokens]) / max_tokens


def group_advantages(rewards):
    mu, sd = statistics.mean(rewards), statistics.pstdev(rewards)
    return [0.0 if sd == 0 else (r - mu) / (sd + 1e-6) for r in rewards]


def evaluate(model, samples, max_tokens, temperature, seed):
    rs = []
    for g, (prompt, kind) in enumerate(PROMPTS):
        ids = model.tokenizer.apply_chat_template([{"role": "user", "content": prompt}])
        for o in model.sample(ids, n=samples, temperature=temperature, max_tokens=max_tokens, seed=seed + g):
            rs.append(reward(o["text"], kind, max_tokens))
    return statistics.mean(rs)


def run_grpo(args, device, work, emit):
    model = TinyLM.create(seed=args.seed, n_layers=args.layers, d_model=args.d_model).to(device)
    ckpt = os.path.join(work, "grpo")
    opts = GrpoOptions(lr=args.lr, epochs=args.epochs, minibatches=args.minibatches, clip=args.clip, kl_beta=args.kl_beta, lora=args.lora)
    curve = []
    for it in range(args.iterations):
        t0 = time.time()
        lines, rewards, per = [], [], {}
        for g, (prompt, kind) in enumerate(PROMPTS):
            ids = model.tokenizer.apply_chat_template([{"role": "user", "content": prompt}])
            outs = model.sample(ids, n=args.samples, temperature=args.temperature, max_tokens=args.max_tokens, seed=args.seed * 100_003 + it * 101 + g)
            rs = [reward(o["text"], kind, args.max_tokens) for o in outs]
            rewards += rs
            per.setdefault(kind, []).extend(rs)
            for k, (o, r, a) in enumerate(zip(outs, rs, group_advantages(rs))):
                lines.append(
                    {
                        "group_id": f"it{it}-g{g}",
                        "rollout_id": f"it{it}-g{g}-{k}",
                        "prompt_token_ids": ids,
                        "response_token_ids": o["token_ids"],
                        "response_logprobs": o["logprobs"],
                        "advantage": a,
                        "reward": r,
                    }
                )
        batch = os.path.join(work, "batch.jsonl")
        with open(batch, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(line) + "\n" for line in lines)
        opts.seed = args.seed + it
        m = grpo_update(model, load_batch(batch, model.tokenizer.vocab_size), opts, device)
        model.save(ckpt)
        model = TinyLM.load(ckpt, device)
        mean = statistics.mean(rewards)
        curve.append(mean)
        emit(
            {
                "iteration": it,
                "mean_reward": round(mean, 4),
                "by_class": {k: round(statistics.mean(v), 3) for k, v in per.items()},
                "loss": m["loss"],
                "clip_fraction": m["clip_fraction"],
                "kl": m["kl"],
                "seconds": round(time.time() - t0, 2),
            }
        )
    return curve


def run_sft(args, device, work, emit):
    parent = TinyLM.create(seed=args.seed, n_layers=args.layers, d_model=args.d_model).to(device)
    rng = random.Random(args.seed)
    path = os.path.join(work, "sft.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for prompt, kind in PROMPTS:
            for _ in range(16):
                answer = "".join(rng.choice(CLASSES[kind]) for _ in range(args.max_tokens))
                f.write(json.dumps({"messages": [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]}) + "\n")
    eval_seed = args.seed + 7_777
    before = evaluate(parent, 16, args.max_tokens, args.temperature, eval_seed)
    data = load_sft_data(path, parent.tokenizer, parent.cfg.context)
    m = sft_update(parent, data, SftOptions(lr=args.lr, epochs=args.sft_epochs, batch_size=16, seed=args.seed, lora=args.lora), device)
    after = evaluate(parent, 16, args.max_tokens, args.temperature, eval_seed)
    out = {"sft": {"examples": m["examples"], "loss_before": m["loss_before"], "loss_after": m["loss_after"], "reward_parent": round(before, 4), "reward_sft": round(after, 4), "seconds": m["seconds"]}}
    emit(out)
    return out["sft"]


def selfcheck(args, device):
    torch.set_num_threads(args.threads)
    emit = lambda obj: print(json.dumps(obj), flush=True)
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="tl-selfcheck-") as work:
        curve = run_grpo(args, device, work, emit) if args.iterations > 0 else []
        sft = None if args.skip_sft else run_sft(args, device, work, emit)
    ok = True
    summary = {"selfcheck": None, "device": str(device), "seed": args.seed, "seconds": round(time.time() - started, 2)}
    if len(curve) >= 4:
        first, last = statistics.mean(curve[:2]), statistics.mean(curve[-2:])
        summary.update(first_two=round(first, 4), last_two=round(last, 4), rose=last >= first + args.min_rise)
        ok &= summary["rose"]
    if sft:
        summary.update(sft_loss_lowered=sft["loss_after"] < sft["loss_before"], sft_reward_raised=sft["reward_sft"] >= sft["reward_parent"] + args.min_rise)
        ok &= summary["sft_loss_lowered"] and summary["sft_reward_raised"]
    summary["selfcheck"] = "passed" if ok else "failed"
    emit(summary)
    return 0 if ok else 1
