"""Command line: `python -m tracelight_trainer {init,train-grpo,train-sft,serve,selfcheck}`.

It exists so the TypeScript side (and people) drive the trainer as processes: every command prints one
JSON object on stdout (serve: one line once listening), and any problem is one `error: ...` line on
stderr with exit code 2 (1 for an unexpected failure).
"""

import argparse
import json
import os
import sys
import time


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, like every other failure
        print(f"error: {self.prog}: {message}", file=sys.stderr)
        sys.exit(2)


def _common_train(p):
    p.add_argument("--checkpoint", required=True, help="parent checkpoint directory")
    p.add_argument("--out", required=True, help="directory for the new checkpoint and metrics.json")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--epochs", type=int, help="passes over the data (train-grpo: 2, train-sft: 1)")
    p.add_argument("--lora", type=int, default=0, metavar="R", help="train rank-R LoRA adapters (merged into the saved weights) instead of all weights")
    p.add_argument("--lora-alpha", type=float, default=0.0, help="LoRA scale numerator (default 2R)")
    p.add_argument("--max-grad-norm", type=float, default=1.0)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto (CUDA when available), cpu or cuda")


def parser():
    ap = _Parser(prog="python -m tracelight_trainer", description="tracelight reference trainer")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="create a model from scratch")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--context", type=int, default=256)

    p = sub.add_parser("train-grpo", help="one GRPO update from a batch JSONL")
    _common_train(p)
    p.add_argument("--batch", required=True, help="JSONL of rollouts with advantages")
    p.add_argument("--minibatches", type=int, default=2, help="optimizer steps per epoch (the batch is split this many ways)")
    p.add_argument("--clip", type=float, default=0.2, help="PPO clip epsilon")
    p.add_argument("--kl-beta", type=float, default=0.0, help="k3 KL penalty to the parent checkpoint")

    p = sub.add_parser("train-sft", help="one SFT pass from chat or token-id JSONL")
    _common_train(p)
    p.add_argument("--data", required=True)
    p.add_argument("--batch-size", type=int, default=16)

    p = sub.add_parser("serve", help="OpenAI-compatible server over a checkpoint")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--model-name", default="tracelight-tiny")
    p.add_argument("--device", default="auto")
    p.add_argument("--log-requests", action="store_true")

    p = sub.add_parser("tokenize", help="token ids of recorded calls that carry none, with the checkpoint's tokenizer")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--calls", required=True, help='JSONL: {"key", "messages": [chat messages], "response": text}')
    p.add_argument("--out", required=True, help='JSONL written: {"key", "prompt_token_ids", "response_token_ids"}')

    p = sub.add_parser("selfcheck", help="show that GRPO and SFT improve a from-scratch model on a toy task")
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--samples", type=int, default=8, help="responses per prompt (the GRPO group)")
    p.add_argument("--max-tokens", type=int, default=8)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--minibatches", type=int, default=2, help="optimizer steps per epoch (the batch is split this many ways)")
    p.add_argument("--clip", type=float, default=0.2)
    p.add_argument("--kl-beta", type=float, default=0.0)
    p.add_argument("--lora", type=int, default=0)
    p.add_argument("--sft-epochs", type=int, default=10)
    p.add_argument("--skip-sft", action="store_true")
    p.add_argument("--min-rise", type=float, default=0.1, help="pass when the last two iterations' mean reward beats the first two's by this much")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--device", default="auto")
    return ap


def _finish(out_dir, metrics):
    from .util import write_metrics

    write_metrics(out_dir, metrics)
    print(json.dumps(metrics), flush=True)
    return 0


def cmd_init(a):
    from .model import TinyLM

    model = TinyLM.create(seed=a.seed, n_layers=a.layers, d_model=a.d_model, n_heads=a.heads, context=a.context)
    model.save(a.out)
    print(json.dumps({"checkpoint": os.path.abspath(a.out), "parameters": model.num_parameters(), "vocab_size": model.cfg.vocab_size, **{k: v for k, v in vars(model.cfg).items() if k != "vocab_size"}}))
    return 0


def _load_parent(a):
    import torch

    from .model import TinyLM
    from .util import pick_device

    device = pick_device(a.device)
    torch.manual_seed(a.seed)
    return TinyLM.load(a.checkpoint, device), device


