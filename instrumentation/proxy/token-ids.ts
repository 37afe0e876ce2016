// vLLM's token-id extension, asked for on the agent's behalf. RL needs the exact ids the model saw and sampled
// (retokenizing text drifts at merges and special tokens), so the proxy adds `return_token_ids` (and `logprobs`)
// to the upstream request, and takes out of the answer what the agent did not ask for itself, so the agent sees
// the response it would have seen without the proxy.
//
// Streams are passed through as the upstream sends them (never re-serialized), so they get `return_token_ids`
// only (when streamTokenIds) and never `logprobs` the agent did not ask for: call.ts says why.
export type Operation = 'chat' | 'text_completion';

export interface Added {
  returnTokenIds: boolean;
  logprobs: boolean;
}

export const NOTHING_ADDED: Added = { returnTokenIds: false, logprobs: false };

type Body = Record<string, unknown>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function agentAskedTokenIds(body: Body): boolean {
  return body.return_token_ids === true || (isRecord(body.extra_body) && body.extra_body.return_token_ids === true);
}

/** Chat takes `logprobs: true`; legacy completions take a count of alternatives (`logprobs: 0` is the sampled token only). */
export function agentAskedLogprobs(op: Operation, body: Body): boolean {
  return op === 'chat' ? body.logprobs === true : typeof body.logprobs === 'number';
}

/** The fields to add to this request: what the agent left unset, and for streams never logprobs. */
export function plan(op: Operation, body: Body, opts: { capture: boolean; streamTokenIds: boolean }): Added {
  if (!opts.capture) return NOTHING_ADDED;
  const stream = body.stream === true;
  return {
    returnTokenIds: !agentAskedTokenIds(body) && (!stream || opts.streamTokenIds),
    logprobs: !stream && !agentAskedLogprobs(op, body),
  };
}

export function apply(op: Operation, body: Body, added: Added): Body {
  if (!added.returnTokenIds && !added.logprobs) return body;
  const out: Body = { ...body };
  if (added.returnTokenIds) out.return_token_ids = true;
  if (added.logprobs) out.logprobs = op === 'chat' ? true : 0;
  return out;
}

/**
 * Removes from a parsed non-streamed answer what `added` made the upstream put in. Logprobs go back to `null`, what
 * an OpenAI-compatible server sends when none were asked for; token ids are deleted (they are not in the standard).
 */
export function strip(answer: unknown, added: Added): void {
  if (!isRecord(answer)) return;
  if (added.returnTokenIds) delete answer.prompt_token_ids;
  if (!Array.isArray(answer.choices)) return;
  for (const c of answer.choices) {
    if (!isRecord(c)) continue;
    if (added.returnTokenIds) {
      delete c.token_ids;
      delete c.prompt_token_ids;
    }
    if (added.logprobs && 'logprobs' in c) c.logprobs = null;
  }
}

/**
 * An upstream that does not know the extension answers 400 (or 422) naming the field; the call is then sent again
 * without it. Only fields the proxy added count: an agent's own bad field is the agent's error to see.
 */
export function rejectsExtension(status: number, bodyText: string, added: Added): boolean {
  if (status !== 400 && status !== 422) return false;
  return (added.returnTokenIds && bodyText.includes('return_token_ids')) || (added.logprobs && bodyText.includes('logprobs'));
}
