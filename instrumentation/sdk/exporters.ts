// The exporting processors init() hands to the Node SDK. The Node SDK builds these from OTEL_* itself only when
// it is given no processors at all, and init() must put the baggage processor before them, so the choice the
// Node SDK would make is made here, from the same variables: OTEL_{TRACES,LOGS}_EXPORTER (otlp, console, none),
// OTEL_EXPORTER_OTLP_[{TRACES,LOGS}_]PROTOCOL (grpc, http/protobuf, http/json), OTEL_BSP_* and OTEL_BLRP_*.
// Endpoint, headers, timeout, compression and TLS are read by the OTLP exporters themselves.
import { Metadata } from '@grpc/grpc-js';
import { diag } from '@opentelemetry/api';
import { getNumberFromEnv, getStringFromEnv, getStringListFromEnv } from '@opentelemetry/core';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchLogRecordProcessor, ConsoleLogRecordExporter, SimpleLogRecordProcessor, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';

export type OtlpProtocol = 'grpc' | 'http/protobuf' | 'http/json';
type Signal = 'traces' | 'logs';

const PROTOCOLS: readonly OtlpProtocol[] = ['grpc', 'http/protobuf', 'http/json'];

export interface ExportTarget {
  /** Base endpoint given in code (over OTEL_EXPORTER_OTLP_ENDPOINT): `/v1/<signal>` is appended for HTTP. */
  endpoint?: string;
  /** Headers (HTTP) or metadata (gRPC) given in code, over OTEL_EXPORTER_OTLP_HEADERS. */
  headers?: Record<string, string>;
  /** Batch delay when OTEL_BSP_SCHEDULE_DELAY / OTEL_BLRP_SCHEDULE_DELAY are unset. */
  scheduledDelayMillis: number;
}

/** The OTLP protocol for a signal: the per-signal variable, else the general one, else http/protobuf (the spec's default). */
export function otlpProtocol(signal: Signal): OtlpProtocol {
  const upper = signal.toUpperCase();
  const raw = (getStringFromEnv(`OTEL_EXPORTER_OTLP_${upper}_PROTOCOL`) ?? getStringFromEnv('OTEL_EXPORTER_OTLP_PROTOCOL'))?.trim().toLowerCase();
  if (!raw) return 'http/protobuf';
  if ((PROTOCOLS as readonly string[]).includes(raw)) return raw as OtlpProtocol;
  diag.warn(`tracelight: unsupported OTLP protocol "${raw}" for ${signal} (grpc, http/protobuf or http/json); using http/protobuf`);
  return 'http/protobuf';
}

/** The exporter names in OTEL_<SIGNAL>_EXPORTER that init() can honour (otlp when unset). */
function exporterNames(signal: Signal): string[] {
  const names = [...new Set(getStringListFromEnv(`OTEL_${signal.toUpperCase()}_EXPORTER`) ?? [])].filter((n) => n !== '' && n !== 'null');
  if (names.includes('none')) return [];
  const known: string[] = names.filter((n) => n === 'otlp' || n === 'console');
  for (const n of names)
    if (!known.includes(n)) diag.warn(`tracelight: OTEL_${signal.toUpperCase()}_EXPORTER value "${n}" is not supported here (otlp, console, none)`);
  return names.length === 0 ? ['otlp'] : known;
}

function httpUrl(target: ExportTarget, signal: Signal): string | undefined {
  return target.endpoint ? `${target.endpoint.replace(/\/+$/, '')}/v1/${signal}` : undefined;
}

function grpcConfig(target: ExportTarget): { url?: string; metadata?: Metadata } {
  let metadata: Metadata | undefined;
  if (target.headers) {
    metadata = new Metadata();
    for (const [k, v] of Object.entries(target.headers)) metadata.set(k.toLowerCase(), v);
  }
  return { url: target.endpoint, metadata };
}

function otlpTraceExporter(target: ExportTarget) {
  const protocol = otlpProtocol('traces');
  if (protocol === 'grpc') return new GrpcTraceExporter(grpcConfig(target));
  const config = { url: httpUrl(target, 'traces'), headers: target.headers };
  return protocol === 'http/json' ? new JsonTraceExporter(config) : new ProtoTraceExporter(config);
}

function otlpLogExporter(target: ExportTarget) {
  const protocol = otlpProtocol('logs');
  if (protocol === 'grpc') return new GrpcLogExporter(grpcConfig(target));
  const config = { url: httpUrl(target, 'logs'), headers: target.headers };
  return protocol === 'http/json' ? new JsonLogExporter(config) : new ProtoLogExporter(config);
}

/** Span processors for OTEL_TRACES_EXPORTER (none → []). */
export function spanProcessorsFromEnv(target: ExportTarget): SpanProcessor[] {
  return exporterNames('traces').map((name) =>
    name === 'console'
      ? new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() })
      : new BatchSpanProcessor({
          exporter: otlpTraceExporter(target),
          scheduledDelayMillis: getNumberFromEnv('OTEL_BSP_SCHEDULE_DELAY') ?? target.scheduledDelayMillis,
          maxQueueSize: getNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE'),
          maxExportBatchSize: getNumberFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
          exportTimeoutMillis: getNumberFromEnv('OTEL_BSP_EXPORT_TIMEOUT'),
        }),
  );
}

/** Log record processors for OTEL_LOGS_EXPORTER (none → []). */
export function logRecordProcessorsFromEnv(target: ExportTarget): LogRecordProcessor[] {
  return exporterNames('logs').map((name) =>
    name === 'console'
      ? new SimpleLogRecordProcessor({ exporter: new ConsoleLogRecordExporter() })
      : new BatchLogRecordProcessor({
          exporter: otlpLogExporter(target),
          scheduledDelayMillis: getNumberFromEnv('OTEL_BLRP_SCHEDULE_DELAY') ?? target.scheduledDelayMillis,
          maxQueueSize: getNumberFromEnv('OTEL_BLRP_MAX_QUEUE_SIZE'),
          maxExportBatchSize: getNumberFromEnv('OTEL_BLRP_MAX_EXPORT_BATCH_SIZE'),
          exportTimeoutMillis: getNumberFromEnv('OTEL_BLRP_EXPORT_TIMEOUT'),
        }),
  );
}
