// init(): OpenTelemetry for an agent, pointed at tracelight, on the standard Node SDK (@opentelemetry/sdk-node).
// The Node SDK does what it does for any agent from the OTEL_* variables: resource detection
// (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_NODE_RESOURCE_DETECTORS), the sampler (OTEL_TRACES_SAMPLER),
// propagators (OTEL_PROPAGATORS, W3C trace context + baggage by default), span limits, OTEL_SDK_DISABLED,
// OTEL_LOG_LEVEL, and AsyncLocalStorage context. tracelight adds: the baggage span processor (rollout ids on
// every span) ahead of the exporting processors (exporters.ts, which honour the protocol variables), no metrics
// by default (tracelight stores traces and logs), and the GenAI instrumentations that are installed, with content
// capture on (training needs the content).
import { context, diag, logs, propagation, ProxyTracerProvider, trace, type Attributes, type LoggerProvider, type TracerProvider } from '@opentelemetry/api';
import { getBooleanFromEnv } from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace';
import { BaggageSpanProcessor, type BaggageKeyPredicate } from './baggage-processor.js';
import { envBool, resolveApiKey, resolveServerUrl } from './config.js';
import { logRecordProcessorsFromEnv, spanProcessorsFromEnv } from './exporters.js';
import {
  disableAll,
  enableKnownInstrumentations,
  isOpenAIModule,
  patchManually,
  wireUp,
  type ActiveInstrumentation,
  type InstrumentationLike,
} from './instrumentations.js';

export interface InitOptions {
  /**
   * Base OTLP endpoint, e.g. `http://tracelight:4318` (HTTP: `/v1/traces` and `/v1/logs` are appended) or
   * `http://tracelight:4317` with `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`. Default: `OTEL_EXPORTER_OTLP_ENDPOINT` (and the
   * per-signal `OTEL_EXPORTER_OTLP_{TRACES,LOGS}_ENDPOINT`), else the protocol's localhost default (4318, gRPC 4317).
   */
  endpoint?: string;
  /** Extra export headers (gRPC metadata under grpc); merged over `OTEL_EXPORTER_OTLP_HEADERS`. */
  headers?: Record<string, string>;
  /** Sent as `Authorization: Bearer <key>`. Default: `TRACELIGHT_API_KEY`, else none (OTEL_EXPORTER_OTLP_HEADERS still applies). */
  apiKey?: string;
  /** `service.name`, over `OTEL_SERVICE_NAME`. Default: `OTEL_SERVICE_NAME`, else `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, else `unknown_service:node`. */
  serviceName?: string;
  /** Default resource attributes; `OTEL_RESOURCE_ATTRIBUTES` and the detectors override them (the deployment has the last word). */
  resourceAttributes?: Attributes;
  /** Sampler, over `OTEL_TRACES_SAMPLER` (default: parent-based always-on). */
  sampler?: Sampler;
  /**
   * Capture prompt and completion content in the GenAI instrumentations. Default true (training needs it);
   * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=false` turns it off.
   */
  captureContent?: boolean;
  /** Turn on the GenAI instrumentations that are installed (default true). */
  autoInstrument?: boolean;
  /**
   * The `openai` package's client class (or module) to patch directly: the reliable way under ES modules, where a
   * static `import OpenAI from 'openai'` runs before init(). `init({ instrumentOpenAI: OpenAI })`.
   */
  instrumentOpenAI?: unknown;
  /** Further OpenTelemetry instrumentations to wire to these providers and enable. */
  instrumentations?: InstrumentationLike[];
  /** Which baggage entries are copied onto spans (default: keys starting with `tracelight.`). */
  baggageKeys?: BaggageKeyPredicate;
  /** Extra span / log processors (e.g. an in-memory exporter in tests), after the exporting ones. */
  spanProcessors?: SpanProcessor[];
  logRecordProcessors?: LogRecordProcessor[];
  /** Metric readers (default none: tracelight stores traces and logs; send metrics elsewhere with a reader of your own). */
  metricReaders?: NodeSDKConfiguration['metricReaders'];
  /** Batch export delay when `OTEL_BSP_SCHEDULE_DELAY` / `OTEL_BLRP_SCHEDULE_DELAY` are unset (default 1000 ms: a rollout is short, and the trainer waits for its spans). */
  exportIntervalMs?: number;
}

export interface TracelightHandle {
  /** The global tracer and logger providers (the Node SDK's, unless another SDK registered first). */
  readonly tracerProvider: TracerProvider;
  readonly loggerProvider: LoggerProvider;
  /** Library names of the instrumentations that are on (e.g. `['openai']`). */
  readonly instrumented: readonly string[];
  /** Patch the `openai` client class or module directly (see InitOptions.instrumentOpenAI); returns whether it was patched. */
  instrumentOpenAI(openai: unknown): boolean;
  /** Export everything buffered now. */
  forceFlush(): Promise<void>;
  /** Flush, stop exporting, undo the global registrations; a later init() starts afresh. */
  shutdown(): Promise<void>;
}

let current: TracelightHandle | null = null;
/** The server and key given to init(), which the REST clients (resources, runner) use when given none. */
let apiDefaults: { server?: string; apiKey?: string } = {};

/** The running SDK, if init() was called (and not shut down). */
export function currentHandle(): TracelightHandle | null {
  return current;
}

