"""Character-level tokenizer with a fixed vocabulary and a minimal chat template.

It exists so the reference trainer needs no downloaded tokenizer: every checkpoint carries its
vocabulary as tokenizer.json, token ids are stable across processes (server, trainer, tests), and one
character is one token, which keeps stop strings and token/text alignment exact.

Chat template: `<bos>` then, per message, the role marker, the content and `<eos>`; a prompt for
generation ends with `<assistant>`. The model ends its reply with `<eos>`.
"""

import json

SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>", "<system>", "<user>", "<assistant>")
# Tab, newline and printable ASCII; anything else encodes as <unk>.
CHARS = "\t\n" + "".join(chr(c) for c in range(32, 127))
# OpenAI roles that have no marker of their own.
ROLE_ALIASES = {"developer": "system", "tool": "user", "function": "user"}


class CharTokenizer:
    def __init__(self, specials=SPECIALS, chars=CHARS):
        self.specials = list(specials)
        self.chars = str(chars)
        self.tokens = self.specials + list(self.chars)
        self._char_ids = {c: len(self.specials) + i for i, c in enumerate(self.chars)}
        self._special_ids = {s: i for i, s in enumerate(self.specials)}
        for name in SPECIALS:
            if name not in self._special_ids:
                raise ValueError(f"tokenizer.json lacks the special token {name}")
        self.pad_id = self._special_ids["<pad>"]
        self.bos_id = self._special_ids["<bos>"]
        self.eos_id = self._special_ids["<eos>"]
        self.unk_id = self._special_ids["<unk>"]
        self.role_ids = {r: self._special_ids[f"<{r}>"] for r in ("system", "user", "assistant")}

    @property
    def vocab_size(self):
        return len(self.tokens)

    def is_special(self, token_id):
        return 0 <= token_id < len(self.specials)

    def encode(self, text):
        """Text to ids, one per character; special-token names in the text stay plain text."""
        return [self._char_ids.get(c, self.unk_id) for c in text]

    def token_str(self, token_id):
        """The token's own string (special tokens by name), as logprobs report it."""
        return self.tokens[token_id] if 0 <= token_id < len(self.tokens) else "<unk>"

    def piece(self, token_id):
        """The text a token contributes to decoded output (special tokens contribute nothing)."""
        return "" if self.is_special(token_id) or token_id >= len(self.tokens) else self.tokens[token_id]

    def decode(self, ids, skip_special=True):
        if skip_special:
            return "".join(self.piece(i) for i in ids)
        return "".join(self.token_str(i) for i in ids)

    @staticmethod
    def _content(message):
        content = message.get("content")
        if content is None:
            return ""
        if isinstance(content, str):
            return content
        if isinstance(content, list):  # OpenAI content parts; only text parts have tokens here
            return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") in ("text", "input_text", "output_text"))
        raise ValueError("message content must be a string or a list of content parts")

    def _role_id(self, message):
        role = message.get("role")
        role = ROLE_ALIASES.get(role, role)
        if role not in self.role_ids:
            raise ValueError(f"unsupported message role {message.get('role')!r}")
        return role, self.role_ids[role]

    def apply_chat_template(self, messages, add_generation_prompt=True):
        """Messages to prompt ids; with add_generation_prompt the ids end with `<assistant>`."""
        return self.chat_with_mask(messages, add_generation_prompt)[0]

    def chat_with_mask(self, messages, add_generation_prompt=False):
        """Ids plus a 0/1 mask marking the assistant-written tokens (content and its `<eos>`), for SFT."""
        if not isinstance(messages, list) or not messages:
            raise ValueError("messages must be a non-empty list")
        ids, mask = [self.bos_id], [0]
        for m in messages:
            if not isinstance(m, dict):
                raise ValueError("each message must be an object with role and content")
            role, role_id = self._role_id(m)
            body = self.encode(self._content(m)) + [self.eos_id]
            ids += [role_id] + body
            mask += [0] + [1 if role == "assistant" else 0] * len(body)
        if add_generation_prompt:
            ids.append(self.role_ids["assistant"])
            mask.append(0)
        return ids, mask

    def to_dict(self):
        return {"type": "char", "specials": self.specials, "chars": self.chars}

    @classmethod
    def from_dict(cls, d):
        if d.get("type") != "char":
            raise ValueError(f"unsupported tokenizer type {d.get('type')!r}")
        return cls(d["specials"], d["chars"])

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_dict(), f, indent=1)

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls.from_dict(json.load(f))
