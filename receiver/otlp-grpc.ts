// OTLP/gRPC on its own port (4317): the trace, logs and metrics collector services. Messages are decoded with the
// same codec as OTLP/HTTP; grpc-js only frames bytes.
import * as grpc from '@grpc/grpc-js';
import {
  countMetricPoints,
  countProtoItems,
  decodeLogsProto,
  decodeMetricsProto,
  decodeTracesProto,
  encodeLogsResponse,
  encodeMetricsResponse,
  encodeTraceResponse,
  OtlpDecodeError,
  type Decoded,
  type PartialSuccess,
} from './codec/index.js';
import { GRPC_STATUS, kindOfStatus } from '../schemas/errors.js';
import type { Ingestor, IngestOutcome } from './ingest.js';
import type { ReceiverMetrics, Signal } from './metrics.js';

const identity = (b: Buffer): Buffer => b;

const SERVICES: Readonly<Record<Signal, string>> = {
  spans: 'opentelemetry.proto.collector.trace.v1.TraceService',
  logs: 'opentelemetry.proto.collector.logs.v1.LogsService',
  metrics: 'opentelemetry.proto.collector.metrics.v1.MetricsService',
};

/** The signal of a call's method path (`/<service>/Export`), for the metrics of calls refused before their handler. */
function signalOf(path: string): Signal {
  for (const s of ['spans', 'logs', 'metrics'] as const) if (path.startsWith(`/${SERVICES[s]}/`)) return s;
  return 'spans';
}

function unaryService(name: string): grpc.ServiceDefinition {
  return {
    Export: {
      path: `/${name}/Export`,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
}

export interface GrpcReceiverOptions {
  host: string;
  port: number;
  maxReceiveMessageBytes: number;
  /** Whether a call's `authorization` metadata may ingest; null: it may not, with the message to say so. */
  authorize(authorization: string | undefined): string | null;
}

export async function startOtlpGrpc(
  opts: GrpcReceiverOptions,
  ingestor: Ingestor,
  metrics: ReceiverMetrics,
): Promise<{ port: number; close(): Promise<void> }> {
  // The key is checked on the call's metadata, before its message is read: a caller without one is refused
  // without the server taking in (up to) maxReceiveMessageBytes first.
  const authenticate: grpc.ServerInterceptor = (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (md, pass) => {
            const auth = md.get('authorization')[0];
            const refusal = opts.authorize(typeof auth === 'string' ? auth : auth?.toString());
            if (refusal === null) return pass(md);
            metrics.requests.inc({ signal: signalOf(method.path), transport: 'grpc', code: '401' });
            call.sendStatus({ code: GRPC_STATUS.unauthorized, details: refusal });
          },
        }),
    });
  const server = new grpc.Server({ 'grpc.max_receive_message_length': opts.maxReceiveMessageBytes, interceptors: [authenticate] });

  const handler =
    <T>(
      signal: Signal,
      count: (b: Uint8Array) => number,
      decode: (b: Uint8Array) => Decoded<T>,
      ingest: (d: Decoded<T>) => Promise<IngestOutcome>,
      encode: (p?: PartialSuccess) => Uint8Array,
    ): grpc.handleUnaryCall<Buffer, Buffer> =>
    (call, callback) => {
      const fail = (status: number, details: string, retryAfterSeconds?: number): void => {
        metrics.requests.inc({ signal, transport: 'grpc', code: String(status) });
        const metadata = new grpc.Metadata();
        if (retryAfterSeconds !== undefined) metadata.set('retry-after', String(retryAfterSeconds));
        callback({ code: GRPC_STATUS[kindOfStatus(status)], details, metadata });
      };
      const refuse = (outcome: Exclude<IngestOutcome, { ok: true }>): void =>
        fail(outcome.status, outcome.message, 'retryAfterSeconds' in outcome ? outcome.retryAfterSeconds : undefined);
      // Under back-pressure, refuse before decoding (the framing alone gives the item count).
      const items = count(call.request);
      const early = items >= 0 ? ingestor.refuseEarly(signal, 'grpc', items, call.request.length) : null;
      if (early && !early.ok && early.status !== 400) return refuse(early);
      let decoded: Decoded<T>;
      try {
        decoded = decode(call.request);
      } catch (err) {
        if (err instanceof OtlpDecodeError) {
          metrics.rejected.inc({ signal, transport: 'grpc', reason: 'malformed' });
          return fail(400, err.message);
        }
        return fail(500, (err as Error).message);
      }
      ingest(decoded).then(
        (outcome) => {
          if (!outcome.ok) return refuse(outcome);
          metrics.requests.inc({ signal, transport: 'grpc', code: '200' });
          callback(null, Buffer.from(encode(outcome.partial)));
        },
        (err: Error) => fail(500, err.message),
      );
    };

  server.addService(unaryService(SERVICES.spans), {
    Export: handler('spans', countProtoItems, decodeTracesProto, (d) => ingestor.traces(d, 'grpc'), encodeTraceResponse),
  });
  server.addService(unaryService(SERVICES.logs), {
    Export: handler('logs', countProtoItems, decodeLogsProto, (d) => ingestor.logs(d, 'grpc'), encodeLogsResponse),
  });
  server.addService(unaryService(SERVICES.metrics), {
    Export: handler('metrics', countMetricPoints, decodeMetricsProto, (d) => ingestor.metrics(d, 'grpc'), encodeMetricsResponse),
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), 5000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
