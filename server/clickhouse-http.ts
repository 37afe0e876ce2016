// A read-only ClickHouse HTTP interface over the store, on a port of its own (`serve --clickhouse-http-port`):
// the embedded store is one process's data directory, so nothing outside the process could read it, and
// Grafana's ClickHouse data source (clickhouse-go over HTTP, Native format), @clickhouse/client and Python's
// clickhouse-connect speak this protocol. Every statement goes through the same sandbox and limits as the query
// API (store/read-only-sql.ts), with the format a client asks for rendered by the engine; refusals come back the
// way a ClickHouse server words them, so a client shows one clear line.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, type Registry } from 'prom-client';
import type { ApiKeys } from '../api/auth.js';
import { StoreError, type Store } from '../store/index.js';
import { prepareReadOnlySql, ReadOnlySqlError, runReadOnlyFormatted, type SandboxRule } from '../store/read-only-sql.js';
import {
  bindableParams,
  chooseResponseCodec,
  ClickHouseHttpError,
  compress,
  contentTypeFor,
  decompressBody,
  formatErrorMessage,
  headerValue,
  isTruthy,
  parseQueryRequest,
  readBody,
  readCredentials,
  sendText,
  statementText,
  statusForError,
  toClickHouseHttpError,
} from './clickhouse-http-protocol.js';
import { NativeLayoutError, nativeForRevision } from './clickhouse-native.js';

export interface ClickHouseHttpLimits {
  /** Queries run at once; one more is answered 503 (TOO_MANY_SIMULTANEOUS_QUERIES). */
  maxConcurrentQueries: number;
  /** Largest request body (it holds the SQL only), after decompression. */
  maxBodyBytes: number;
  /** Longest statement, in bytes (ClickHouse's own max_query_size default). */
  maxQueryBytes: number;
}

export const DEFAULT_CLICKHOUSE_HTTP_LIMITS: ClickHouseHttpLimits = Object.freeze({
  maxConcurrentQueries: 4,
  maxBodyBytes: 1024 * 1024,
  maxQueryBytes: 262_144,
});

export interface ClickHouseHttpOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  store: Store;
  /** With keys, a key with the `read` scope is the password; without, the endpoint is open like the rest of the server. */
  keys: ApiKeys;
  limits?: Partial<ClickHouseHttpLimits>;
  /** Where the served / refused counts go (the server's /metrics). */
  registry?: Registry;
}

