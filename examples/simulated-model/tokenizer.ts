// A toy tokenizer, NOT a real model vocabulary. It only has to be deterministic and cheap, so
// token counts, token ids (vLLM's return_token_ids) and logprobs are stable for tests and for the
// RL code paths that consume them. Words keep their leading space, like GPT-style BPE pieces, so
// that joining the pieces reproduces the text exactly.

import { hash32 } from './hash.js';

export interface Token {
  text: string;
  id: number;
}

/** Size of the pretend vocabulary; ids below SPECIAL_BASE are regular pieces. */
export const VOCAB_SIZE = 100_000;
const SPECIAL_BASE = VOCAB_SIZE - 16;
const SPECIAL: Record<string, number> = {
  '<|im_start|>': SPECIAL_BASE,
  '<|im_end|>': SPECIAL_BASE + 1,
  '<|endoftext|>': SPECIAL_BASE + 2,
};

const PIECE = /<\|[a-z_]+\|>|\s*[A-Za-z\u00C0-\u024F]+|\s*\d{1,3}|\s*[^\sA-Za-z\d]|\s+/gu;

export function tokenId(piece: string): number {
  return SPECIAL[piece] ?? hash32(piece) % SPECIAL_BASE;
}

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(PIECE)) out.push({ text: m[0], id: tokenId(m[0]) });
  return out;
}

export function countTokens(text: string): number {
  return tokenize(text).length;
}

/** Mimics a chat template (ChatML-like) so prompt_token_ids cover roles and turns, as vLLM's do. */
export function renderChatTemplate(turns: { role: string; text: string }[]): string {
  return turns.map((t) => `<|im_start|>${t.role}\n${t.text}<|im_end|>\n`).join('') + '<|im_start|>assistant\n';
}

/** A deterministic pseudo log-probability for a generated piece (always < 0). */
export function pseudoLogprob(piece: string, position: number): number {
  const u = (hash32(`${position}:${piece}`) % 10_000) / 10_000;
  return -Number((0.0005 + u * u * 2.5).toFixed(6));
}

/** Deterministic alternatives for top_logprobs; each strictly less likely than the chosen piece. */
export function pseudoAlternatives(piece: string, position: number, count: number): { token: string; logprob: number }[] {
  const base = pseudoLogprob(piece, position);
  const alts = [' the', ' a', ',', '.', ' and', ' of', ' to', ' is', '\n', ' I', ' it', ' 1', ' 2', ' that', ' in', ' we', ' be', ' on', ' for', ' with'];
  const out: { token: string; logprob: number }[] = [{ token: piece, logprob: base }];
  for (let i = 0; out.length < count && i < alts.length * 2; i++) {
    const alt = alts[(hash32(`${piece}:${position}`) + i) % alts.length] as string;
    if (out.some((o) => o.token === alt)) continue;
    out.push({ token: alt, logprob: Number((base - 0.7 - out.length * 0.9).toFixed(6)) });
  }
  return out.slice(0, count);
}
