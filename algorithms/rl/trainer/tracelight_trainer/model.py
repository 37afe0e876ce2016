"""A tiny decoder-only transformer: creation from a seed, checkpoints, sampling and sequence logprobs.

It exists so the reference trainer is self-contained (torch only, no downloaded weights): the same class
serves requests (server.py) and is trained (grpo.py, sft.py), so the logprobs recorded while serving and
the ones recomputed while training come from the same code. Logprobs are always the model's raw
(temperature 1) log-probabilities, as vLLM reports them by default; temperature and top_p only shape
which token is sampled.

A checkpoint is a directory: model.pt (state dict), config.json (ModelConfig), tokenizer.json.
"""

import json
import math
import os
import random
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn as nn
import torch.nn.functional as F

from .tokenizer import CharTokenizer
from .util import TrainerError

WEIGHTS, CONFIG, TOKENIZER = "model.pt", "config.json", "tokenizer.json"


@dataclass
class ModelConfig:
    vocab_size: int
    n_layers: int = 2
    d_model: int = 64
    n_heads: int = 4
    context: int = 256
    mlp_ratio: int = 4
    seed: int = 0


class LoRALinear(nn.Module):
    """y = base(x) + scale * x A^T B^T with base frozen; B starts at zero so the wrapped layer starts unchanged."""

    def __init__(self, base, rank, alpha):
        super().__init__()
        self.base = base
        for p in base.parameters():
            p.requires_grad_(False)
        self.scale = alpha / rank
        self.lora_a = nn.Parameter(torch.empty(rank, base.in_features, device=base.weight.device))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank, device=base.weight.device))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))

    def forward(self, x):
        return self.base(x) + (x @ self.lora_a.t() @ self.lora_b.t()) * self.scale

    def merged(self):
        with torch.no_grad():
            self.base.weight += (self.lora_b @ self.lora_a) * self.scale
        for p in self.base.parameters():
            p.requires_grad_(True)
        return self.base


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg.d_model
        self.n_heads = cfg.n_heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, cfg.mlp_ratio * d)
        self.out = nn.Linear(cfg.mlp_ratio * d, d)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.n_heads, c // self.n_heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class TinyLM(nn.Module):
    LORA_TARGETS = ("qkv", "proj", "fc", "out")

    def __init__(self, cfg, tokenizer):
        super().__init__()
        if cfg.d_model % cfg.n_heads:
            raise TrainerError(f"d_model {cfg.d_model} is not divisible by heads {cfg.n_heads}")
        self.cfg = cfg
        self.tokenizer = tokenizer
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos_emb = nn.Embedding(cfg.context, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)

    @classmethod
    def create(cls, tokenizer=None, seed=0, n_layers=2, d_model=64, n_heads=4, context=256):
        tokenizer = tokenizer or CharTokenizer()
        cfg = ModelConfig(tokenizer.vocab_size, n_layers, d_model, n_heads, context, 4, seed)
        model = cls(cfg, tokenizer)
        g = torch.Generator().manual_seed(seed)
        for name, p in model.named_parameters():
            if name.endswith(".bias"):
                nn.init.zeros_(p)
            elif ".ln" in name or name.startswith("ln_"):
                nn.init.ones_(p)
            else:  # GPT-2 style: N(0, 0.02), residual projections scaled down by depth
                std = 0.02 / math.sqrt(2 * n_layers) if name.endswith(("proj.weight", "out.weight")) else 0.02
                with torch.no_grad():
                    p.copy_(torch.randn(p.shape, generator=g) * std)
        return model

    @property
    def device(self):
        return self.tok_emb.weight.device

    def forward(self, idx):
        pos = torch.arange(idx.shape[1], device=idx.device)
        x = self.tok_emb(idx) + self.pos_emb(pos)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))

    # --- LoRA -------------------------------------------------------------------------------------------

    def _lora_sites(self):
        return [(block, name) for block in self.blocks for name in self.LORA_TARGETS] + [(self, "head")]

    def add_lora(self, rank, alpha=None):
        """Freezes the model and wraps the attention/MLP linears and the LM head with rank-`rank` adapters.

        The head is included because in a from-scratch model a frozen random head caps how far the
        logits can move, whatever the blocks learn."""
        for p in self.parameters():
            p.requires_grad_(False)
        for owner, name in self._lora_sites():
            setattr(owner, name, LoRALinear(getattr(owner, name), rank, alpha if alpha else 2 * rank))

    def merge_lora(self):
        for owner, name in self._lora_sites():
            layer = getattr(owner, name)
            if isinstance(layer, LoRALinear):
                setattr(owner, name, layer.merged())
        for p in self.parameters():
            p.requires_grad_(True)

    # --- checkpoints ------------------------------------------------------------------------------------

    def save(self, out_dir):
        """Writes model.pt, config.json and tokenizer.json (LoRA adapters are merged first)."""
        self.merge_lora()
        os.makedirs(out_dir, exist_ok=True)
        tmp = os.path.join(out_dir, WEIGHTS + ".tmp")
        torch.save({k: v.detach().cpu() for k, v in self.state_dict().items()}, tmp)
        os.replace(tmp, os.path.join(out_dir, WEIGHTS))
        with open(os.path.join(out_dir, CONFIG), "w", encoding="utf-8") as f:
            json.dump(asdict(self.cfg), f, indent=1)
        self.tokenizer.save(os.path.join(out_dir, TOKENIZER))

    @classmethod
    def load(cls, ckpt_dir, device="cpu"):
        for name in (WEIGHTS, CONFIG, TOKENIZER):
            if not os.path.isfile(os.path.join(ckpt_dir, name)):
                raise TrainerError(f"not a checkpoint: {os.path.join(ckpt_dir, name)} is missing")
        with open(os.path.join(ckpt_dir, CONFIG), encoding="utf-8") as f:
            raw = json.load(f)
        cfg = ModelConfig(**{f.name: raw[f.name] for f in fields(ModelConfig) if f.name in raw})
        tokenizer = CharTokenizer.load(os.path.join(ckpt_dir, TOKENIZER))
        if tokenizer.vocab_size != cfg.vocab_size:
            raise TrainerError(f"{ckpt_dir}: tokenizer has {tokenizer.vocab_size} tokens, config says {cfg.vocab_size}")
        model = cls(cfg, tokenizer)
        state = torch.load(os.path.join(ckpt_dir, WEIGHTS), map_location="cpu", weights_only=True)
        model.load_state_dict(state)
        return model.to(device)

    def num_parameters(self):
        return sum(p.numel() for p in self.parameters())

    # --- scoring ----------------------------------------------------------------------------------------

    def batch_logprobs(self, pairs):
        """Per-token logprobs of each response given its prompt, for a batch of (prompt_ids, response_ids).

        Returns (logp, mask, index): logp and mask are [B, L-1] (position j scores token j+1 of the padded
        prompt+response), mask marks response tokens, and index[b] is the slice of row b holding its response.
        """
        lengths = [len(p) + len(r) for p, r in pairs]
        width = max(lengths)
        if width > self.cfg.context:
            raise TrainerError(f"prompt+response of {width} tokens exceeds the model's context of {self.cfg.context}")
        ids = torch.full((len(pairs), width), self.tokenizer.pad_id, dtype=torch.long)
        mask = torch.zeros((len(pairs), width - 1), dtype=torch.bool)
        index = []
        for b, (p, r) in enumerate(pairs):
            ids[b, : len(p) + len(r)] = torch.tensor(list(p) + list(r), dtype=torch.long)
            mask[b, len(p) - 1 : len(p) + len(r) - 1] = True
            index.append(slice(len(p) - 1, len(p) + len(r) - 1))
        ids = ids.to(self.device)
        logits = self(ids[:, :-1]).float()
        logp = torch.log_softmax(logits, dim=-1).gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
        return logp, mask.to(self.device), index

    @torch.no_grad()
    def sequence_logprobs(self, prompt_ids, response_ids):
        """The logprob of each response token given the prompt and the tokens before it (a list of floats)."""
        if not response_ids:
            return []
        logp, _, index = self.batch_logprobs([(prompt_ids, response_ids)])
        return logp[0, index[0]].tolist()

    # --- sampling ---------------------------------------------------------------------------------------

    @torch.no_grad()
    def sample(self, prompt_ids, n=1, temperature=1.0, top_p=1.0, max_tokens=64, seed=None, stop=None, top_logprobs=0):
        """Samples n continuations of prompt_ids.

        Returns a list of dicts: token_ids and logprobs (aligned; include the final <eos> when the model
        stopped by itself), text (decoded, without the stop string), finish_reason ("stop" or "length"),
        and top_logprobs (per token, a list of (token_id, logprob), when asked).
        """
        if not prompt_ids:
            raise TrainerError("the prompt is empty")
        if len(prompt_ids) >= self.cfg.context:
            raise TrainerError(f"the prompt has {len(prompt_ids)} tokens; this model's context is {self.cfg.context}")
        max_tokens = max(0, min(int(max_tokens), self.cfg.context - len(prompt_ids)))
        stop = [s for s in (stop or []) if s]
        was_training = self.training
        self.eval()
        dev = self.device
        gen = torch.Generator(device=dev)
        gen.manual_seed(int(seed) if seed is not None else random.SystemRandom().randrange(2**63))
        seqs = torch.tensor([list(prompt_ids)] * n, dtype=torch.long, device=dev)
        outs = [{"token_ids": [], "logprobs": [], "top_logprobs": [], "text": "", "finish_reason": "length"} for _ in range(n)]
        done = [False] * n
        for _ in range(max_tokens):
            logits = self(seqs)[:, -1, :].float()
            logp = torch.log_softmax(logits, dim=-1)
            if temperature <= 0:
                nxt = logits.argmax(dim=-1, keepdim=True)
            else:
                probs = torch.softmax(logits / temperature, dim=-1)
                if top_p < 1.0:
                    sp, si = probs.sort(dim=-1, descending=True)
                    sp[(sp.cumsum(-1) - sp) > top_p] = 0.0
                    probs = torch.zeros_like(probs).scatter(-1, si, sp)
                nxt = torch.multinomial(probs, 1, generator=gen)
            chosen = logp.gather(-1, nxt).squeeze(-1).tolist()
            toks = nxt.squeeze(-1).tolist()
            tops = None
            if top_logprobs:
                tv, ti = logp.topk(min(int(top_logprobs), logp.shape[-1]), dim=-1)
                tops = [list(zip(ti[b].tolist(), tv[b].tolist())) for b in range(n)]
            for b in range(n):
                if done[b]:
                    continue
                o = outs[b]
                o["token_ids"].append(toks[b])
                o["logprobs"].append(chosen[b])
                if tops is not None:
                    o["top_logprobs"].append(tops[b])
                if toks[b] == self.tokenizer.eos_id:
                    o["finish_reason"], done[b] = "stop", True
                    continue
                o["text"] += self.tokenizer.piece(toks[b])
                hit = min((o["text"].find(s) for s in stop if s in o["text"]), default=-1)
                if hit >= 0:  # cut the tokens that make up the stop string (one char per token)
                    keep, chars = 0, 0
                    while keep < len(o["token_ids"]) and chars + len(self.tokenizer.piece(o["token_ids"][keep])) <= hit:
                        chars += len(self.tokenizer.piece(o["token_ids"][keep]))
                        keep += 1
                    for key in ("token_ids", "logprobs", "top_logprobs"):
                        del o[key][keep:]
                    o["text"] = o["text"][:hit]
                    o["finish_reason"], done[b] = "stop", True
            if all(done):
                break
            seqs = torch.cat([seqs, nxt], dim=1)
        self.train(was_training)
        return outs
