// OTLP/HTTP: POST /v1/traces, /v1/logs and /v1/metrics, protobuf or JSON, optionally gzip-compressed. Responses follow
// the OTLP spec: Export*ServiceResponse (with partial_success) on success, a google.rpc.Status body in the
// request's encoding on failure, 429/503 with Retry-After under back-pressure.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  countMetricPoints,
  countProtoItems,
  decodeLogsJson,
  decodeLogsProto,
  decodeMetricsJson,
  decodeMetricsProto,
  decodeTracesJson,
  decodeTracesProto,
  encodeLogsResponse,
  encodeMetricsResponse,
  encodeRpcStatus,
  encodeTraceResponse,
  logsResponseJson,
  metricsResponseJson,
  OtlpDecodeError,
  traceResponseJson,
  type Decoded,
  type PartialSuccess,
} from './codec/index.js';
import { GRPC_STATUS, HTTP_STATUS, kindOfStatus, type ErrorKind } from '../schemas/errors.js';
import type { Ingestor, IngestOutcome } from './ingest.js';
import type { ReceiverMetrics, Signal } from './metrics.js';

type Encoding = 'protobuf' | 'json';

export function encodingOf(req: FastifyRequest): Encoding {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json') ? 'json' : 'protobuf';
}

/** A google.rpc.Status body in the request's encoding, with the HTTP and gRPC codes of the error's kind. */
export function sendOtlpError(reply: FastifyReply, encoding: Encoding, kind: ErrorKind, message: string, status = HTTP_STATUS[kind]): FastifyReply {
  const code = GRPC_STATUS[kind];
  if (encoding === 'json') return reply.code(status).type('application/json').send({ code, message });
  return reply
    .code(status)
    .type('application/x-protobuf')
    .send(Buffer.from(encodeRpcStatus(code, message)));
}

interface SignalSpec<T> {
  path: string;
  signal: Signal;
  /** The request's item count from its protobuf framing alone (-1: broken framing). */
  countProto(b: Uint8Array): number;
  decodeProto(b: Uint8Array): Decoded<T>;
  decodeJson(b: Uint8Array): Decoded<T>;
  ingest(d: Decoded<T>): Promise<IngestOutcome>;
  encodeProto(p?: PartialSuccess): Uint8Array;
  encodeJson(p?: PartialSuccess): Record<string, unknown>;
}

export function registerOtlpHttp(app: FastifyInstance, ingestor: Ingestor, metrics: ReceiverMetrics): void {
  const sendOutcome = (reply: FastifyReply, encoding: Encoding, signal: Signal, outcome: Exclude<IngestOutcome, { ok: true }>): FastifyReply => {
    metrics.requests.inc({ signal, transport: 'http', code: String(outcome.status) });
    if ('retryAfterSeconds' in outcome) reply.header('Retry-After', String(outcome.retryAfterSeconds));
    return sendOtlpError(reply, encoding, kindOfStatus(outcome.status), outcome.message);
  };
  const route = <T>(spec: SignalSpec<T>): void => {
    app.post(spec.path, { config: { scope: 'ingest', otlp: true } }, async (req, reply) => {
      const encoding = encodingOf(req);
      const body = req.body;
      if (!(body instanceof Buffer)) {
        return sendOtlpError(reply, encoding, 'invalid', 'request body is missing');
      }
      if (encoding === 'protobuf') {
        // Under back-pressure, refuse before decoding (the framing alone gives the item count).
        const items = spec.countProto(body);
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
          return sendOtlpError(reply, encoding, 'invalid', err.message);
        }
        throw err;
      }
      const outcome = await spec.ingest(decoded);
      if (!outcome.ok) return sendOutcome(reply, encoding, spec.signal, outcome);
      metrics.requests.inc({ signal: spec.signal, transport: 'http', code: '200' });
      if (encoding === 'json') return reply.code(200).type('application/json').send(spec.encodeJson(outcome.partial));
      return reply
        .code(200)
        .type('application/x-protobuf')
        .send(Buffer.from(spec.encodeProto(outcome.partial)));
    });
  };
  route({
    path: '/v1/traces',
    signal: 'spans',
    countProto: countProtoItems,
    decodeProto: decodeTracesProto,
    decodeJson: decodeTracesJson,
    ingest: (d) => ingestor.traces(d, 'http'),
    encodeProto: encodeTraceResponse,
    encodeJson: traceResponseJson,
  });
  route({
    path: '/v1/logs',
    signal: 'logs',
    countProto: countProtoItems,
    decodeProto: decodeLogsProto,
    decodeJson: decodeLogsJson,
    ingest: (d) => ingestor.logs(d, 'http'),
    encodeProto: encodeLogsResponse,
    encodeJson: logsResponseJson,
  });
  route({
    path: '/v1/metrics',
    signal: 'metrics',
    countProto: countMetricPoints,
    decodeProto: decodeMetricsProto,
    decodeJson: decodeMetricsJson,
    ingest: (d) => ingestor.metrics(d, 'http'),
    encodeProto: encodeMetricsResponse,
    encodeJson: metricsResponseJson,
  });
}
