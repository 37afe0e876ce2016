// init(): OpenTelemetry for an agent, pointed at tracelight. Traces and logs (GenAI instrumentations put
// prompt and completion content in log events) over OTLP/HTTP protobuf; AsyncLocalStorage context; W3C trace
// context + baggage propagation; the baggage span processor that puts rollout ids on every span; and the
// GenAI instrumentations that are installed, with content capture on (training needs the content).
import { context, diag, logs, propagation, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  defaultResource,
  detectResources,
  resourceAttributesEnvDetector,
  resourceFromAttributes,
  serviceNameEnvDetector,
  type Resource,
} from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { BaggageSpanProcessor, type BaggageKeyPredicate } from './baggage-processor.js';
import { envBool, resolveApiKey, resolveServerUrl, signalUrl } from './config.js';
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
   * Base OTLP/HTTP endpoint, e.g. `http://tracelight:4318` (`/v1/traces` and `/v1/logs` are appended). Default:
   * `OTEL_EXPORTER_OTLP_ENDPOINT` (and the per-signal `OTEL_EXPORTER_OTLP_{TRACES,LOGS}_ENDPOINT`), else
   * http://localhost:4318.
   */
  endpoint?: string;
  /** Extra export headers; merged over `OTEL_EXPORTER_OTLP_HEADERS`. */
  headers?: Record<string, string>;
  /** Sent as `Authorization: Bearer <key>`. Default: `TRACELIGHT_API_KEY`, else none (OTEL_EXPORTER_OTLP_HEADERS still applies). */
  apiKey?: string;
  /** `service.name`. Default: `OTEL_SERVICE_NAME`, else `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, else `unknown_service:node`. */
  serviceName?: string;
  /** More resource attributes (over `OTEL_RESOURCE_ATTRIBUTES`). */
  resourceAttributes?: Attributes;
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
  /** Batch export delay (default 1000 ms: an agent's rollout is short, and the trainer waits for its spans). */
  exportIntervalMs?: number;
}

export interface TracelightHandle {
  readonly tracerProvider: TracerProvider;
  readonly loggerProvider: LoggerProvider;
  readonly resource: Resource;
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

function buildResource(options: InitOptions): Resource {
  const fromCode: Attributes = { ...(options.resourceAttributes ?? {}) };
  if (options.serviceName) fromCode['service.name'] = options.serviceName;
  return defaultResource()
    .merge(detectResources({ detectors: [resourceAttributesEnvDetector, serviceNameEnvDetector] }))
    .merge(resourceFromAttributes(fromCode));
}

function exportHeaders(options: InitOptions): Record<string, string> | undefined {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  const key = options.apiKey ?? (process.env.TRACELIGHT_API_KEY?.trim() || undefined);
  if (key && !Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')) headers.Authorization = `Bearer ${key}`;
  return Object.keys(headers).length > 0 ? headers : undefined;
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
  const resource = buildResource(options);
  const headers = exportHeaders(options);
  const delay = options.exportIntervalMs ?? 1000;
  const traceExporter = new OTLPTraceExporter({ url: options.endpoint ? signalUrl(options.endpoint, 'traces') : undefined, headers });
  const logExporter = new OTLPLogExporter({ url: options.endpoint ? signalUrl(options.endpoint, 'logs') : undefined, headers });

  const tracerProvider = new TracerProvider({
    resource,
    spanProcessors: [
      // First, so the copied attributes are on the span before any other processor sees it.
      new BaggageSpanProcessor(options.baggageKeys),
      new BatchSpanProcessor({ exporter: traceExporter, scheduledDelayMillis: delay }),
      ...(options.spanProcessors ?? []),
    ],
  });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [new BatchLogRecordProcessor({ exporter: logExporter, scheduledDelayMillis: delay }), ...(options.logRecordProcessors ?? [])],
  });

  // Each global is taken only if free, and given back at shutdown only if it was ours.
  const contextManager = new AsyncLocalStorageContextManager().enable();
  const owns = {
    context: context.setGlobalContextManager(contextManager),
    propagation: propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] })),
    trace: trace.setGlobalTracerProvider(tracerProvider),
    logs: logs.setGlobalLoggerProvider(loggerProvider),
  };
  if (!owns.context) {
    contextManager.disable();
    diag.warn('tracelight: another context manager is already registered; keeping it');
  }
  if (!owns.propagation) diag.warn('tracelight: another propagator is already registered; keeping it');
  if (!owns.trace) diag.warn('tracelight: another tracer provider is already registered; spans made through the global API go there');
  if (!owns.logs) diag.warn('tracelight: another logger provider is already registered');

  const providers = { tracerProvider, loggerProvider };
  const captureContent = options.captureContent ?? envBool('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT') ?? true;
  const active: ActiveInstrumentation[] = options.autoInstrument === false ? [] : enableKnownInstrumentations(providers, captureContent);
  for (const inst of options.instrumentations ?? []) active.push(wireUp(inst, inst.instrumentationName, providers));

  let shuttingDown: Promise<void> | null = null;
  const handle: TracelightHandle = {
    tracerProvider,
    loggerProvider,
    resource,
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
      await Promise.all([tracerProvider.forceFlush(), loggerProvider.forceFlush()]);
    },
    shutdown(): Promise<void> {
      shuttingDown ??= (async () => {
        disableAll(active);
        try {
          await Promise.all([tracerProvider.shutdown(), loggerProvider.shutdown()]);
        } finally {
          if (current === handle) {
            current = null;
            apiDefaults = {};
            if (owns.trace) trace.disable();
            if (owns.logs) logs.disable();
            if (owns.propagation) propagation.disable();
            if (owns.context) context.disable();
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
