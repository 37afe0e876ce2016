// Sampling limits every endpoint honours the way OpenAI does: `stop` cuts the text before the
// stop sequence, `max_tokens` cuts it at a token boundary and reports finish_reason "length".

import type { ToolCall } from './conversation.js';
import { tokenId, tokenize, type Token } from './tokenizer.js';

export type FinishReason = 'stop' | 'length' | 'tool_calls';

export interface LimitedText {
  text: string;
  finishReason: 'stop' | 'length';
}

export function applyLimits(text: string, stop: string | string[] | null | undefined, maxTokens: number | null | undefined): LimitedText {
  let out = text;
  for (const s of stop == null ? [] : Array.isArray(stop) ? stop : [stop]) {
    if (!s) continue;
    const at = out.indexOf(s);
    if (at >= 0) out = out.slice(0, at);
  }
  if (maxTokens != null) {
    const tokens = tokenize(out);
    if (tokens.length > maxTokens)
      return {
        text: tokens
          .slice(0, maxTokens)
          .map((t) => t.text)
          .join(''),
        finishReason: 'length',
      };
  }
  return { text: out, finishReason: 'stop' };
}

export const END_OF_TURN = '<|im_end|>';

/**
 * The tokens the model "generated": the text, tool calls in a Hermes-style markup (as vLLM's
 * tool parsers see them), and the end-of-turn token when the model stopped on its own.
 */
export function generatedTokens(text: string, toolCalls: ToolCall[], finishReason: FinishReason): Token[] {
  const markup = toolCalls.map((c) => `<tool_call>\n${JSON.stringify({ name: c.name, arguments: safeParse(c.arguments) })}\n</tool_call>`).join('\n');
  const tokens = tokenize(text + (text && markup ? '\n' : '') + markup);
  if (finishReason !== 'length') tokens.push({ text: END_OF_TURN, id: tokenId(END_OF_TURN) });
  return tokens;
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
