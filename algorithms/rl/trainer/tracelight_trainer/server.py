"""An OpenAI-compatible HTTP server over a checkpoint, with vLLM's token-id extension.

It exists so agents can be run against the model being trained exactly as against vLLM: tracelight
records the spans, and the token ids and logprobs the server returns become the training batch. Routes:

    GET  /v1/models
    POST /v1/chat/completions   (n, temperature, top_p, max_tokens / max_completion_tokens, seed, stop,
                                 logprobs + top_logprobs, stream, return_token_ids)
    POST /v1/completions        (prompt: string, token ids, or a list of either; logprobs: int; echo, which
                                 with logprobs and max_tokens 0 scores a given text: prompt logprobs)
    POST /admin/load            {"checkpoint": dir}: hot-swaps the served weights
    GET  /health

With `return_token_ids: true`, chat responses carry top-level `prompt_token_ids` and each choice its
`token_ids`; completion choices carry both (as vLLM does). Token ids and logprobs are aligned one to one,
including the closing `<eos>` when the model stopped on its own. The `model` field of a request is not
checked: whatever is loaded is served, under the name given with --model-name.
"""

import json
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .model import TinyLM
from .util import TrainerError


class ApiError(Exception):
    def __init__(self, status, message, param=None, kind="invalid_request_error"):
        super().__init__(message)
        self.status, self.message, self.param, self.kind = status, message, param, kind


class ModelHost:
    """The served checkpoint; load() swaps it atomically, generation is serialized."""

    def __init__(self, checkpoint, device, model_name):
        self.device = device
        self.model_name = model_name
        self.compute = threading.Lock()
        self.version = 0
        self.load(checkpoint)

    def load(self, checkpoint):
        model = TinyLM.load(checkpoint, self.device).eval()  # outside the lock: requests keep being served
        with self.compute:
            self.model, self.checkpoint = model, os.path.abspath(checkpoint)
            self.version += 1
            self.loaded_at = int(time.time())
        return self.version


def _number(body, key, default, lo=None, hi=None, integer=False):
    v = body.get(key)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not isinstance(v, int)):
        raise ApiError(400, f"{key} must be {'an integer' if integer else 'a number'}", key)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ApiError(400, f"{key} must be between {lo} and {hi}", key)
    return v


def _stop(body):
    stop = body.get("stop")
    if stop is None:
        return []
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        return stop
    raise ApiError(400, "stop must be a string or a list of strings", "stop")


def _sampling(body, model, prompt_len, prompt_param="messages"):
    n = _number(body, "n", 1, 1, 128, integer=True)
    temperature = _number(body, "temperature", 1.0, 0, 2)
    top_p = _number(body, "top_p", 1.0, 0, 1)
    room = model.cfg.context - prompt_len
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    max_tokens = room if max_tokens is None else _number({"max_tokens": max_tokens}, "max_tokens", room, 0, None, integer=True)
    seed = _number(body, "seed", None, integer=True)
    if prompt_len >= model.cfg.context:
        raise ApiError(400, f"the prompt has {prompt_len} tokens; this model's context is {model.cfg.context}", prompt_param)
    return dict(n=n, temperature=temperature, top_p=top_p, max_tokens=min(max_tokens, room), seed=seed, stop=_stop(body))


def _chat_logprobs(tok, sample):
    content = []
    for k, (t, lp) in enumerate(zip(sample["token_ids"], sample["logprobs"])):
        tops = sample["top_logprobs"][k] if sample["top_logprobs"] else []
        content.append(
            {
                "token": tok.token_str(t),
                "logprob": lp,
                "bytes": None,
                "top_logprobs": [{"token": tok.token_str(i), "logprob": v, "bytes": None} for i, v in tops],
            }
        )
    return {"content": content, "refusal": None}


