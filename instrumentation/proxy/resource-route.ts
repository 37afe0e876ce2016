// A route that follows a label. A training job publishes a new `llm` (endpoint + model) or `model` (a checkpoint or
// adapter served under a name) version and moves `production` to it; the proxy picks that up within `pollMs`, with
// no agent restarted and no agent aware of it. The SDK's resource client does the caching: within pollMs a call is
// served from memory, after it one conditional GET (If-None-Match → 304) revalidates, and when tracelight cannot
// be reached the last version seen keeps serving.
import { DEFAULT_LABEL, LlmContent, ModelContent } from '../../schemas/resources.js';
import type { FetchLike } from '../sdk/http.js';
import { createResourceClient, type Resource } from '../sdk/resources.js';
import type { RouteFn, RouteTarget } from './options.js';

export interface ResourceRouteOptions {
  /** tracelight's base URL. Default: TRACELIGHT_URL, OTEL_EXPORTER_OTLP_ENDPOINT, http://localhost:4318. */
  server?: string;
  /** A key with the `worker` (or `read`) scope. Default: TRACELIGHT_API_KEY. */
  apiKey?: string;
  /** The resource's name; its kind must be `llm` or `model`. */
  resource: string;
  /** Default `production`. */
  label?: string;
  /** How long a fetched version is used before asking again. Default 3000 ms. */
  pollMs?: number;
  /** Where a `model` resource is served (it names a checkpoint, not an endpoint). */
  upstream?: string;
  /** Route only these requested models (others go to the proxy's default upstream). Default: every model. */
  models?: readonly string[];
  fetch?: FetchLike;
}

export const DEFAULT_POLL_MS = 3000;

function describe(issues: { path: PropertyKey[]; message: string }[]): string {
  const first = issues[0];
  return first ? `${first.path.map(String).join('.') || 'content'}: ${first.message}` : 'invalid content';
}

/** One resource version → where its calls go. */
export function targetOf(r: Resource, upstream: string | undefined): RouteTarget {
  const resource = { name: r.name, version: r.version };
  if (r.kind === 'llm') {
    const parsed = LlmContent.safeParse(r.content);
    if (!parsed.success) throw new Error(`resource ${r.name} v${r.version}: ${describe(parsed.error.issues)}`);
    const c = parsed.data;
    const apiKey = c.api_key_env ? process.env[c.api_key_env]?.trim() || undefined : undefined;
    // The resource's sampling and extra fields are defaults: what the agent sets itself wins.
    const params: Record<string, unknown> = { ...(c.extra_body ?? {}), ...(c.sampling ?? {}) };
    return { upstream: c.endpoint, model: c.model, apiKey, resource, provider: c.provider, params };
  }
  if (r.kind === 'model') {
    const parsed = ModelContent.safeParse(r.content);
    if (!parsed.success) throw new Error(`resource ${r.name} v${r.version}: ${describe(parsed.error.issues)}`);
    if (!upstream) throw new Error(`resource ${r.name} is a model (a checkpoint, not an endpoint): give the route an upstream that serves it`);
    return { upstream, model: parsed.data.served_model ?? parsed.data.uri, resource };
  }
  throw new Error(`resource ${r.name} is a ${r.kind}; the proxy routes to llm or model resources`);
}

export function resourceRoute(options: ResourceRouteOptions): RouteFn {
  const client = createResourceClient({ server: options.server, apiKey: options.apiKey, fetch: options.fetch, timeoutMs: 10_000 });
  const label = options.label ?? DEFAULT_LABEL;
  const maxAgeMs = options.pollMs ?? DEFAULT_POLL_MS;
  const models = options.models ? new Set(options.models) : null;
  return async (requestedModel) => {
    if (models && !models.has(requestedModel)) return null;
    return targetOf(await client.get(options.resource, { label, maxAgeMs }), options.upstream);
  };
}
