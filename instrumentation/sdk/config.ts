// Where the SDK sends things, from options first, then the standard OpenTelemetry environment variables,
// then tracelight's own. The REST API is served on the OTLP/HTTP port, so one address serves both.

/** tracelight's OTLP/HTTP port on this machine: the standard default. */
export const DEFAULT_ENDPOINT = 'http://localhost:4318';

function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * `OTEL_EXPORTER_OTLP_HEADERS` as the spec writes it: `key1=value1,key2=value2`, values URL-encoded.
 * Malformed pairs are skipped.
 */
export function parseHeaderList(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      // keep the raw value
    }
    if (key) out[key] = value;
  }
  return out;
}

/**
 * The tracelight server's base URL for the REST API (`/api/v1/...`): the option, else `TRACELIGHT_URL`, else
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (tracelight serves the API on its OTLP/HTTP port), else http://localhost:4318.
 */
export function resolveServerUrl(server?: string): string {
  return trimSlash(server ?? env('TRACELIGHT_URL') ?? env('OTEL_EXPORTER_OTLP_ENDPOINT') ?? DEFAULT_ENDPOINT);
}

/**
 * The API key for `Authorization: Bearer <key>`: the option, else `TRACELIGHT_API_KEY`, else the bearer token in
 * `OTEL_EXPORTER_OTLP_HEADERS` (the key that lets the exporter in lets the API calls in too). '' when none.
 */
export function resolveApiKey(apiKey?: string): string {
  if (apiKey !== undefined) return apiKey;
  const fromEnv = env('TRACELIGHT_API_KEY');
  if (fromEnv) return fromEnv;
  const headers = parseHeaderList(env('OTEL_EXPORTER_OTLP_HEADERS'));
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === 'authorization') {
      const m = /^Bearer\s+(.+)$/i.exec(v);
      if (m?.[1]) return m[1].trim();
    }
  }
  return '';
}

/** Signal URL for an explicit base endpoint (`http://host:4318` → `http://host:4318/v1/traces`). */
export function signalUrl(endpoint: string, signal: 'traces' | 'logs'): string {
  return `${trimSlash(endpoint)}/v1/${signal}`;
}

/** A boolean environment variable (`true`/`false`, case-insensitive); undefined when unset or unparseable. */
export function envBool(name: string): boolean | undefined {
  const v = env(name)?.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return undefined;
}