function exportHeaders(options: InitOptions): Record<string, string> | undefined {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  const key = options.apiKey ?? (process.env.TRACELIGHT_API_KEY?.trim() || undefined);
  if (key && !Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')) headers.Authorization = `Bearer ${key}`;
  return Object.keys(headers).length > 0 ? headers : undefined;
}

function globalTracerDelegate(): TracerProvider {
  const provider = trace.getTracerProvider();
  return provider instanceof ProxyTracerProvider ? provider.getDelegate() : provider;
}

/**
 * Starts OpenTelemetry for tracelight and returns a handle. Idempotent: a second call returns the running handle
 * (its options are ignored; call `shutdown()` first to start with others).
 */
export function init(options: InitOptions = {}): TracelightHandle {
  if (current) {
    const { instrumentOpenAI: openai, ...rest } = options;
    if (Object.keys(rest).length > 0) diag.warn('tracelight: init() already ran; its new options are ignored (call shutdown() first to change them)');
    if (openai !== undefined) current.instrumentOpenAI(openai);
    return current;
  }
  const target = { endpoint: options.endpoint, headers: exportHeaders(options), scheduledDelayMillis: options.exportIntervalMs ?? 1000 };
  // Ours to flush: the Node SDK has no forceFlush of its own.
  const spanProcessors: SpanProcessor[] = [...spanProcessorsFromEnv(target), ...(options.spanProcessors ?? [])];
  const logRecordProcessors: LogRecordProcessor[] = [...logRecordProcessorsFromEnv(target), ...(options.logRecordProcessors ?? [])];
  const disabled = getBooleanFromEnv('OTEL_SDK_DISABLED');
  const before = globalTracerDelegate();
  const sdk = new NodeSDK({
    resource: defaultResource().merge(resourceFromAttributes(options.resourceAttributes ?? {})),
    serviceName: options.serviceName,
    sampler: options.sampler,
    // First, so the copied attributes are on the span before any other processor sees it. An empty list means
    // OTEL_TRACES_EXPORTER=none: no tracer provider, as the Node SDK does it.
    spanProcessors: spanProcessors.length > 0 ? [new BaggageSpanProcessor(options.baggageKeys), ...spanProcessors] : [],
    logRecordProcessors,
    metricReaders: options.metricReaders ?? [],
  });
  sdk.start();
  // The Node SDK registers its globals unconditionally; one already taken stays with its owner.
  const ours = !disabled && spanProcessors.length > 0 && globalTracerDelegate() !== before;
  if (!disabled && spanProcessors.length > 0 && !ours)
    diag.warn('tracelight: another tracer provider is already registered; spans made through the global API go there');

  const providers = { tracerProvider: trace.getTracerProvider(), loggerProvider: logs.getLoggerProvider() };
  const captureContent = options.captureContent ?? envBool('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT') ?? true;
  const active: ActiveInstrumentation[] = options.autoInstrument === false || disabled ? [] : enableKnownInstrumentations(providers, captureContent);
  for (const inst of options.instrumentations ?? []) active.push(wireUp(inst, inst.instrumentationName, providers));

  let shuttingDown: Promise<void> | null = null;
  const handle: TracelightHandle = {
    ...providers,
    get instrumented() {
      return active.map((a) => a.library);
    },
    instrumentOpenAI(openai: unknown): boolean {
      if (!isOpenAIModule(openai)) throw new TypeError('instrumentOpenAI expects the `openai` package\'s OpenAI class or module (import OpenAI from "openai")');
      const ok = patchManually(active, 'openai', openai);
      if (!ok) diag.warn('tracelight: @opentelemetry/instrumentation-openai is not installed (or autoInstrument is off); OpenAI calls are not traced');
      return ok;
    },
    async forceFlush(): Promise<void> {
      await Promise.all([...spanProcessors, ...logRecordProcessors].map((p) => p.forceFlush()));
    },
    shutdown(): Promise<void> {
      shuttingDown ??= (async () => {
        disableAll(active);
        try {
          await sdk.shutdown();
        } finally {
          if (current === handle) {
            current = null;
            apiDefaults = {};
            // The Node SDK leaves its globals registered after shutdown; a later init() needs them free.
            if (ours) {
              trace.disable();
              logs.disable();
              propagation.disable();
              context.disable();
            }
          }
        }
      })();
      return shuttingDown;
    },
  };
  current = handle;
  apiDefaults = { server: options.endpoint, apiKey: options.apiKey };
  if (options.instrumentOpenAI !== undefined) handle.instrumentOpenAI(options.instrumentOpenAI);
  return handle;
}

/** Patch the `openai` client class or module with the running SDK's OpenAI instrumentation (after init()). */
export function instrumentOpenAI(openai: unknown): boolean {
  if (!current) throw new Error('tracelight: call init() before instrumentOpenAI()');
  return current.instrumentOpenAI(openai);
}

/** Flushes the running SDK's spans and logs, if init() was called. */
export async function flush(): Promise<void> {
  await current?.forceFlush();
}

/**
 * The REST API base URL and key the SDK's clients use when given none: init()'s `endpoint` / `apiKey`, else the
 * environment (config.ts: TRACELIGHT_URL, OTEL_EXPORTER_OTLP_ENDPOINT, TRACELIGHT_API_KEY, the bearer token in
 * OTEL_EXPORTER_OTLP_HEADERS), else http://localhost:4318 without a key.
 */
export function defaultApiTarget(): { server: string; apiKey: string } {
  return { server: resolveServerUrl(apiDefaults.server), apiKey: resolveApiKey(apiDefaults.apiKey) };
}
