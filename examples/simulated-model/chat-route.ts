// POST /v1/chat/completions in OpenAI's wire format, plus vLLM's token-id extension
// (`prompt_token_ids` at the top level, `token_ids` per choice; in streams, prompt ids on the
// first chunk and each chunk's own token ids), which RL trainers such as Agent Lightning read.

import type { FastifyInstance } from 'fastify';
import { fromChatRequest, type ToolCall } from './conversation.js';
import { applyLimits, generatedTokens, type FinishReason } from './generation-limits.js';
import { generate, responseId } from './model.js';
import {
  chatLogprobs,
  chatUsage,
  nowSeconds,
  parseBody,
  promptTokens,
  samplingSalt,
  simulateLatency,
  SYSTEM_FINGERPRINT,
  wantsTokenIds,
  type RouteContext,
} from './route-context.js';
import { chatRequestSchema, type ChatRequest } from './schemas.js';
import { fragments, SseWriter } from './streaming.js';
import { tokenize, type Token } from './tokenizer.js';

interface ChoiceResult {
  index: number;
  text: string | null;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  tokens: Token[];
}

export function registerChatRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/v1/chat/completions', async (request, reply) => {
    const body = parseBody(chatRequestSchema, request.body);
    const conv = fromChatRequest(body);
    const salt = samplingSalt(body.seed, body.temperature);
    const maxTokens = body.max_completion_tokens ?? body.max_tokens;
    const choices: ChoiceResult[] = [];
    for (let i = 0; i < (body.n ?? 1); i++) {
      const gen = generate(conv, { model: body.model, salt, variant: i });
      if (gen.toolCalls.length > 0) {
        choices.push({
          index: i,
          text: gen.text,
          toolCalls: gen.toolCalls,
          finishReason: 'tool_calls',
          tokens: generatedTokens(gen.text ?? '', gen.toolCalls, 'tool_calls'),
        });
      } else {
        const limited = applyLimits(gen.text ?? '', body.stop, maxTokens);
        choices.push({
          index: i,
          text: limited.text,
          toolCalls: [],
          finishReason: limited.finishReason,
          tokens: generatedTokens(limited.text, [], limited.finishReason),
        });
      }
    }
    const prompt = promptTokens(conv.turns, conv.tools);
    const counter = ctx.nextCounter();
    const id = responseId('chatcmpl-sim', JSON.stringify(request.body), counter);
    const withIds = wantsTokenIds(ctx, body);
    const completionCount = choices.reduce((sum, c) => sum + c.tokens.length, 0);
    await simulateLatency(ctx);

    if (body.stream) {
      streamChat(new SseWriter(reply), body, { id, choices, prompt, completionCount, withIds });
      return reply;
    }
    return {
      id,
      object: 'chat.completion',
      created: nowSeconds(),
      model: body.model,
      system_fingerprint: SYSTEM_FINGERPRINT,
      service_tier: 'default',
      choices: choices.map((c) => ({
        index: c.index,
        message: {
          role: 'assistant',
          content: c.toolCalls.length > 0 ? c.text || null : c.text,
          refusal: null,
          annotations: [],
          ...(c.toolCalls.length > 0
            ? { tool_calls: c.toolCalls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } })) }
            : {}),
        },
        logprobs: body.logprobs ? { content: chatLogprobs(visibleTokens(c), body.top_logprobs ?? 0), refusal: null } : null,
        finish_reason: c.finishReason,
        ...(withIds ? { token_ids: c.tokens.map((t) => t.id) } : {}),
      })),
      usage: chatUsage(prompt.length, completionCount),
      ...(withIds ? { prompt_token_ids: prompt.map((t) => t.id) } : {}),
    };
  });
}

/** The text tokens a client sees (logprobs cover the message text, not tool-call markup). */
function visibleTokens(c: ChoiceResult): Token[] {
  return tokenize(c.text ?? '');
}

function streamChat(
  sse: SseWriter,
  body: ChatRequest,
  r: { id: string; choices: ChoiceResult[]; prompt: Token[]; completionCount: number; withIds: boolean },
): void {
  const created = nowSeconds();
  const includeUsage = body.stream_options?.include_usage === true;
  let first = true;
  const chunk = (choice: Record<string, unknown>) => {
    sse.data({
      id: r.id,
      object: 'chat.completion.chunk',
      created,
      model: body.model,
      system_fingerprint: SYSTEM_FINGERPRINT,
      service_tier: 'default',
      choices: [{ logprobs: null, finish_reason: null, ...choice }],
      ...(includeUsage ? { usage: null } : {}),
      ...(first && r.withIds ? { prompt_token_ids: r.prompt.map((t) => t.id) } : {}),
    });
    first = false;
  };
  for (const c of r.choices) {
    const ids = (tokens: Token[]) => (r.withIds ? { token_ids: tokens.map((t) => t.id) } : {});
    if (c.toolCalls.length > 0) {
      // OpenAI's shape: the first delta of each call carries id, type and name with empty
      // arguments; later deltas carry argument fragments addressed by index only.
      const generated = [...c.tokens];
      const end = generated.pop();
      chunk({ index: c.index, delta: { role: 'assistant', content: null }, ...ids([]) });
      c.toolCalls.forEach((call, k) => {
        chunk({
          index: c.index,
          delta: { tool_calls: [{ index: k, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] },
          ...ids(k === 0 ? generated : []),
        });
        for (const piece of fragments(call.arguments))
          chunk({ index: c.index, delta: { tool_calls: [{ index: k, function: { arguments: piece } }] }, ...ids([]) });
      });
      chunk({ index: c.index, delta: {}, finish_reason: 'tool_calls', ...ids(end ? [end] : []) });
      continue;
    }
    chunk({ index: c.index, delta: { role: 'assistant', content: '', refusal: null }, ...ids([]) });
    const pieces = tokenize(c.text ?? '');
    pieces.forEach((t, i) => {
      chunk({
        index: c.index,
        delta: { content: t.text },
        ...(body.logprobs ? { logprobs: { content: chatLogprobs([t], body.top_logprobs ?? 0, i), refusal: null } } : {}),
        ...ids([t]),
      });
    });
    const tail = c.tokens.slice(pieces.length);
    chunk({ index: c.index, delta: {}, finish_reason: c.finishReason, ...ids(tail) });
  }
  if (includeUsage) {
    sse.data({
      id: r.id,
      object: 'chat.completion.chunk',
      created,
      model: body.model,
      system_fingerprint: SYSTEM_FINGERPRINT,
      service_tier: 'default',
      choices: [],
      usage: chatUsage(r.prompt.length, r.completionCount),
    });
  }
  sse.done();
}
