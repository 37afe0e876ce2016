// startLlmProxy(): the HTTP face of the proxy. The same OpenAI-compatible routes twice, plain and under
// `/rollout/{rolloutId}/attempt/{attemptId}`, since a base URL is the one setting every agent has; the request body
// kept as bytes, so a request the proxy does not change is forwarded exactly as the agent sent it; every failure of
// the proxy's own in OpenAI's error shape.
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { BoundedSet, handleCall, type CallSettings } from './call.js';
import { ProxyError } from './errors.js';
import { DEFAULT_PROXY_OPTIONS, type LlmProxyOptions } from './options.js';
import { createTelemetry } from './telemetry.js';
import type { Operation } from './token-ids.js';
import { Deadline, get, joinUrl, readBounded, responseHeaders, upstreamHeaders } from './upstream.js';

export interface LlmProxy {
  /** Base URL for an OpenAI client: `http://host:port/v1`. */
  readonly url: string;
  /** `http://host:port`. */
  readonly origin: string;
  readonly port: number;
  /** A base URL that attributes every call made through it to one rollout attempt. */
  rolloutUrl(rolloutId: string, attemptId: string): string;
  /** Exports the spans of finished calls now. */
  flush(): Promise<void>;
  /** Stops accepting calls, waits for those in flight, exports their spans. */
  close(): Promise<void>;
}

const PREFIX = '/rollout/:rolloutId/attempt/:attemptId';
const OPERATIONS: [string, Operation][] = [
  ['/v1/chat/completions', 'chat'],
  ['/v1/completions', 'text_completion'],
];

export async function startLlmProxy(options: LlmProxyOptions = {}): Promise<LlmProxy> {
  if (!options.upstream && !options.route) throw new TypeError('startLlmProxy: give an upstream, a route, or both');
  if (options.upstream) new URL(options.upstream); // a bad URL fails here, not on the first call
  const d = DEFAULT_PROXY_OPTIONS;
  const host = options.host ?? d.host;
  const bodyLimit = options.bodyLimitBytes ?? d.bodyLimitBytes;
  const telemetry = createTelemetry(options);
  const settings: CallSettings = {
    upstream: options.upstream,
    route: options.route,
    captureTokenIds: options.captureTokenIds ?? d.captureTokenIds,
    streamTokenIds: options.streamTokenIds ?? d.streamTokenIds,
    provider: options.provider ?? d.provider,
    maxResponseBytes: options.maxResponseBytes ?? d.maxResponseBytes,
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? d.upstreamTimeoutMs,
    tracer: telemetry.tracer,
    rejecting: new BoundedSet(1000),
  };

  // A slow sender may hold a connection only so long; the answer (a long stream) is bounded by upstreamTimeoutMs.
  // Ids in the URL prefix may be as long as the attribution keeps (256), beyond the router's default of 100.
  const app = Fastify({ logger: false, bodyLimit, requestTimeout: 120_000, routerOptions: { maxParamLength: 256 } });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
  app.setErrorHandler((error: FastifyError | ProxyError, _request, reply) => {
    const e = error instanceof ProxyError ? error : fromFastify(error);
    return reply.status(e.status).send(e.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const e = new ProxyError(404, `no route ${request.method} ${request.url.split('?')[0]} on the tracelight LLM proxy`, 'not_found');
    return reply.status(404).send(e.toBody());
  });

  for (const [path, op] of OPERATIONS) {
    const handler = (request: FastifyRequest, reply: FastifyReply) => handleCall(settings, op, request, reply);
    app.post(path, handler);
    app.post(`${PREFIX}${path}`, handler);
  }
  const models = (request: FastifyRequest, reply: FastifyReply) => passModels(settings, request, reply);
  app.get('/v1/models', models);
  app.get(`${PREFIX}/v1/models`, models);
  app.get('/healthz', async () => ({ status: 'ok' }));

  try {
    await app.listen({ port: options.port ?? d.port, host });
  } catch (err) {
    await telemetry.shutdown();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? d.port);
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | null = null;
  return {
    url: `${origin}/v1`,
    origin,
    port,
    rolloutUrl: (rolloutId, attemptId) => `${origin}/rollout/${encodeURIComponent(rolloutId)}/attempt/${encodeURIComponent(attemptId)}/v1`,
    flush: () => telemetry.flush(),
    close: () => (closing ??= app.close().then(() => telemetry.shutdown())),
  };
}

function fromFastify(error: FastifyError): ProxyError {
  const status = error.statusCode ?? 500;
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ProxyError(413, error.message, 'request_too_large');
  return new ProxyError(status, error.message, (error.code ?? 'proxy_error').toLowerCase());
}

/** `GET /v1/models` from the default upstream, as it answers (model lists carry no training data: no span). */
async function passModels(s: CallSettings, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  if (!s.upstream) throw new ProxyError(404, 'this proxy routes by model and has no default upstream to list models from', 'not_found');
  const url = joinUrl(s.upstream, '/models');
  const deadline = new Deadline(Math.min(s.upstreamTimeoutMs, 60_000));
  const headers = upstreamHeaders(request.headers, undefined);
  delete headers['content-type'];
  const res = await get(url, headers, deadline);
  const body = await readBounded(res, s.maxResponseBytes, url, deadline);
  deadline.clear();
  return reply.code(res.status).headers(responseHeaders(res.headers)).send(body);
}
