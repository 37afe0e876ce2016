// The HTTP server: fastify with OpenAI-shaped errors for every failure (validation, malformed
// JSON, unknown routes), so SDK clients raise their usual typed exceptions.

import Fastify, { type FastifyError } from 'fastify';
import { registerChatRoute } from './chat-route.js';
import { registerCompletionsRoute } from './completions-route.js';
import type { Turn } from './conversation.js';
import { ApiError } from './errors.js';
import { registerModelsRoute } from './models-route.js';
import { registerResponsesRoute } from './responses-route.js';
import type { RouteContext } from './route-context.js';

export interface SimulatedModelServer {
  /** Base URL ending in /v1, ready for an OpenAI client's baseURL. */
  url: string;
  port: number;
  close(): Promise<void>;
  /** Generation requests received (chat, responses, completions), valid or not. */
  readonly requests: number;
}

export interface SimulatedModelOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Always include vLLM-style token ids, as if every request set return_token_ids. */
  returnTokenIds?: boolean;
  /** Delay before each response, to make traces look like real model calls. */
  latencyMs?: number;
}

const GENERATION_ROUTES = new Set(['/v1/chat/completions', '/v1/responses', '/v1/completions']);

export async function startSimulatedModel(opts: SimulatedModelOptions = {}): Promise<SimulatedModelServer> {
  const host = opts.host ?? '127.0.0.1';
  const app = Fastify({ logger: false, bodyLimit: 32 * 1024 * 1024 });
  let requests = 0;
  let counter = 0;
  const ctx: RouteContext = {
    returnTokenIds: opts.returnTokenIds ?? false,
    latencyMs: opts.latencyMs ?? 0,
    nextCounter: () => ++counter,
    responses: new Map<string, Turn[]>(),
  };

  app.addHook('onRequest', async (request) => {
    if (request.method === 'POST' && GENERATION_ROUTES.has(request.url.split('?')[0] ?? '')) requests++;
  });
  app.setErrorHandler((error: FastifyError | ApiError, _request, reply) => {
    if (error instanceof ApiError) return reply.status(error.status).send(error.toBody());
    const status = error.statusCode ?? 500;
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      return reply
        .status(400)
        .send(new ApiError(400, 'We could not parse the JSON body of your request. The simulated OpenAI API expects a JSON payload.', null, null).toBody());
    }
    const message = status >= 500 ? `The simulated model failed: ${error.message}` : error.message;
    return reply.status(status).send(new ApiError(status, message, null, error.code ?? null).toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(new ApiError(404, `Invalid URL (${request.method} ${request.url})`, null, null, 'invalid_request_error').toBody());
  });

  app.get('/health', async () => ({ status: 'ok', simulated: true }));
  registerModelsRoute(app);
  registerChatRoute(app, ctx);
  registerResponsesRoute(app, ctx);
  registerCompletionsRoute(app, ctx);

  await app.listen({ port: opts.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/v1`,
    port,
    close: () => app.close(),
    get requests() {
      return requests;
    },
  };
}
