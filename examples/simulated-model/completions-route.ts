// POST /v1/completions (legacy text completions). Each prompt is answered as if a user had sent
// it. max_tokens defaults to 16, as on OpenAI, so long answers come back with finish_reason
// "length" unless the client asks for more. Token ids are per choice, as vLLM reports them here.

import type { FastifyInstance } from 'fastify';
import { fromCompletionPrompt, promptsOf } from './conversation.js';
import { applyLimits, generatedTokens } from './generation-limits.js';
import { generate, responseId } from './model.js';
import { nowSeconds, parseBody, samplingSalt, simulateLatency, SYSTEM_FINGERPRINT, wantsTokenIds, type RouteContext } from './route-context.js';
import { completionsRequestSchema } from './schemas.js';
import { SseWriter } from './streaming.js';
import { pseudoAlternatives, pseudoLogprob, tokenize } from './tokenizer.js';

const DEFAULT_MAX_TOKENS = 16;

export function registerCompletionsRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/v1/completions', async (request, reply) => {
    const body = parseBody(completionsRequestSchema, request.body);
    const salt = samplingSalt(body.seed, body.temperature);
    const withIds = wantsTokenIds(ctx, body);
    const choices: Record<string, unknown>[] = [];
    let promptCount = 0;
    let completionCount = 0;
    const prompts = promptsOf(body);
    prompts.forEach((prompt, p) => {
      const promptTokens = tokenize(prompt);
      promptCount += promptTokens.length;
      for (let i = 0; i < (body.n ?? 1); i++) {
        const gen = generate(fromCompletionPrompt(prompt), { model: body.model, salt, variant: i });
        const limited = applyLimits(gen.text ?? '', body.stop, body.max_tokens ?? DEFAULT_MAX_TOKENS);
        const generated = generatedTokens(limited.text, [], limited.finishReason);
        completionCount += generated.length;
        const pieces = tokenize(limited.text);
        choices.push({
          index: p * (body.n ?? 1) + i,
          text: (body.echo ? prompt : '') + limited.text,
          logprobs:
            body.logprobs != null
              ? {
                  tokens: pieces.map((t) => t.text),
                  token_logprobs: pieces.map((t, k) => pseudoLogprob(t.text, k)),
                  top_logprobs: pieces.map((t, k) => Object.fromEntries(pseudoAlternatives(t.text, k, body.logprobs ?? 0).map((a) => [a.token, a.logprob]))),
                  text_offset: offsets(
                    pieces.map((t) => t.text),
                    body.echo ? prompt.length : 0,
                  ),
                }
              : null,
          finish_reason: limited.finishReason,
          ...(withIds ? { prompt_token_ids: promptTokens.map((t) => t.id), token_ids: generated.map((t) => t.id) } : {}),
        });
      }
    });
    const id = responseId('cmpl-sim', JSON.stringify(request.body), ctx.nextCounter());
    const usage = { prompt_tokens: promptCount, completion_tokens: completionCount, total_tokens: promptCount + completionCount };
    await simulateLatency(ctx);
    const created = nowSeconds();
    if (body.stream) {
      const sse = new SseWriter(reply);
      for (const c of choices) {
        for (const t of tokenize(String(c.text))) {
          sse.data({
            id,
            object: 'text_completion',
            created,
            model: body.model,
            system_fingerprint: SYSTEM_FINGERPRINT,
            choices: [{ index: c.index, text: t.text, logprobs: null, finish_reason: null }],
          });
        }
        sse.data({
          id,
          object: 'text_completion',
          created,
          model: body.model,
          system_fingerprint: SYSTEM_FINGERPRINT,
          choices: [{ index: c.index, text: '', logprobs: null, finish_reason: c.finish_reason }],
        });
      }
      if (body.stream_options?.include_usage) sse.data({ id, object: 'text_completion', created, model: body.model, choices: [], usage });
      sse.done();
      return reply;
    }
    return { id, object: 'text_completion', created, model: body.model, system_fingerprint: SYSTEM_FINGERPRINT, choices, usage };
  });
}

function offsets(pieces: string[], start: number): number[] {
  const out: number[] = [];
  let at = start;
  for (const p of pieces) {
    out.push(at);
    at += p.length;
  }
  return out;
}
