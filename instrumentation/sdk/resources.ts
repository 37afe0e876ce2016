// The resource client: versioned, labelled resources (prompt templates, model endpoints, ...) fetched from
// `GET /api/v1/resources/{name}?label=...|version=...`, kept in memory, and revalidated with the ETag
// (`If-None-Match` → 304 keeps the cached value). A pinned version never changes, so it is served from memory
// once fetched. When the server cannot be reached, the last value seen is served rather than failing the agent.
import { diag } from '@opentelemetry/api';
import { ApiClient, ApiError, isRetryable, type FetchLike } from './http.js';
import { defaultApiTarget } from './otel.js';
import { currentRollout, resourceVersionKey } from './rollout.js';

export interface Resource {
  name: string;
  version: number;
  kind: string;
  content: unknown;
  labels?: string[];
  [key: string]: unknown;
}

export interface GetResourceOptions {
  /** A label such as `production`. With neither label nor version: the server's default, `production` else the latest version. */
  label?: string;
  /** A pinned version. */
  version?: number;
  /** Serve a labelled resource from memory without asking the server while younger than this (default 0: always revalidate). */
  maxAgeMs?: number;
}

export interface ResourceClientOptions {
  /** tracelight's base URL (default: init()'s endpoint, TRACELIGHT_URL, OTEL_EXPORTER_OTLP_ENDPOINT, http://localhost:4318). */
  server?: string;
  apiKey?: string;
  fetch?: FetchLike;
  timeoutMs?: number;
}

export class ResourceNotFoundError extends Error {
  constructor(
    readonly resource: string,
    readonly selector: string,
  ) {
    super(`resource ${resource}${selector ? ` (${selector})` : ''} not found`);
    this.name = 'ResourceNotFoundError';
  }
}

interface Entry {
  value: Resource;
  etag: string | null;
  fetchedAt: number;
}

export interface ResourceClientStats {
  /** Requests sent. */
  requests: number;
  /** Of those, answered 304 Not Modified (cached value kept). */
  notModified: number;
  /** Served from memory without a request (pinned versions, maxAgeMs). */
  cacheHits: number;
  /** Served from memory because the server could not be reached. */
  stale: number;
}

export class ResourceClient {
  private readonly api: ApiClient;
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<Resource>>();
  readonly stats: ResourceClientStats = { requests: 0, notModified: 0, cacheHits: 0, stale: 0 };

  constructor(options: ResourceClientOptions = {}) {
    const target = defaultApiTarget();
    this.api = new ApiClient({
      server: options.server ?? target.server,
      apiKey: options.apiKey ?? target.apiKey,
      fetch: options.fetch,
      timeoutMs: options.timeoutMs ?? 10_000,
    });
  }

  /** Fetches a resource (revalidating a cached copy with its ETag). */
  async get(name: string, options: GetResourceOptions = {}): Promise<Resource> {
    if (typeof name !== 'string' || name === '') throw new TypeError('resources.get: name must be a non-empty string');
    if (options.label !== undefined && options.version !== undefined) throw new TypeError('resources.get: give a label or a version, not both');
    if (options.version !== undefined && (!Number.isInteger(options.version) || options.version < 1)) {
      throw new TypeError('resources.get: version must be a positive integer');
    }
    // Neither: the server's default (the `production` label, else the latest version).
    const selector =
      options.version !== undefined ? `version=${options.version}` : options.label !== undefined ? `label=${encodeURIComponent(options.label)}` : '';
    const key = `${name}?${selector}`;
    const value = await this.lookup(name, selector, key, options);
    const rollout = currentRollout();
    if (rollout?.span.isRecording()) rollout.span.setAttribute(resourceVersionKey(value.name || name), String(value.version));
    return value;
  }

  /** Forgets every cached resource. */
  clear(): void {
    this.cache.clear();
  }

  private lookup(name: string, selector: string, key: string, options: GetResourceOptions): Promise<Resource> {
    const entry = this.cache.get(key);
    if (entry) {
      const pinned = options.version !== undefined;
      if (pinned || (options.maxAgeMs !== undefined && Date.now() - entry.fetchedAt < options.maxAgeMs)) {
        this.stats.cacheHits++;
        return Promise.resolve(entry.value);
      }
    }
    // One request per key at a time: concurrent callers share it.
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const p = this.fetchOne(name, selector, key).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  private async fetchOne(name: string, selector: string, key: string): Promise<Resource> {
    const entry = this.cache.get(key);
    const headers: Record<string, string> = {};
    if (entry?.etag) headers['if-none-match'] = entry.etag;
    this.stats.requests++;
    let res;
    try {
      res = await this.api.request('GET', `/api/v1/resources/${encodeURIComponent(name)}${selector ? `?${selector}` : ''}`, { headers, accept: [304] });
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        this.cache.delete(key);
        throw new ResourceNotFoundError(name, selector);
      }
      if (entry && isRetryable(err)) {
        this.stats.stale++;
        diag.warn(`tracelight: serving cached resource ${key}: ${(err as Error).message}`);
        return entry.value;
      }
      throw err;
    }
    if (res.status === 304) {
      if (!entry) throw new Error(`GET resource ${key}: 304 Not Modified without a cached copy`);
      this.stats.notModified++;
      entry.fetchedAt = Date.now();
      return entry.value;
    }
    const value = parseResource(res.body, name);
    this.cache.set(key, { value, etag: res.headers.get('etag'), fetchedAt: Date.now() });
    return value;
  }
}

function parseResource(body: unknown, name: string): Resource {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error(`resource ${name}: the server's answer is not a JSON object`);
  const r = body as Record<string, unknown>;
  if (typeof r.kind !== 'string' || !('content' in r) || r.version === undefined)
    throw new Error(`resource ${name}: the answer lacks kind, version or content`);
  return { ...r, name: typeof r.name === 'string' ? r.name : name, version: Number(r.version), kind: r.kind, content: r.content } as Resource;
}

let defaultClient: ResourceClient | null = null;
let defaultClientTarget = '';

/** The shared client for `resources.get`, (re)made when init()'s target changes. */
function shared(): ResourceClient {
  const target = defaultApiTarget();
  const id = `${target.server}\u0000${target.apiKey}`;
  if (!defaultClient || id !== defaultClientTarget) {
    defaultClient = new ResourceClient(target);
    defaultClientTarget = id;
  }
  return defaultClient;
}

/** `resources.get(name, { label } | { version })` with the shared client (its target: see ResourceClientOptions.server). */
export const resources = {
  get(name: string, options?: GetResourceOptions): Promise<Resource> {
    return shared().get(name, options);
  },
  clear(): void {
    defaultClient?.clear();
  },
  get stats(): ResourceClientStats {
    return shared().stats;
  },
};

/** A resource client with its own server, key, fetch and cache. */
export function createResourceClient(options: ResourceClientOptions = {}): ResourceClient {
  return new ResourceClient(options);
}
