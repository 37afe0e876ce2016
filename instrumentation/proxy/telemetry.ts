// The proxy's own tracer provider, built from the SDK's parts (the OTLP/HTTP protobuf exporter, the baggage span
// processor, the endpoint rules of config.ts) but never registered globally: the proxy may run inside a process
// whose agent has its own OpenTelemetry setup, and its spans must reach tracelight either way.
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, detectResources, resourceAttributesEnvDetector, resourceFromAttributes, serviceNameEnvDetector } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { BaggageSpanProcessor } from '../sdk/baggage-processor.js';
import { resolveApiKey, signalUrl } from '../sdk/config.js';
import { DEFAULT_PROXY_OPTIONS, type LlmProxyOptions } from './options.js';

export const PROXY_SCOPE = 'tracelight-llm-proxy';

export interface ProxyTelemetry {
  readonly tracer: Tracer;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

function exportHeaders(options: LlmProxyOptions): Record<string, string> | undefined {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  // TRACELIGHT_API_KEY, else the bearer token of OTEL_EXPORTER_OTLP_HEADERS (which the exporter sends anyway).
  const key = options.apiKey ?? resolveApiKey();
  if (key && !Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')) headers.Authorization = `Bearer ${key}`;
  return Object.keys(headers).length > 0 ? headers : undefined;
}

export function createTelemetry(options: LlmProxyOptions): ProxyTelemetry {
  // Precedence: the proxy's default name < OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES < the option.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': DEFAULT_PROXY_OPTIONS.serviceName }))
    .merge(detectResources({ detectors: [resourceAttributesEnvDetector, serviceNameEnvDetector] }))
    .merge(resourceFromAttributes(options.serviceName ? { 'service.name': options.serviceName } : {}));
  const processors: SpanProcessor[] = [new BaggageSpanProcessor()];
  if (options.export !== false) {
    const exporter = new OTLPTraceExporter({
      url: options.otlpEndpoint ? signalUrl(options.otlpEndpoint, 'traces') : undefined,
      headers: exportHeaders(options),
    });
    processors.push(new BatchSpanProcessor({ exporter, scheduledDelayMillis: options.exportIntervalMs ?? DEFAULT_PROXY_OPTIONS.exportIntervalMs }));
  }
  processors.push(...(options.spanProcessors ?? []));
  const provider = new TracerProvider({ resource, spanProcessors: processors });
  return {
    tracer: provider.getTracer(PROXY_SCOPE),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