def _completion_logprobs(tok, sample, offset):
    tokens, offsets = [], []
    for t in sample["token_ids"]:
        tokens.append(tok.token_str(t))
        offsets.append(offset)
        offset += len(tok.piece(t))
    tops = [{tok.token_str(i): v for i, v in row} for row in sample["top_logprobs"]] if sample["top_logprobs"] else None
    return {"tokens": tokens, "token_logprobs": list(sample["logprobs"]), "top_logprobs": tops, "text_offset": offsets}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "tracelight-trainer"
    host: ModelHost = None  # set on the subclass by make_server
    quiet = True

    def log_message(self, fmt, *args):
        if not self.quiet:
            super().log_message(fmt, *args)

    # --- plumbing ---------------------------------------------------------------------------------------

    def _send(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, e):
        self._send(e.status, {"error": {"message": e.message, "type": e.kind, "param": e.param, "code": None}})

    def _body(self):
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ApiError(400, "the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "the request body must be a JSON object")
        return body

    def _dispatch(self, routes):
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        route = routes.get(path)
        try:
            if route is None:
                raise ApiError(404, f"no route {self.command} {path}", kind="not_found_error")
            route()
        except ApiError as e:
            self._error(e)
        except TrainerError as e:
            self._error(ApiError(400, str(e)))
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as e:  # keep serving; report the failure to the client
            self._error(ApiError(500, f"{type(e).__name__}: {e}", kind="server_error"))

    def do_GET(self):
        self._dispatch({"/v1/models": self.models, "/health": lambda: self._send(200, {"status": "ok", "version": self.host.version})})

    def do_POST(self):
        self._dispatch({"/v1/chat/completions": self.chat, "/v1/completions": self.completions, "/admin/load": self.admin_load})

    # --- routes -----------------------------------------------------------------------------------------

    def models(self):
        h = self.host
        self._send(
            200,
            {
                "object": "list",
                "data": [
                    {
                        "id": h.model_name,
                        "object": "model",
                        "created": h.loaded_at,
                        "owned_by": "tracelight",
                        "root": h.checkpoint,
                        "max_model_len": h.model.cfg.context,
                        "version": h.version,
                    }
                ],
            },
        )

    def admin_load(self):
        body = self._body()
        ckpt = body.get("checkpoint")
        if not isinstance(ckpt, str) or not ckpt:
            raise ApiError(400, "checkpoint must be a directory path", "checkpoint")
        version = self.host.load(ckpt)
        self._send(200, {"loaded": os.path.abspath(ckpt), "version": version, "model": self.host.model_name})

    def _generate(self, model, prompt_ids, params, top_logprobs):
        with self.host.compute:
            return model.sample(prompt_ids, top_logprobs=top_logprobs, **params)

    def chat(self):
        body = self._body()
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            raise ApiError(400, "messages must be a non-empty list", "messages")
        model = self.host.model
        tok = model.tokenizer
        try:
            prompt = tok.apply_chat_template(messages)
        except ValueError as e:
            raise ApiError(400, str(e), "messages") from None
        params = _sampling(body, model, len(prompt))
        want_lp = bool(body.get("logprobs"))
        top = _number(body, "top_logprobs", 0, 0, 20, integer=True) if want_lp else 0
        with_ids = bool(body.get("return_token_ids"))
        samples = self._generate(model, prompt, params, top)
        rid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        usage = {"prompt_tokens": len(prompt), "completion_tokens": sum(len(s["token_ids"]) for s in samples)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if body.get("stream"):
            return self._stream_chat(body, rid, created, prompt, samples, tok, want_lp, with_ids, usage)
        choices = []
        for i, s in enumerate(samples):
            c = {
                "index": i,
                "message": {"role": "assistant", "content": s["text"], "refusal": None},
                "logprobs": _chat_logprobs(tok, s) if want_lp else None,
                "finish_reason": s["finish_reason"],
            }
            if with_ids:
                c["token_ids"] = s["token_ids"]
            choices.append(c)
        out = {"id": rid, "object": "chat.completion", "created": created, "model": self.host.model_name, "choices": choices, "usage": usage}
        if with_ids:
            out["prompt_token_ids"] = prompt
        self._send(200, out)

    def _stream_chat(self, body, rid, created, prompt, samples, tok, want_lp, with_ids, usage):
        """SSE after generation: one chunk per token, then the finish chunk, usage if asked, [DONE]."""
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True
        first = True

        def emit(choice, extra=None):
            nonlocal first
            chunk = {"id": rid, "object": "chat.completion.chunk", "created": created, "model": self.host.model_name, "choices": [choice] if choice else []}
            if include_usage:
                chunk["usage"] = None
            if first and with_ids:
                chunk["prompt_token_ids"] = prompt
            first = False
            chunk.update(extra or {})
            self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")

        for i, s in enumerate(samples):
            ids = lambda t: {"token_ids": t} if with_ids else {}
            emit({"index": i, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None, **ids([])})
            lp = _chat_logprobs(tok, s)["content"] if want_lp else None
            for k, t in enumerate(s["token_ids"]):
                emit({"index": i, "delta": {"content": tok.piece(t)}, "logprobs": {"content": [lp[k]]} if lp else None, "finish_reason": None, **ids([t])})
            emit({"index": i, "delta": {}, "logprobs": None, "finish_reason": s["finish_reason"], **ids([])})
        if include_usage:
            emit(None, {"usage": usage})
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def completions(self):
        body = self._body()
        if body.get("stream"):
            raise ApiError(400, "streaming is not supported on /v1/completions", "stream")
        model = self.host.model
        tok = model.tokenizer
        prompt = body.get("prompt")
        is_ids = lambda p: isinstance(p, list) and p and all(isinstance(t, int) and not isinstance(t, bool) for t in p)
        if isinstance(prompt, str) or is_ids(prompt):
            prompts = [prompt]
        elif isinstance(prompt, list) and prompt and all(isinstance(p, str) or is_ids(p) for p in prompt):
            prompts = prompt
        else:
            raise ApiError(400, "prompt must be a string, a list of token ids, or a list of either", "prompt")
        encoded = []
        for p in prompts:
            ids = tok.encode(p) if isinstance(p, str) else list(p)
            if not ids:
                raise ApiError(400, "the prompt is empty", "prompt")
            if any(t < 0 or t >= tok.vocab_size for t in ids):
                raise ApiError(400, f"prompt token ids must be in [0, {tok.vocab_size})", "prompt")
            encoded.append(ids)
        lp_n = body.get("logprobs")
        want_lp = lp_n is not None and lp_n is not False
        top = _number({"logprobs": 0 if lp_n is True else lp_n}, "logprobs", 0, 0, 20, integer=True) if want_lp else 0
        with_ids = bool(body.get("return_token_ids"))
        echo = bool(body.get("echo"))
        choices, prompt_tokens, completion_tokens = [], 0, 0
        for p_idx, ids in enumerate(encoded):
            params = _sampling(body, model, len(ids), "prompt")
            samples = self._generate(model, ids, params, top)
            prompt_tokens += len(ids)
            prefix = tok.decode(ids) if echo else ""
            echoed = None
            if echo and want_lp:  # score the prompt too (OpenAI's echo: the first token has no logprob)
                with self.host.compute:
                    echoed = _completion_logprobs(tok, {"token_ids": ids, "logprobs": [None] + model.sequence_logprobs(ids[:1], ids[1:]), "top_logprobs": []}, 0)
            for i, s in enumerate(samples):
                completion_tokens += len(s["token_ids"])
                lp = None
                if want_lp:
                    lp = _completion_logprobs(tok, s, len(prefix))
                    if echoed:
                        tops = None if lp["top_logprobs"] is None else [None] * len(ids) + lp["top_logprobs"]
                        lp = {k: echoed[k] + lp[k] for k in ("tokens", "token_logprobs", "text_offset")} | {"top_logprobs": tops}
                c = {
                    "index": p_idx * params["n"] + i,
                    "text": prefix + s["text"],
                    "logprobs": lp,
                    "finish_reason": s["finish_reason"],
                }
                if with_ids:
                    c["prompt_token_ids"], c["token_ids"] = ids, s["token_ids"]
                choices.append(c)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens}
        out = {"id": f"cmpl-{uuid.uuid4().hex}", "object": "text_completion", "created": int(time.time()), "model": self.host.model_name, "choices": choices, "usage": usage}
        self._send(200, out)


def make_server(checkpoint, host="127.0.0.1", port=8000, device="cpu", model_name=None, quiet=True):
    model_host = ModelHost(checkpoint, device, model_name or "tracelight-tiny")
    handler = type("BoundHandler", (Handler,), {"host": model_host, "quiet": quiet})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server, model_host
