// The REST client: every call goes to this origin's /api/v1 with the user's key, and every failure becomes an
// ApiError carrying the server's one-line message, so a view shows what the server said rather than a status.

const KEY_NAME = 'tracelight.key';

/** The key for this tab: sessionStorage first (this tab only), then localStorage ("remember on this browser"). */
export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_NAME) ?? localStorage.getItem(KEY_NAME);
  } catch {
    return null;
  }
}

export function storeKey(key: string, remember: boolean): void {
  sessionStorage.setItem(KEY_NAME, key);
  if (remember) localStorage.setItem(KEY_NAME, key);
  else localStorage.removeItem(KEY_NAME);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY_NAME);
  localStorage.removeItem(KEY_NAME);
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The message of an error body. server/errors.ts answers `{ "error": "one line" }`; an `{ error: { message } }`
 * shape is read too, so a proxy or a future change in front of the API still shows its words.
 */
function messageOf(body: unknown, status: number, statusText: string): string {
  if (body && typeof body === 'object' && 'error' in body) {
    const e = (body as { error: unknown }).error;
    if (typeof e === 'string') return e;
    if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
  }
  return `HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export function withQuery(path: string, q: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

export async function api<T>(path: string, opts: { method?: string; body?: unknown; signal?: AbortSignal; key?: string | null } = {}): Promise<T> {
  const key = opts.key === undefined ? storedKey() : opts.key;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method: opts.method ?? 'GET',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
      cache: 'no-store',
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, `the server did not answer (${(err as Error).message})`);
  }
  const text = await res.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!res.ok) {
    if (res.status === 401) window.dispatchEvent(new CustomEvent('tracelight:unauthorized'));
    throw new ApiError(res.status, messageOf(body, res.status, res.statusText));
  }
  return body as T;
}

export function enc(s: string): string {
  return encodeURIComponent(s);
}