export interface ClickHouseHttpEndpoint {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** How each sandbox rule reads as a ClickHouse error: a write or a limit-lifting setting is READONLY, reaching out ACCESS_DENIED. */
const RULE_ERRORS: Readonly<Record<SandboxRule, [number, string]>> = {
  syntax: [62, 'SYNTAX_ERROR'],
  statement: [164, 'READONLY'],
  clause: [164, 'READONLY'],
  setting: [164, 'READONLY'],
  function: [497, 'ACCESS_DENIED'],
  table: [497, 'ACCESS_DENIED'],
};

type Outcome = 'served' | 'refused' | 'unauthorized' | 'failed' | 'busy';

export async function startClickHouseHttpEndpoint(opts: ClickHouseHttpOptions): Promise<ClickHouseHttpEndpoint> {
  const limits = { ...DEFAULT_CLICKHOUSE_HTTP_LIMITS, ...opts.limits };
  const { store, keys } = opts;
  if (store.driver.kind !== 'embedded')
    throw new Error('the ClickHouse HTTP endpoint serves the embedded store; with a ClickHouse server, point clients at that server (with a read-only user)');
  const [engine] = await store.driver.query<{ version: string; timezone: string; database: string; compression: string }>(
    "SELECT version() AS version, timezone() AS timezone, currentDatabase() AS database, (SELECT value FROM system.settings WHERE name = 'enable_http_compression') AS compression",
  );
  const version = engine?.version ?? 'unknown';
  const timezone = engine?.timezone ?? 'UTC';
  const database = engine?.database ?? 'default';
  const compressByDefault = isTruthy(engine?.compression);
  const outputFormats = new Set((await store.driver.query<{ name: string }>('SELECT name FROM system.formats WHERE is_output')).map((f) => f.name));
  // Results are bounded by the engine in its own bytes; rendered (JSON, CSV) they grow, so the response gets room.
  const maxResponseBytes = 2 * store.sqlLimits.maxResultBytes;
  const queries = new Counter({
    name: 'tracelight_clickhouse_http_queries_total',
    help: 'Requests to the read-only ClickHouse HTTP endpoint, by outcome (served, refused by the sandbox, unauthorized, failed in the engine, busy).',
    labelNames: ['outcome'],
    registers: opts.registry ? [opts.registry] : [],
  });

  let running = 0;
  const inflight = new Set<Promise<void>>();
  const server = http.createServer((req, res) => {
    const done = handle(req, res).catch(() => {
      // Only a broken socket gets here; the handler answers everything else.
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
    inflight.add(done);
    void done.finally(() => inflight.delete(done));
  });
  server.keepAliveTimeout = 10_000;
  server.maxConnections = 256;
  server.headersTimeout = 30_000;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const search = url.searchParams;
    const queryId = search.get('query_id') || headerValue(req, 'x-clickhouse-query-id') || randomUUID();
    const baseHeaders: Record<string, string> = { 'X-ClickHouse-Server-Display-Name': 'tracelight', 'X-ClickHouse-Query-Id': queryId };
    let outcome: Outcome = 'failed';
    let counted = false;
    try {
      // Read first, so an early refusal never leaves unread bytes on a keep-alive socket.
      const rawBody = await readBody(req, limits.maxBodyBytes);
      if (url.pathname === '/ping' && (method === 'GET' || method === 'HEAD')) return sendText(res, method, 200, 'Ok.\n', {});
      if (url.pathname !== '/') return sendText(res, method, 404, `There is no handle ${url.pathname}\n\nUse / or /ping for health checks.\n`, {});
      if ((method === 'GET' || method === 'HEAD') && !search.has('query')) return sendText(res, method, 200, 'Ok.\n', {});
      if (method !== 'GET' && method !== 'HEAD' && method !== 'POST')
        throw new ClickHouseHttpError(48, 'NOT_IMPLEMENTED', `HTTP method ${method} is not supported`);
      counted = true;

      outcome = 'unauthorized';
      authorize(req, search);
      outcome = 'failed';
      for (const param of ['compress', 'decompress'] as const) {
        if (isTruthy(search.get(param)))
          throw new ClickHouseHttpError(
            48,
            'NOT_IMPLEMENTED',
            `ClickHouse block compression ('${param}=1', a client's LZ4/ZSTD compression) is not supported here; choose gzip or no compression`,
          );
      }
      const asked = headerValue(req, 'x-clickhouse-database') ?? search.get('database') ?? '';
      if (asked !== '' && asked !== database)
        throw new ClickHouseHttpError(
          81,
          'UNKNOWN_DATABASE',
          `Database ${asked} is not served here: this endpoint reads the tracelight store's database ${database}`,
        );
      if (running >= limits.maxConcurrentQueries) {
        outcome = 'busy';
        throw new ClickHouseHttpError(202, 'TOO_MANY_SIMULTANEOUS_QUERIES', `Too many simultaneous queries. Maximum: ${limits.maxConcurrentQueries}`);
      }
      running++;
      try {
        await answer(req, res, method, search, rawBody, baseHeaders);
        outcome = 'served';
      } finally {
        running--;
      }
    } catch (err) {
      const error = describe(err);
      if (err instanceof ReadOnlySqlError && error.code !== 62) outcome = 'refused';
      const headers: Record<string, string> = { ...baseHeaders, 'X-ClickHouse-Exception-Code': String(error.code) };
      if (error.code === 194) headers['WWW-Authenticate'] = 'Basic realm="tracelight ClickHouse HTTP endpoint"';
      if (error.code === 202) headers['Retry-After'] = '1';
      // A server answers READONLY with 500; here it is the sandbox refusing what the client asked, so 403.
      const status = error.errorName === 'READONLY' ? 403 : statusForError(error.errorName);
      sendText(res, method, status, `${formatErrorMessage(error, version)}\n`, headers);
    } finally {
      if (counted) queries.inc({ outcome });
    }
  }

  function authorize(req: http.IncomingMessage, search: URLSearchParams): void {
    if (!keys.enabled) return;
    const { user, password, given } = readCredentials(req, search, { bearer: true });
    if (!given || password === '')
      throw new ClickHouseHttpError(
        194,
        'REQUIRED_PASSWORD',
        `${user}: Authentication failed: password is required (a tracelight API key with the read scope)`,
      );
    const scopes = keys.scopesOf(`Bearer ${password}`);
    if (scopes.size === 0)
      throw new ClickHouseHttpError(516, 'AUTHENTICATION_FAILED', `${user}: Authentication failed: the password is not a tracelight API key`);
    if (!scopes.has('read') && !scopes.has('admin'))
      throw new ClickHouseHttpError(497, 'ACCESS_DENIED', `${user}: Not enough privileges: the API key lacks the "read" scope`);
  }

  async function answer(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    method: string,
    search: URLSearchParams,
    rawBody: Buffer,
    baseHeaders: Record<string, string>,
  ): Promise<void> {
    const body = await decompressBody(rawBody, headerValue(req, 'content-encoding'), limits.maxBodyBytes);
    const request = parseQueryRequest(search, req, body);
    const sql = statementText(request);
    if (Buffer.byteLength(sql, 'utf8') > limits.maxQueryBytes)
      throw new ClickHouseHttpError(62, 'SYNTAX_ERROR', `Max query size exceeded: the query is longer than ${limits.maxQueryBytes} bytes`);
    const params = bindableParams(request.params);
    const started = process.hrtime.bigint();
    const prepared = await prepareReadOnlySql(store.driver, sql, params, store.sqlLimits, { allowFormat: true, settings: request.settings });
    const format = prepared.format ?? (request.defaultFormat || 'TabSeparated');
    if (!outputFormats.has(format)) throw new ClickHouseHttpError(73, 'UNKNOWN_FORMAT', `Unknown output format ${format}`);
    // A client that hangs up stops its query in the engine instead of leaving it to run out its time.
    const gone = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) gone.abort();
    };
    res.once('close', onClose);
    let result;
    try {
      result = await runReadOnlyFormatted(store.driver, prepared, params, format, { maxBytes: maxResponseBytes, signal: gone.signal });
    } finally {
      res.off('close', onClose);
    }
    let payload: Buffer = result.data;
    const revision = Number(search.get('client_protocol_version') ?? 0);
    if (format === 'Native' && Number.isInteger(revision) && revision > 0) {
      try {
        payload = nativeForRevision(payload, revision);
      } catch (err) {
        if (err instanceof NativeLayoutError) throw new ClickHouseHttpError(48, 'NOT_IMPLEMENTED', err.message);
        throw err;
      }
    }
    const headers: Record<string, string> = {
      ...baseHeaders,
      'Content-Type': contentTypeFor(format),
      'X-ClickHouse-Format': format,
      'X-ClickHouse-Timezone': timezone,
      'X-ClickHouse-Summary': JSON.stringify({
        read_rows: String(result.rows),
        read_bytes: '0',
        written_rows: '0',
        written_bytes: '0',
        total_rows_to_read: '0',
        result_rows: String(result.rows),
        result_bytes: String(payload.byteLength),
        elapsed_ns: (process.hrtime.bigint() - started).toString(),
      }),
    };
    const compressionOn = search.has('enable_http_compression') ? isTruthy(search.get('enable_http_compression')) : compressByDefault;
    const codec = compressionOn ? chooseResponseCodec(headerValue(req, 'accept-encoding')) : undefined;
    if (codec !== undefined) {
      const level = Number(search.get('http_zlib_compression_level') ?? 3);
      payload = await compress(codec, payload, Number.isInteger(level) && level >= 1 && level <= 9 ? level : 3);
      headers['Content-Encoding'] = codec;
    }
    headers['Content-Length'] = String(payload.byteLength);
    res.writeHead(200, headers);
    res.end(method === 'HEAD' ? undefined : payload);
  }

  /** A refusal or failure as the ClickHouse error a client expects. */
  function describe(err: unknown): ClickHouseHttpError {
    if (err instanceof ReadOnlySqlError) {
      // The engine's own error (a parameter missing, a bad value) is passed on in its words.
      const engine = /Code: (\d+)\..*\(([A-Z][A-Z0-9_]+)\)/.exec(err.message);
      if (err.rule === 'syntax' && engine) return new ClickHouseHttpError(Number(engine[1]), engine[2] as string, err.message.slice(engine.index));
      const [code, name] = RULE_ERRORS[err.rule];
      return new ClickHouseHttpError(code, name, `read-only endpoint: ${err.message}`);
    }
    if (err instanceof StoreError && err.code !== undefined && !/^Code: \d+\./.test(err.message)) {
      const name = /\(([A-Z][A-Z0-9_]{2,})\)\s*$/.exec(err.message)?.[1] ?? 'UNKNOWN_EXCEPTION';
      return new ClickHouseHttpError(err.code, name, err.message);
    }
    return toClickHouseHttpError(err);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl}:${port}`,
    port,
    close: () =>
      (closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await Promise.allSettled([...inflight]);
        server.closeAllConnections();
        await stopped;
      })()),
  };
}
