// POST /v1/responses (the OpenAI Responses API, the OpenAI Agents SDK's default), non-streaming
// and streaming with the standard event sequence: response.created, response.in_progress,
// output_item.added, content_part.added, output_text.delta ..., function_call_arguments.delta ...,
// the matching .done events, and response.completed.

import type { FastifyInstance } from 'fastify';
import { fromResponsesRequest, type Turn } from './conversation.js';
import { ApiError } from './errors.js';
import { applyLimits, generatedTokens } from './generation-limits.js';
import { hash32, hex } from './hash.js';
import { generate, responseId } from './model.js';
import { nowSeconds, parseBody, promptTokens, samplingSalt, simulateLatency, type RouteContext } from './route-context.js';
import { responsesRequestSchema } from './schemas.js';
import { fragments, SseWriter } from './streaming.js';
import { tokenize } from './tokenizer.js';

const MAX_STORED_RESPONSES = 1000;

type OutputItem =
  | {
      id: string;
      type: 'message';
      status: 'completed' | 'incomplete';
      role: 'assistant';
      content: { type: 'output_text'; text: string; annotations: []; logprobs: [] }[];
    }
  | { id: string; type: 'function_call'; status: 'completed'; call_id: string; name: string; arguments: string };

export function registerResponsesRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/v1/responses', async (request, reply) => {
    const body = parseBody(responsesRequestSchema, request.body);
    let previous: Turn[] = [];
    if (body.previous_response_id) {
      const stored = ctx.responses.get(body.previous_response_id);
      if (!stored)
        throw new ApiError(400, `Previous response with id '${body.previous_response_id}' not found.`, 'previous_response_id', 'previous_response_not_found');
      previous = stored;
    }
    const conv = fromResponsesRequest(body, previous);
    const gen = generate(conv, { model: body.model, salt: samplingSalt(body.seed, body.temperature), variant: 0 });
    const counter = ctx.nextCounter();
    const id = responseId('resp_sim', JSON.stringify(request.body), counter);
    const itemKey = (k: number) => hex(hash32(`${id}|${k}`));

    const output: OutputItem[] = [];
    let incomplete = false;
    let text = '';
    if (gen.toolCalls.length === 0) {
      const limited = applyLimits(gen.text ?? '', undefined, body.max_output_tokens);
      incomplete = limited.finishReason === 'length';
      text = limited.text;
      output.push({
        id: `msg_${itemKey(0)}`,
        type: 'message',
        status: incomplete ? 'incomplete' : 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
      });
    } else {
      gen.toolCalls.forEach((c, k) =>
        output.push({ id: `fc_${itemKey(k)}`, type: 'function_call', status: 'completed', call_id: c.id, name: c.name, arguments: c.arguments }),
      );
    }
    const prompt = promptTokens(conv.turns, conv.tools);
    const completion = generatedTokens(text, gen.toolCalls, incomplete ? 'length' : gen.toolCalls.length ? 'tool_calls' : 'stop');
    const response = {
      id,
      object: 'response',
      created_at: nowSeconds(),
      status: incomplete ? 'incomplete' : 'completed',
      background: false,
      error: null,
      incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
      instructions: body.instructions ?? null,
      max_output_tokens: body.max_output_tokens ?? null,
      model: body.model,
      output,
      parallel_tool_calls: body.parallel_tool_calls ?? true,
      previous_response_id: body.previous_response_id ?? null,
      reasoning: { effort: null, summary: null },
      service_tier: 'default',
      store: (body as { store?: boolean }).store ?? true,
      temperature: body.temperature ?? 1,
      text: { format: body.text?.format ?? { type: 'text' } },
      tool_choice: body.tool_choice ?? 'auto',
      tools: body.tools ?? [],
      top_p: body.top_p ?? 1,
      truncation: 'disabled',
      usage: {
        input_tokens: prompt.length,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: completion.length,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: prompt.length + completion.length,
      },
      user: null,
      metadata: (body as { metadata?: unknown }).metadata ?? {},
    };

    remember(ctx, id, [...conv.turns, gen.toolCalls.length ? { role: 'assistant', text: '', toolCalls: gen.toolCalls } : { role: 'assistant', text }]);
    await simulateLatency(ctx);
    if (body.stream) {
      streamResponse(new SseWriter(reply), response, output);
      return reply;
    }
    return response;
  });
}

function remember(ctx: RouteContext, id: string, turns: Turn[]): void {
  ctx.responses.set(id, turns);
  if (ctx.responses.size > MAX_STORED_RESPONSES) {
    const oldest = ctx.responses.keys().next().value;
    if (oldest !== undefined) ctx.responses.delete(oldest);
  }
}

function streamResponse(sse: SseWriter, response: Record<string, unknown> & { status: string }, output: OutputItem[]): void {
  let seq = 0;
  const emit = (type: string, payload: Record<string, unknown>) => sse.event(type, { type, sequence_number: seq++, ...payload });
  const inProgress = { ...response, status: 'in_progress', output: [], usage: null, incomplete_details: null };
  emit('response.created', { response: inProgress });
  emit('response.in_progress', { response: inProgress });
  output.forEach((item, outputIndex) => {
    if (item.type === 'message') {
      const part = item.content[0] as { text: string };
      emit('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', content: [] } });
      emit('response.content_part.added', {
        item_id: item.id,
        output_index: outputIndex,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      });
      for (const t of tokenize(part.text)) {
        emit('response.output_text.delta', { item_id: item.id, output_index: outputIndex, content_index: 0, delta: t.text, logprobs: [] });
      }
      emit('response.output_text.done', { item_id: item.id, output_index: outputIndex, content_index: 0, text: part.text, logprobs: [] });
      emit('response.content_part.done', { item_id: item.id, output_index: outputIndex, content_index: 0, part: item.content[0] });
    } else {
      emit('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', arguments: '' } });
      for (const piece of fragments(item.arguments)) {
        emit('response.function_call_arguments.delta', { item_id: item.id, output_index: outputIndex, delta: piece });
      }
      emit('response.function_call_arguments.done', { item_id: item.id, output_index: outputIndex, name: item.name, arguments: item.arguments });
    }
    emit('response.output_item.done', { output_index: outputIndex, item });
  });
  emit(response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response });
  sse.end();
}