def cmd_train_grpo(a):
    from .grpo import GrpoOptions, grpo_update, load_batch

    started = time.time()
    model, device = _load_parent(a)
    records = load_batch(a.batch, model.tokenizer.vocab_size)
    opts = GrpoOptions(lr=a.lr, epochs=2 if a.epochs is None else a.epochs, minibatches=a.minibatches, clip=a.clip, kl_beta=a.kl_beta,
                       max_grad_norm=a.max_grad_norm, weight_decay=a.weight_decay, lora=a.lora, lora_alpha=a.lora_alpha, seed=a.seed)
    metrics = grpo_update(model, records, opts, device)
    model.save(a.out)
    metrics.update(kind="grpo", parent=os.path.abspath(a.checkpoint), checkpoint=os.path.abspath(a.out), lr=a.lr, epochs=opts.epochs, clip=a.clip,
                   kl_beta=a.kl_beta, seconds=round(time.time() - started, 3))
    return _finish(a.out, metrics)


def cmd_train_sft(a):
    from .sft import SftOptions, load_sft_data, sft_update

    started = time.time()
    model, device = _load_parent(a)
    data = load_sft_data(a.data, model.tokenizer, model.cfg.context)
    opts = SftOptions(lr=a.lr, epochs=1 if a.epochs is None else a.epochs, batch_size=a.batch_size, max_grad_norm=a.max_grad_norm,
                      weight_decay=a.weight_decay, lora=a.lora, lora_alpha=a.lora_alpha, seed=a.seed)
    metrics = sft_update(model, data, opts, device)
    model.save(a.out)
    metrics.update(kind="sft", parent=os.path.abspath(a.checkpoint), checkpoint=os.path.abspath(a.out), lr=a.lr, epochs=opts.epochs,
                   seconds=round(time.time() - started, 3))
    return _finish(a.out, metrics)


def cmd_serve(a):
    from .server import make_server
    from .util import pick_device

    server, host = make_server(a.checkpoint, a.host, a.port, pick_device(a.device), a.model_name, quiet=not a.log_requests)
    h, port = server.server_address[:2]
    url = f"http://{h}:{port}"
    print(json.dumps({"url": url, "openai_base_url": url + "/v1", "model": host.model_name, "checkpoint": host.checkpoint, "device": str(host.device)}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def cmd_tokenize(a):
    """Calls recorded without token ids (an agent that bypassed the proxy) get them from the checkpoint's own
    tokenizer and chat template: the ids the policy would have seen, which is what a GRPO update needs."""
    from .tokenizer import CharTokenizer
    from .util import TrainerError

    tok = CharTokenizer.load(os.path.join(a.checkpoint, "tokenizer.json"))
    done = skipped = 0
    with open(a.calls, encoding="utf-8") as src, open(a.out, "w", encoding="utf-8") as out:
        for n, line in enumerate(src, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                prompt = tok.apply_chat_template(rec["messages"])
                response = tok.encode(rec.get("response") or "") + [tok.eos_id]
            except (ValueError, KeyError, TypeError) as e:
                if isinstance(e, json.JSONDecodeError):
                    raise TrainerError(f"{a.calls} line {n} is not JSON: {e}")
                skipped += 1
                continue
            out.write(json.dumps({"key": rec.get("key"), "prompt_token_ids": prompt, "response_token_ids": response}) + "\n")
            done += 1
    print(json.dumps({"kind": "tokenize", "tokenized": done, "skipped": skipped}))
    return 0


def cmd_selfcheck(a):
    from .selfcheck import selfcheck
    from .util import pick_device

    return selfcheck(a, pick_device(a.device))


COMMANDS = {"init": cmd_init, "train-grpo": cmd_train_grpo, "train-sft": cmd_train_sft, "serve": cmd_serve, "tokenize": cmd_tokenize, "selfcheck": cmd_selfcheck}


def main(argv=None):
    a = parser().parse_args(argv)
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    from .util import TrainerError

    try:
        return COMMANDS[a.command](a)
    except TrainerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: {e.strerror or e}{': ' + e.filename if getattr(e, 'filename', None) else ''}", file=sys.stderr)
        return 2
    except Exception as e:
        if os.environ.get("TRACELIGHT_TRAINER_DEBUG"):
            raise
        print(f"error: unexpected {type(e).__name__}: {e} (set TRACELIGHT_TRAINER_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
