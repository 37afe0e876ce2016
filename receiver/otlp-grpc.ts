// OTLP/gRPC on its own port (4317): the trace and logs collector services. Messages are decoded with the
// same codec as OTLP/HTTP; grpc-js only frames bytes.
import * as grpc from '@grpc/grpc-js';
import {
  countProtoItems,
  decodeLogsProto,
  decodeTracesProto,
  encodeLogsResponse,
  encodeTraceResponse,
  OtlpDecodeError,
  type Decoded,
  type PartialSuccess,
} from '../schemas/otlp-codec.js';
import { UNAUTHORIZED_MESSAGE, type ApiKeys } from './auth.js';
import type { Ingestor, IngestOutcome } from './ingest.js';
import type { ReceiverMetrics } from './metrics.js';

const identity = (b: Buffer): Buffer => b;

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
}

export async function startOtlpGrpc(opts: GrpcReceiverOptions, ingestor: Ingestor, metrics: ReceiverMetrics, keys: ApiKeys): Promise<{ port: number; close(): Promise<void> }> {
  // The key is checked on the call's metadata, before its message is read: a caller without one is refused
  // without the server taking in (up to) maxReceiveMessageBytes first.
  const authenticate: grpc.ServerInterceptor = (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (md, pass) => {
            const auth = md.get('authorization')[0];
            if (keys.allows(typeof auth === 'string' ? auth : auth?.toString(), 'ingest')) return pass(md);
            metrics.requests.inc({ signal: method.path.includes('Logs') ? 'logs' : 'spans', transport: 'grpc', code: '401' });
            call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: UNAUTHORIZED_MESSAGE });
          },
        }),
    });
  const server = new grpc.Server({ 'grpc.max_receive_message_length': opts.maxReceiveMessageBytes, interceptors: [authenticate] });

  const handler = <T>(signal: 'spans' | 'logs', decode: (b: Uint8Array) => Decoded<T>, ingest: (d: Decoded<T>) => Promise<IngestOutcome>, encode: (p?: PartialSuccess) => Uint8Array): grpc.handleUnaryCall<Buffer, Buffer> =>
    (call, callback) => {
      const fail = (code: grpc.status, details: string, httpLike: string): void => {
        metrics.requests.inc({ signal, transport: 'grpc', code: httpLike });
        callback({ code, details });
      };
      // Under back-pressure, refuse before decoding (the framing alone gives the item count).
      const items = countProtoItems(call.request);
      const early = items >= 0 ? ingestor.refuseEarly(signal, 'grpc', items, call.request.length) : null;
      if (early && !early.ok && early.status === 413) return fail(grpc.status.INVALID_ARGUMENT, early.message, '413');
      if (early && !early.ok && early.status !== 400) {
        const md = new grpc.Metadata();
        md.set('retry-after', String(early.retryAfterSeconds));
        metrics.requests.inc({ signal, transport: 'grpc', code: String(early.status) });
        callback({ code: grpc.status.UNAVAILABLE, details: early.message, metadata: md });
        return;
      }
      let decoded: Decoded<T>;
      try {
        decoded = decode(call.request);
      } catch (err) {
        if (err instanceof OtlpDecodeError) {
          metrics.rejected.inc({ signal, transport: 'grpc', reason: 'malformed' });
          return fail(grpc.status.INVALID_ARGUMENT, err.message, '400');
        }
        return fail(grpc.status.INTERNAL, (err as Error).message, '500');
      }
      ingest(decoded).then(
        (outcome) => {
          if (!outcome.ok && (outcome.status === 400 || outcome.status === 413)) return fail(grpc.status.INVALID_ARGUMENT, outcome.message, String(outcome.status));
          if (!outcome.ok) {
            // UNAVAILABLE is retryable for every OTLP exporter; RESOURCE_EXHAUSTED only with RetryInfo.
            const md = new grpc.Metadata();
            md.set('retry-after', String(outcome.retryAfterSeconds));
            metrics.requests.inc({ signal, transport: 'grpc', code: String(outcome.status) });
            callback({ code: grpc.status.UNAVAILABLE, details: outcome.message, metadata: md });
            return;
          }
          metrics.requests.inc({ signal, transport: 'grpc', code: '200' });
          callback(null, Buffer.from(encode(outcome.partial)));
        },
        (err: Error) => fail(grpc.status.INTERNAL, err.message, '500'),
      );
    };

  server.addService(unaryService('opentelemetry.proto.collector.trace.v1.TraceService'), {
    Export: handler('spans', decodeTracesProto, (d) => ingestor.traces(d, 'grpc'), encodeTraceResponse),
  });
  server.addService(unaryService('opentelemetry.proto.collector.logs.v1.LogsService'), {
    Export: handler('logs', decodeLogsProto, (d) => ingestor.logs(d, 'grpc'), encodeLogsResponse),
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
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
