// The proxy's options and their defaults, in one place: the CLI reads DEFAULT_PROXY_OPTIONS rather than restating
// them (docs/architecture.md, "Defaults have one home").
import type { SpanProcessor } from '@opentelemetry/sdk-trace';

/** Where one call goes: what a route resolves a requested model to. */
export interface RouteTarget {
  /** OpenAI-compatible base URL, ending where `/chat/completions` is appended (e.g. `http://127.0.0.1:8000/v1`). */
  upstream: string;
  /** The model name sent upstream (replaces the one the agent asked for). */
  model: string;
  /** Sent upstream as `Authorization: Bearer <key>`, replacing the agent's own header. */
  apiKey?: string;
  /** The versioned resource this target came from: recorded as `tracelight.resource.<name>.version` on the span. */
  resource?: { name: string; version: number };
  /** `gen_ai.provider.name` for calls to this target. */
  provider?: string;
  /** Request fields applied where the agent's request leaves them unset (an `llm` resource's sampling and extra_body). */
  params?: Record<string, unknown>;
}

/** Resolves the model an agent asked for; null sends the call to `upstream` with the model unchanged. */
export type RouteFn = (requestedModel: string) => Promise<RouteTarget | null>;

export interface LlmProxyOptions {
  /** Default OpenAI-compatible base URL (e.g. `http://127.0.0.1:8000/v1`), for calls the route does not resolve. */
  upstream?: string;
  route?: RouteFn;
  /** 0 picks a free port. Default 4319. */
  port?: number;
  /** Default 127.0.0.1: the proxy forwards credentials, so it listens beyond this machine only when told to. */
  host?: string;
  /** Ask the upstream for token ids and logprobs on non-streamed calls (vLLM's `return_token_ids`). Default true. */
  captureTokenIds?: boolean;
  /**
   * Ask for token ids on streamed calls too (only when captureTokenIds). The stream is passed through as the upstream
   * sends it, so its chunks then carry `prompt_token_ids` / `token_ids` the agent did not ask for. Default true.
   */
  streamTokenIds?: boolean;
  /** Base OTLP/HTTP endpoint (`/v1/traces` is appended). Default: OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318. */
  otlpEndpoint?: string;
  /** Extra export headers, over OTEL_EXPORTER_OTLP_HEADERS. */
  headers?: Record<string, string>;
  /** tracelight's ingest key, sent on export as `Authorization: Bearer <key>`. Default: TRACELIGHT_API_KEY. */
  apiKey?: string;
  /** `service.name` of the proxy's spans. Default: OTEL_SERVICE_NAME, else `tracelight-llm-proxy`. */
  serviceName?: string;
  /** `gen_ai.provider.name` when the route names none. Default `openai` (the wire protocol spoken). */
  provider?: string;
  /** Largest request body an agent may send. Default 32 MiB. */
  bodyLimitBytes?: number;
  /** Largest non-streamed upstream answer read into memory; also caps what a stream's side parser keeps. Default 64 MiB. */
  maxResponseBytes?: number;
  /**
   * Longest wait for the whole of a non-streamed answer, and between two chunks of a stream. Default 5 minutes, which is
   * also as long as Node's fetch waits for an answer's headers or its next bytes, so a longer value does not extend that.
   */
  upstreamTimeoutMs?: number;
  /** Batch export delay. Default 1000 ms. */
  exportIntervalMs?: number;
  /** More span processors (an in-memory exporter in tests), after the exporting one. */
  spanProcessors?: SpanProcessor[];
  /** false: no OTLP exporter (spans go only to spanProcessors). */
  export?: boolean;
}

export const DEFAULT_PROXY_OPTIONS = {
  port: 4319,
  host: '127.0.0.1',
  captureTokenIds: true,
  streamTokenIds: true,
  serviceName: 'tracelight-llm-proxy',
  provider: 'openai',
  bodyLimitBytes: 32 * 1024 * 1024,
  maxResponseBytes: 64 * 1024 * 1024,
  upstreamTimeoutMs: 5 * 60 * 1000,
  exportIntervalMs: 1000,
} as const;
