// The call to the upstream: which headers cross the proxy (hop-by-hop ones and tracelight's own stop here; the trace
// context is the proxy span's), one deadline that a stream re-arms with every chunk (a long generation is fine, a
// silent upstream is not), and answers read into memory only up to a cap.
import { ProxyError, causeOf } from './errors.js';

/** Never forwarded: connection-level headers, the body framing fetch sets itself, and tracelight's attribution. */
const DROP_REQUEST = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'content-length',
  // fetch asks for compression itself and decodes the answer.
  'accept-encoding',
  // replaced by the proxy span's context
  'traceparent',
  'tracestate',
  'baggage',
]);

/** Not passed back: framing that no longer holds once fetch has decoded the body. */
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding', 'trailer', 'upgrade']);

export function upstreamHeaders(incoming: Record<string, string | string[] | undefined>, apiKey: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(incoming)) {
    const k = key.toLowerCase();
    if (value === undefined || DROP_REQUEST.has(k) || k.startsWith('x-tracelight-')) continue;
    out[k] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (apiKey) out.authorization = `Bearer ${apiKey}`;
  out['content-type'] = 'application/json';
  return out;
}

export function responseHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  h.forEach((value, key) => {
    if (!DROP_RESPONSE.has(key.toLowerCase())) out[key] = value;
  });
  return out;
}

/** `http://host:8000/v1` + `/chat/completions`, keeping a path prefix and any query string on the base. */
export function joinUrl(base: string, path: string): string {
  const u = new URL(base);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}${path}`;
  return u.toString();
}

/** An abort deadline that can be pushed back (each stream chunk) and told apart from other aborts. */
export class Deadline {
  readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  expired = false;

  constructor(private readonly ms: number) {
    this.arm();
  }

  arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort(new Error(`no answer within ${this.ms} ms`));
    }, this.ms);
    this.timer.unref();
  }

  abort(reason: string): void {
    clearTimeout(this.timer);
    if (!this.controller.signal.aborted) this.controller.abort(new Error(reason));
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

export async function send(url: string, init: { headers: Record<string, string>; body: Uint8Array | string }, deadline: Deadline): Promise<Response> {
  try {
    return await fetch(url, { method: 'POST', headers: init.headers, body: init.body, signal: deadline.controller.signal });
  } catch (err) {
    throw fetchFailure(url, err, deadline);
  }
}

export async function get(url: string, headers: Record<string, string>, deadline: Deadline): Promise<Response> {
  try {
    return await fetch(url, { method: 'GET', headers, signal: deadline.controller.signal });
  } catch (err) {
    throw fetchFailure(url, err, deadline);
  }
}

export function fetchFailure(url: string, err: unknown, deadline: Deadline): ProxyError {
  if (err instanceof ProxyError) return err;
  const origin = safeOrigin(url);
  // Node's fetch (undici) has its own 300 s limits on waiting for headers and between body bytes.
  const code = causeOf(err);
  if (deadline.expired || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new ProxyError(504, `upstream ${origin} did not answer within the timeout`, 'upstream_timeout');
  }
  if (deadline.controller.signal.aborted)
    return new ProxyError(499, `the call to ${origin} was abandoned: ${causeOf(deadline.controller.signal.reason)}`, 'client_closed');
  return new ProxyError(502, `upstream ${origin} is unreachable (${code})`, 'upstream_unreachable');
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** Reads a whole answer, refusing one larger than maxBytes (the upstream is trusted with the agent's data, not with our memory). */
export async function readBounded(res: Response, maxBytes: number, url: string, deadline: Deadline): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += chunk.byteLength;
      if (size > maxBytes) {
        deadline.abort('answer too large');
        throw new ProxyError(502, `upstream ${safeOrigin(url)} answered with more than ${maxBytes} bytes`, 'upstream_too_large');
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    throw fetchFailure(url, err, deadline);
  }
  return Buffer.concat(chunks);
}
