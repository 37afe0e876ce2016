// OTLP/HTTP: POST /v1/traces and /v1/logs, protobuf or JSON, optionally gzip-compressed. Responses follow
// the OTLP spec: Export*ServiceResponse (with partial_success) on success, a google.rpc.Status body in the
// request's encoding on failure, 429/503 with Retry-After under back-pressure.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  countProtoItems,
  decodeLogsJson,
  decodeLogsProto,
  decodeTracesJson,
  decodeTracesProto,
  encodeLogsResponse,
  encodeRpcStatus,
  encodeTraceResponse,
  logsResponseJson,
  OtlpDecodeError,
  traceResponseJson,
  type Decoded,
  type PartialSuccess,
} from '../schemas/otlp-codec.js';
import type { Ingestor, IngestOutcome } from './ingest.js';
import type { ReceiverMetrics } from './metrics.js';

const GRPC_INVALID_ARGUMENT = 3;
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAVAILABLE = 14;

type Encoding = 'protobuf' | 'json';

function encodingOf(req: FastifyRequest): Encoding {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json') ? 'json' : 'protobuf';
}

export function sendOtlpError(reply: FastifyReply, encoding: Encoding, status: number, grpcCode: number, message: string): FastifyReply {
  if (encoding === 'json') return reply.code(status).type('application/json').send({ code: grpcCode, message });
  return reply.code(status).type('application/x-protobuf').send(Buffer.from(encodeRpcStatus(grpcCode, message)));
}

interface SignalSpec<T> {
  path: string;
  signal: 'spans' | 'logs';
  decodeProto(b: Uint8Array): Decoded<T>;
  decodeJson(b: Uint8Array): Decoded<T>;
  ingest(d: Decoded<T>): Promise<IngestOutcome>;
  encodeProto(p?: PartialSuccess): Uint8Array;
  encodeJson(p?: PartialSuccess): Record<string, unknown>;
}

export function registerOtlpHttp(app: FastifyInstance, ingestor: Ingestor, metrics: ReceiverMetrics): void {
  const sendOutcome = (reply: FastifyReply, encoding: Encoding, signal: 'spans' | 'logs', outcome: Exclude<IngestOutcome, { ok: true }>): FastifyReply => {
    metrics.requests.inc({ signal, transport: 'http', code: String(outcome.status) });
    if (outcome.status === 400 || outcome.status === 413) return sendOtlpError(reply, encoding, outcome.status, GRPC_INVALID_ARGUMENT, outcome.message);
    reply.header('Retry-After', String(outcome.retryAfterSeconds));
    return sendOtlpError(reply, encoding, outcome.status, outcome.status === 429 ? GRPC_RESOURCE_EXHAUSTED : GRPC_UNAVAILABLE, outcome.message);
  };
  const route = <T>(spec: SignalSpec<T>): void => {
    app.post(spec.path, { config: { scope: 'ingest', otlp: true } }, async (req, reply) => {
      const encoding = encodingOf(req);
      const body = req.body;
      if (!(body instanceof Buffer)) {
        return sendOtlpError(reply, encoding, 400, GRPC_INVALID_ARGUMENT, 'request body is missing');
      }
      if (encoding === 'protobuf') {
        // Under back-pressure, refuse before decoding (the framing alone gives the item count).
        const items = countProtoItems(body);
        const early = items >= 0 ? ingestor.refuseEarly(spec.signal, 'http', items, body.length) : null;
        if (early && !early.ok && early.status !== 400) return sendOutcome(reply, encoding, spec.signal, early);
      }
      let decoded: Decoded<T>;
      try {
        decoded = encoding === 'json' ? spec.decodeJson(body) : spec.decodeProto(body);
      } catch (err) {
        if (err instanceof OtlpDecodeError) {
          metrics.requests.inc({ signal: spec.signal, transport: 'http', code: '400' });
          metrics.rejected.inc({ signal: spec.signal, transport: 'http', reason: 'malformed' });
          return sendOtlpError(reply, encoding, 400, GRPC_INVALID_ARGUMENT, err.message);
        }
        throw err;
      }
      const outcome = await spec.ingest(decoded);
      if (!outcome.ok) return sendOutcome(reply, encoding, spec.signal, outcome);
      metrics.requests.inc({ signal: spec.signal, transport: 'http', code: '200' });
      if (encoding === 'json') return reply.code(200).type('application/json').send(spec.encodeJson(outcome.partial));
      return reply.code(200).type('application/x-protobuf').send(Buffer.from(spec.encodeProto(outcome.partial)));
    });
  };
  route({
    path: '/v1/traces',
    signal: 'spans',
    decodeProto: decodeTracesProto,
    decodeJson: decodeTracesJson,
    ingest: (d) => ingestor.traces(d, 'http'),
    encodeProto: encodeTraceResponse,
    encodeJson: traceResponseJson,
  });
  route({
    path: '/v1/logs',
    signal: 'logs',
    decodeProto: decodeLogsProto,
    decodeJson: decodeLogsJson,
    ingest: (d) => ingestor.logs(d, 'http'),
    encodeProto: encodeLogsResponse,
    encodeJson: logsResponseJson,
  });
}

export { GRPC_INVALID_ARGUMENT, GRPC_UNAVAILABLE, GRPC_RESOURCE_EXHAUSTED, encodingOf };
