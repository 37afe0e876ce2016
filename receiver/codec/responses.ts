// The Export*ServiceResponse bodies (protobuf and OTLP/JSON) and google.rpc.Status, which both transports
// answer with. Unlike requests, these are tiny and off the hot path, so protobufjs' generic codec is used
// here, loaded from the same .proto files that ship next to the compiled code (dist/schemas/otlp/).
import { fileURLToPath } from 'node:url';
import Long from 'long';
import protobuf from 'protobufjs';
import type { Decoded } from './decoded.js';
import type { Json } from './json-values.js';

const protoPath = (file: string): string => fileURLToPath(new URL(`../../schemas/otlp/${file}`, import.meta.url));
protobuf.util.Long = Long;
protobuf.configure();
const root = protobuf.loadSync([protoPath('otlp.proto'), protoPath('metrics_service.proto')]);
const TraceResponse = root.lookupType('opentelemetry.proto.ExportTraceServiceResponse');
const LogsResponse = root.lookupType('opentelemetry.proto.ExportLogsServiceResponse');
const MetricsResponse = root.lookupType('opentelemetry.proto.ExportMetricsServiceResponse');

export interface PartialSuccess {
  rejected: number;
  errorMessage: string;
}

export function partialSuccessOf(d: Decoded<unknown>): PartialSuccess | undefined {
  if (d.rejected === 0) return undefined;
  const described = d.described ?? d.errors.length;
  const more = d.rejected > described ? ` (and ${d.rejected - described} more)` : '';
  return { rejected: d.rejected, errorMessage: d.errors.join('; ') + more };
}

export function encodeTraceResponse(p?: PartialSuccess): Uint8Array {
  const msg = p ? { partialSuccess: { rejectedSpans: p.rejected, errorMessage: p.errorMessage } } : {};
  return TraceResponse.encode(TraceResponse.fromObject(msg)).finish();
}

export function encodeLogsResponse(p?: PartialSuccess): Uint8Array {
  const msg = p ? { partialSuccess: { rejectedLogRecords: p.rejected, errorMessage: p.errorMessage } } : {};
  return LogsResponse.encode(LogsResponse.fromObject(msg)).finish();
}

export function encodeMetricsResponse(p?: PartialSuccess): Uint8Array {
  const msg = p ? { partialSuccess: { rejectedDataPoints: p.rejected, errorMessage: p.errorMessage } } : {};
  return MetricsResponse.encode(MetricsResponse.fromObject(msg)).finish();
}

/** OTLP/JSON response bodies: int64 as a decimal string, as the JSON mapping requires. */
export function traceResponseJson(p?: PartialSuccess): Json {
  return p ? { partialSuccess: { rejectedSpans: String(p.rejected), errorMessage: p.errorMessage } } : {};
}

export function logsResponseJson(p?: PartialSuccess): Json {
  return p ? { partialSuccess: { rejectedLogRecords: String(p.rejected), errorMessage: p.errorMessage } } : {};
}

export function metricsResponseJson(p?: PartialSuccess): Json {
  return p ? { partialSuccess: { rejectedDataPoints: String(p.rejected), errorMessage: p.errorMessage } } : {};
}

const RpcStatus = root.lookupType('opentelemetry.proto.RpcStatus');

/** google.rpc.Status for error responses; code is a gRPC status code (3 INVALID_ARGUMENT, 14 UNAVAILABLE, ...). */
export function encodeRpcStatus(code: number, message: string): Uint8Array {
  return RpcStatus.encode(RpcStatus.fromObject({ code, message })).finish();
}

export function decodeRpcStatus(buf: Uint8Array): { code: number; message: string } {
  return RpcStatus.decode(buf) as unknown as { code: number; message: string };
}

/** Decodes a response, for tests and tools. */
export function decodeTraceResponse(buf: Uint8Array): { partialSuccess?: { rejectedSpans?: Long | number; errorMessage?: string } } {
  return TraceResponse.decode(buf) as unknown as { partialSuccess?: { rejectedSpans?: Long | number; errorMessage?: string } };
}

export function decodeMetricsResponse(buf: Uint8Array): { partialSuccess?: { rejectedDataPoints?: Long | number; errorMessage?: string } } {
  return MetricsResponse.decode(buf) as unknown as { partialSuccess?: { rejectedDataPoints?: Long | number; errorMessage?: string } };
}
