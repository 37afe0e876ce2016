// What the endpoint handlers share: server options, the per-server counter behind response ids,
// request validation, and the pieces of OpenAI's response shapes used by several endpoints.

import type { z } from 'zod';
import type { Turn } from './conversation.js';
import { ApiError, fromZodError } from './errors.js';
import { pseudoAlternatives, pseudoLogprob, renderChatTemplate, tokenize, type Token } from './tokenizer.js';
import type { ToolSpec } from './conversation.js';

export interface RouteContext {
  returnTokenIds: boolean;
  latencyMs: number;
  /** Monotonic per server: makes ids unique across identical requests. */
  nextCounter(): number;
  /** Conversation state for the Responses API's previous_response_id. */
  responses: Map<string, Turn[]>;
}

export const SYSTEM_FINGERPRINT = 'simulated';

export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'The request body must be a JSON object.', null, null);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw fromZodError(parsed.error);
  return parsed.data;
}

/** Sampling parameters shift the hash, so a different seed or temperature gives other choices. */
export function samplingSalt(seed: number | null | undefined, temperature: number | null | undefined): string {
  return `${seed ?? ''}|${temperature != null && temperature > 0 ? temperature : 0}`;
}

export function wantsTokenIds(ctx: RouteContext, body: { return_token_ids?: boolean | null; extra_body?: { return_token_ids?: boolean } | null }): boolean {
  return ctx.returnTokenIds || body.return_token_ids === true || body.extra_body?.return_token_ids === true;
}

export async function simulateLatency(ctx: RouteContext): Promise<void> {
  if (ctx.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, ctx.latencyMs));
}

/** The prompt as the model "sees" it: chat template over the turns, with tool definitions first. */
export function promptTokens(turns: Turn[], tools: ToolSpec[]): Token[] {
  const rendered: { role: string; text: string }[] = [];
  if (tools.length > 0) rendered.push({ role: 'tools', text: JSON.stringify(tools) });
  for (const t of turns) {
    const calls = t.toolCalls?.map((c) => `<tool_call>${JSON.stringify({ name: c.name, arguments: c.arguments })}</tool_call>`).join('') ?? '';
    rendered.push({ role: t.role, text: t.text + calls });
  }
  return tokenize(renderChatTemplate(rendered));
}

export function chatUsage(promptCount: number, completionCount: number) {
  return {
    prompt_tokens: promptCount,
    completion_tokens: completionCount,
    total_tokens: promptCount + completionCount,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/** Chat Completions `logprobs.content` entries for the given pieces, starting at `offset`. */
export function chatLogprobs(tokens: Token[], topLogprobs: number, offset = 0) {
  return tokens.map((t, i) => ({
    token: t.text,
    logprob: pseudoLogprob(t.text, offset + i),
    bytes: [...Buffer.from(t.text, 'utf8')],
    top_logprobs: pseudoAlternatives(t.text, offset + i, topLogprobs).map((a) => ({
      token: a.token,
      logprob: a.logprob,
      bytes: [...Buffer.from(a.token, 'utf8')],
    })),
  }));
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
