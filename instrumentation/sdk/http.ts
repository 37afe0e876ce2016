// A small JSON client for tracelight's REST API (`/api/v1/...`): bearer auth, timeouts, clear errors, and a
// classification of failures into "try again later" and "this will not work".
import { setTimeout as sleep } from 'node:timers/promises';

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface ApiClientOptions {
  /** Base URL, e.g. http://localhost:4318. */
  server: string;
  /** Sent as `Authorization: Bearer <key>` when non-empty. */
  apiKey?: string;
  /** Default per-request timeout (ms). */
  timeoutMs?: number;
  /** The fetch to use (default: the global one). */
  fetch?: FetchLike;
}

/** The server answered with an error status. */
export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    const detail = body && typeof body === 'object' && 'error' in body ? String((body as { error: unknown }).error) : typeof body === 'string' ? body : '';
    super(`${method} ${path}: HTTP ${status}${detail ? ` — ${detail}` : ''}`);
    this.name = 'ApiError';
  }
}

/** Network failures, timeouts, 408/425/429 and 5xx are worth retrying; other HTTP errors are not. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof ApiError) return err.status === 408 || err.status === 425 || err.status === 429 || err.status >= 500;
  if (err instanceof Error && err.name === 'AbortError') return false; // stopped on purpose
  return true;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body; null for empty bodies (204, 304). */
  body: unknown;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Statuses returned as responses instead of thrown (2xx always are). */
  accept?: readonly number[];
}

export class ApiClient {
  readonly server: string;
  private readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: FetchLike;

  constructor(options: ApiClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
    this.apiKey = options.apiKey ?? '';
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { accept: 'application/json', ...(options.headers ?? {}) };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.server}${path}`, { method, headers, body, signal });
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : abortError();
      if (timeout.aborted) throw new Error(`${method} ${path}: no answer from ${this.server} within ${options.timeoutMs ?? this.timeoutMs} ms`);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`${method} ${path}: cannot reach ${this.server} (${cause?.code ?? cause?.message ?? (err as Error).message})`, { cause: err });
    }
    const text = await res.text();
    let parsed: unknown = null;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if ((res.status < 200 || res.status > 299) && !(options.accept ?? []).includes(res.status)) throw new ApiError(method, path, res.status, parsed);
    return { status: res.status, headers: res.headers, body: parsed };
  }
}

export function abortError(message = 'stopped'): Error {
  const e = new Error(message);
  e.name = 'AbortError';
  return e;
}

/** Exponential back-off with jitter: attempt 0 → ~initial, doubling up to max. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.5 + Math.random() * 0.5));
}

/** Sleeps, ending early (without throwing) when the signal aborts. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    // aborted
  }
}
