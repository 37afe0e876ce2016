// The LLM proxy as Agent Lightning v1's gateway route uses it (api/agl-gateway.ts, through AglLlmPort): each call
// goes through the proxy's own call path (call.ts: routing, token ids, the GenAI span), and its span is handed to
// the server's ingest path in this process instead of being exported over the network. A model_request event that a
// client posts (a call made elsewhere) is recorded as the same kind of span, built by the same attribute builders,
// so both become LLM calls of their rollout and then triplets.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  AGL_MODE_ATTRIBUTE,
  AglGatewayError,
  type AglLlmPort,
  type AglProxyCall,
  type AglProxyAnswer,
  type AglRecordedCall,
  type OtlpTraceSink,
} from '../../schemas/agl-gateway.js';
import { BoundedSet, handleCall, type CallSettings } from './call.js';
import { isRecord, readAnswer } from './completion.js';
import { ProxyError } from './errors.js';
import { requestAttributes, responseAttributes, startAttributes } from './genai-span.js';
import { DEFAULT_PROXY_OPTIONS, type RouteTarget } from './options.js';
import { targetOf } from './resource-route.js';
import type { Operation } from './token-ids.js';

export const GATEWAY_SERVICE_NAME = 'tracelight-agl-gateway';

const PRIVATE_HEADERS = new Set(['authorization', 'x-api-key', 'cookie', 'proxy-authorization']);

/** Ingests each ended span at once; flush waits for those under way, so a caller can read its call back. */
class IngestingProcessor implements SpanProcessor {
  private readonly pending = new Set<Promise<void>>();
  private failure: Error | null = null;

  constructor(private readonly sink: OtlpTraceSink) {}

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    const bytes = ProtobufTraceSerializer.serializeRequest([span]);
    if (!bytes) return;
    const p = this.sink(bytes)
      .catch((err: Error) => {
        this.failure = err;
      })
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Resolves once every span so far is in the store; rejects with the first ingest failure since the last flush. */
  async forceFlush(): Promise<void> {
    await Promise.all([...this.pending]);
    const failure = this.failure;
    this.failure = null;
    if (failure) throw failure;
  }

  shutdown(): Promise<void> {
    return this.forceFlush().catch(() => undefined);
  }
}

function operationOf(request: Record<string, unknown>): Operation {
  return 'messages' in request || !('prompt' in request) ? 'chat' : 'text_completion';
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function createAglLlm(sink: OtlpTraceSink, options: { upstreamTimeoutMs?: number; maxResponseBytes?: number } = {}): AglLlmPort {
  const processor = new IngestingProcessor(sink);
  const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': GATEWAY_SERVICE_NAME }), spanProcessors: [processor] });
  const tracer = provider.getTracer(GATEWAY_SERVICE_NAME);
  const d = DEFAULT_PROXY_OPTIONS;
  const rejecting = new BoundedSet(1000);

  const toRoute = (call: AglProxyCall): RouteTarget =>
    call.target.kind === 'resource' ? targetOf(call.target.resource, undefined) : { upstream: call.target.upstream, model: call.target.model };

  return {
    async forward(request: FastifyRequest, reply: FastifyReply, call: AglProxyCall, onAnswer: (a: AglProxyAnswer) => Promise<void>): Promise<FastifyReply> {
      let target: RouteTarget;
      try {
        target = toRoute(call);
      } catch (err) {
        throw new AglGatewayError(503, (err as Error).message);
      }
      const settings: CallSettings = {
        route: async () => target,
        // The gateway asks for token ids and log-probs itself, as v1 does, and passes them to the agent.
        captureTokenIds: false,
        streamTokenIds: false,
        provider: target.provider ?? d.provider,
        maxResponseBytes: options.maxResponseBytes ?? d.maxResponseBytes,
        upstreamTimeoutMs: options.upstreamTimeoutMs ?? d.upstreamTimeoutMs,
        tracer,
        rejecting,
        observe: onAnswer,
        spanAttributes: { [AGL_MODE_ATTRIBUTE]: call.mode },
      };
      // The call path reads the agent's bytes, headers and URL ids: here the body is the gateway's prepared one, the
      // ids are the gateway route's, and the agent's credentials (its key to this server) never reach the model.
      const view = Object.create(request) as FastifyRequest;
      const headers = Object.fromEntries(Object.entries(request.headers).filter(([k]) => !PRIVATE_HEADERS.has(k.toLowerCase())));
      Object.defineProperty(view, 'body', { value: Buffer.from(JSON.stringify(call.body)) });
      Object.defineProperty(view, 'params', { value: { rolloutId: call.rolloutId, attemptId: call.attemptId } });
      Object.defineProperty(view, 'headers', { value: headers });
      try {
        return await handleCall(settings, call.operation, view, reply);
      } catch (err) {
        if (err instanceof ProxyError) throw new AglGatewayError(err.status, err.message);
        throw err;
      } finally {
        // The agent has its answer by now; the call's span goes on to the store without holding this request
        // open, so the gateway's in-flight count is back down before the agent can send its next request.
        void processor.forceFlush().catch(() => undefined);
      }
    },

    async record(call: AglRecordedCall): Promise<void> {
      const data = call.data;
      const request = isRecord(data.request) ? data.request : {};
      const op = operationOf(request);
      const server = isRecord(data.server) ? data.server : {};
      const model = str(data.model) || str(request.model) || str(server.model);
      const latencyMs = typeof data.latency_ms === 'number' && Number.isFinite(data.latency_ms) && data.latency_ms > 0 ? data.latency_ms : 0;
      const endMs = call.timestamp * 1000;
      const attributes: Attributes = {
        ...startAttributes(op, model, { rolloutId: call.rolloutId, attemptId: call.attemptId, agent: '' }),
        'tracelight.agl.event': 'model_request',
      };
      const span = tracer.startSpan(`${op} ${model}`.trim(), { kind: SpanKind.CLIENT, startTime: endMs - latencyMs, attributes }, ROOT_CONTEXT);
      span.setAttributes(requestAttributes(op, request, { upstream: str(server.endpoint) }, d.provider));
      if (isRecord(data.response)) span.setAttributes(responseAttributes(readAnswer(data.response)));
      const status = typeof data.http_status === 'number' ? data.http_status : 200;
      if (data.status === 'error' || status >= 400) {
        span.setAttribute('error.type', String(status));
        span.setStatus({ code: SpanStatusCode.ERROR, message: `the model answered ${status}` });
      }
      span.end(endMs);
      await processor.forceFlush();
    },

    close: () => provider.shutdown(),
  };
}
