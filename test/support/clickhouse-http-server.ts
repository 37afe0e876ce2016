/**
 * A minimal ClickHouse HTTP interface served by embedded chDB, so tests can run the official
 * `@clickhouse/client` (and anything else speaking ClickHouse over HTTP) without a real server.
 *
 * It follows the server's own request handling (src/Server/HTTPHandler.cpp) where it matters to
 * clients: the query is the `query` URL parameter plus a newline plus the body; every URL parameter
 * that is not reserved is a setting for that request only; `param_<name>` values are bound by the
 * engine; gzip/deflate/br(/zstd) request and response bodies; errors come back as
 * `Code: N. DB::Exception: ... (NAME) (version X)` with `X-ClickHouse-Exception-Code` and the HTTP
 * status the server would choose.
 *
 * Each request runs on its own chDB connection to the shared data directory. A connection carries
 * its own settings and current database, so `SET` and `USE` give a request exactly the per-query
 * context a server builds, and nothing leaks into the next request.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { drainPending, Session } from 'chdb';
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
  statusForError,
  toClickHouseHttpError,
  type QueryRequest,
} from '../../server/clickhouse-http-protocol.js';

export interface ClickHouseHttpTestServer {
  url: string;
  port: number;
  close(): Promise<void>;
  /** HTTP requests received so far, including rejected ones. */
  requests: number;
}

export interface StartClickHouseHttpServerOptions {
  /** chDB data directory; only one may be bound per process. */
  dataDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default `default`. */
  username?: string;
  /** Default empty, as for a fresh server's `default` user. */
  password?: string;
}

interface Summary {
  read_rows: string;
  read_bytes: string;
  written_rows: string;
  written_bytes: string;
  total_rows_to_read: string;
  result_rows: string;
  result_bytes: string;
  elapsed_ns: string;
}

interface QueryOutcome {
  output: Uint8Array;
  summary: Summary;
  format: string;
}

interface EngineInfo {
  version: string;
  timezone: string;
  httpCompressionByDefault: boolean;
}

/** An error to report the way the server does: code, name and message. */
export async function startClickHouseHttpServer(opts: StartClickHouseHttpServerOptions): Promise<ClickHouseHttpTestServer> {
  const expectedUser = opts.username ?? 'default';
  const expectedPassword = opts.password ?? '';
  const host = opts.host ?? '127.0.0.1';

  // Holds the data directory for the server's lifetime; requests open their own connections to it.
  const anchor = new Session(opts.dataDir);
  let engine: EngineInfo;
  let bodyDir: string;
  try {
    engine = await readEngineInfo(anchor);
    bodyDir = await mkdtemp(join(tmpdir(), 'ch-http-bodies-'));
  } catch (err) {
    anchor.close();
    throw err;
  }

  const displayName = hostname();
  const inflight = new Set<Promise<void>>();
  let requests = 0;

  const server = http.createServer((req, res) => {
    requests += 1;
    const done = handleRequest(req, res).catch((err: unknown) => {
      // Only a broken socket gets here; the request handler turns everything else into a response.
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
    inflight.add(done);
    void done.finally(() => inflight.delete(done));
  });
  // The client reads the keep-alive timeout from responses and retires idle sockets before it.
  server.keepAliveTimeout = 10_000;

  async function handleRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const headerQueryId = headerValue(req, 'x-clickhouse-query-id');
    const queryId = url.searchParams.get('query_id') || headerQueryId || randomUUID();
    const baseHeaders: Record<string, string> = {
      'X-ClickHouse-Server-Display-Name': displayName,
      'X-ClickHouse-Query-Id': queryId,
    };

    try {
      // Read the body first so an early error never leaves unread bytes on a keep-alive socket.
      const rawBody = await readBody(req);

      if (url.pathname === '/ping' && (method === 'GET' || method === 'HEAD')) {
        sendText(res, method, 200, 'Ok.\n', {});
        return;
      }
      if (url.pathname !== '/') {
        sendText(res, method, 404, `There is no handle ${url.pathname}\n\nUse / or /ping for health checks.\n`, {});
        return;
      }
      if (method === 'OPTIONS') {
        res.writeHead(204);
        res.end();
        return;
      }
      if ((method === 'GET' || method === 'HEAD') && !url.searchParams.has('query')) {
        sendText(res, method, 200, 'Ok.\n', {});
        return;
      }
      if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
        throw new ClickHouseHttpError(48, 'NOT_IMPLEMENTED', `HTTP method ${method} is not supported`);
      }

      authenticate(req, url.searchParams, expectedUser, expectedPassword);

      for (const unsupported of ['compress', 'decompress'] as const) {
        if (isTruthy(url.searchParams.get(unsupported))) {
          throw new ClickHouseHttpError(
            48,
            'NOT_IMPLEMENTED',
            `The '${unsupported}' parameter (ClickHouse native block compression) is not supported by this test server`,
          );
        }
      }
      if (url.searchParams.has('session_id')) {
        throw new ClickHouseHttpError(
          48,
          'NOT_IMPLEMENTED',
          'HTTP sessions (session_id) are not supported by this test server: every request gets a fresh context',
        );
      }

      const body = await decompressBody(rawBody, headerValue(req, 'content-encoding'));
      const request = queryRequest(method, url.searchParams, req, body);

      const outcome = await runQuery(opts.dataDir, bodyDir, request);

      const headers: Record<string, string> = {
        ...baseHeaders,
        'Content-Type': contentTypeFor(outcome.format),
        'X-ClickHouse-Format': outcome.format,
        'X-ClickHouse-Timezone': engine.timezone,
        'X-ClickHouse-Summary': JSON.stringify(outcome.summary),
      };
      let payload: Uint8Array = outcome.output;
      const compressionEnabled = url.searchParams.has('enable_http_compression')
        ? isTruthy(url.searchParams.get('enable_http_compression'))
        : engine.httpCompressionByDefault;
      const codec = compressionEnabled ? chooseResponseCodec(headerValue(req, 'accept-encoding')) : undefined;
      if (codec !== undefined) {
        const level = Number(url.searchParams.get('http_zlib_compression_level') ?? 3);
        payload = await compress(codec, payload, Number.isFinite(level) ? level : 3);
        headers['Content-Encoding'] = codec;
      }
      headers['Content-Length'] = String(payload.byteLength);
      res.writeHead(200, headers);
      res.end(method === 'HEAD' ? undefined : payload);
    } catch (err) {
      const error = toClickHouseHttpError(err);
      const status = statusForError(error.errorName);
      const headers: Record<string, string> = {
        ...baseHeaders,
        'X-ClickHouse-Exception-Code': String(error.code),
      };
      if (error.code === 194) headers['WWW-Authenticate'] = 'Basic realm="ClickHouse server HTTP API"';
      sendText(res, method, status, `${formatErrorMessage(error, engine.version)}\n`, headers);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (err: unknown) => {
    anchor.close();
    await rm(bodyDir, { recursive: true, force: true });
    throw err;
  });

  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    get requests() {
      return requests;
    },
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        await Promise.allSettled([...inflight]);
        // Idle keep-alive sockets would otherwise hold close() open until they time out.
        server.closeAllConnections();
        await stopped;
        anchor.close();
        await drainPending();
        await rm(bodyDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

function authenticate(req: http.IncomingMessage, search: URLSearchParams, expectedUser: string, expectedPassword: string): void {
  const { user, password, given } = readCredentials(req, search);
  if (user === '') throw new ClickHouseHttpError(516, 'AUTHENTICATION_FAILED', 'Got an empty user name');
  if (user === expectedUser && password === expectedPassword) return;
  if (!given) {
    // No credentials at all: answer 401 with a Basic challenge, as the server does for a password-protected default user.
    throw new ClickHouseHttpError(194, 'REQUIRED_PASSWORD', `${user}: Authentication failed: password is required`);
  }
  throw new ClickHouseHttpError(516, 'AUTHENTICATION_FAILED', `${user}: Authentication failed: password is incorrect, or there is no user with such name.`);
}

/** A request as this server runs it: the server's defaults for the output format and for GET requests. */
function queryRequest(method: string, search: URLSearchParams, req: http.IncomingMessage, body: Buffer): QueryRequest {
  const request = parseQueryRequest(search, req, body);
  const settings = request.settings;
  // A ClickHouse server quotes 64-bit integers in JSON output by default; chDB's embedded default does not.
  if (!settings.has('output_format_json_quote_64bit_integers')) settings.set('output_format_json_quote_64bit_integers', '1');
  // GET and HEAD are idempotent, so the server forces readonly=2 unless the request asks for 1.
  if (method === 'GET' || method === 'HEAD') {
    const asked = settings.get('readonly');
    if (asked === undefined) settings.set('readonly', '2');
    else if (!isTruthy(asked)) throw new ClickHouseHttpError(164, 'READONLY', "Cannot modify 'readonly' setting in readonly mode");
  }
  return { ...request, defaultFormat: request.defaultFormat || 'TabSeparated' };
}

// ---------------------------------------------------------------------------------------------
// Execution

async function runQuery(dataDir: string, bodyDir: string, request: QueryRequest): Promise<QueryOutcome> {
  const connection = new Session(dataDir);
  let tempFile: string | undefined;
  try {
    if (request.settings.size > 0) {
      // One SET statement: the server checks all URL settings against the user's profile at once, so
      // readonly=1 next to other settings must not forbid those other settings.
      const assignments = [...request.settings].map(([name, value]) => `${name} = ${settingLiteral(value)}`);
      await connection.queryAsync(`SET ${assignments.join(', ')}`);
    }
    if (request.database !== '') {
      await connection.queryAsync(`USE ${quoteIdentifier(request.database)}`);
    }

    const insert = planInsertWithData(request.statement, request.body);
    let sql: string;
    if (insert !== undefined) {
      // Handing the data over as a file keeps it byte-exact (binary formats too) and out of the SQL
      // text, where the engine's statement splitting would misread data containing ';'.
      tempFile = join(bodyDir, randomUUID());
      await writeFile(tempFile, insert.data);
      sql = `${insert.head} FROM INFILE ${stringLiteral(tempFile)}${insert.settings} FORMAT ${insert.format}`;
    } else if (request.statement !== '' && request.body.length > 0) {
      sql = `${request.statement}\n${request.body.toString('utf8')}`;
    } else {
      sql = request.statement !== '' ? request.statement : request.body.toString('utf8');
    }

    const started = process.hrtime.bigint();
    const result =
      request.params.size > 0
        ? await connection.queryBindAsync(sql, bindableParams(request.params), { format: request.defaultFormat })
        : await connection.queryAsync(sql, { format: request.defaultFormat });
    const elapsedNs = process.hrtime.bigint() - started;
    const output = result.bytes();
    const isInsert = insert !== undefined || /^\s*INSERT\b/i.test(sql);
    const rows = String(result.rowsRead || 0);
    const bytes = String(result.bytesRead || 0);
    return {
      output,
      format: isInsert ? request.defaultFormat : (explicitOutputFormat(sql) ?? request.defaultFormat),
      summary: {
        read_rows: rows,
        read_bytes: bytes,
        // chDB reports an INSERT's rows as read rows; for the summary they are the written ones.
        written_rows: isInsert ? rows : '0',
        written_bytes: isInsert ? bytes : '0',
        total_rows_to_read: '0',
        result_rows: isInsert ? '0' : rows,
        result_bytes: String(output.byteLength),
        elapsed_ns: elapsedNs.toString(),
      },
    };
  } finally {
    connection.close();
    if (tempFile !== undefined) await unlink(tempFile).catch(() => undefined);
  }
}

interface InsertPlan {
  /** `INSERT INTO target (columns)`, up to where FROM INFILE goes. */
  head: string;
  /** ` SETTINGS ...` from the statement, or empty. */
  settings: string;
  format: string;
  data: Buffer;
}

// `INSERT INTO [TABLE] target [(columns)] [SETTINGS ...] FORMAT name`; a target that is a table
// function or a column list with nested parentheses falls back to sending the data inline.
const INSERT_HEAD = String.raw`^\s*(INSERT\s+INTO\s+(?:TABLE\s+)?(?!FUNCTION\b)[^\s(]+(?:\s*\([^()]*\))?)(\s+SETTINGS\s+[^\n]*?)?\s+FORMAT\s+([A-Za-z0-9_]+)`;
const INSERT_STATEMENT = new RegExp(`${INSERT_HEAD}\\s*;?\\s*$`, 'i');
const INSERT_WITH_INLINE_DATA = new RegExp(`${INSERT_HEAD}[ \\t]*(?:\\r?\\n)?`, 'i');

function planInsertWithData(statement: string, body: Buffer): InsertPlan | undefined {
  if (statement !== '') {
    const match = INSERT_STATEMENT.exec(statement);
    if (match === null) return undefined;
    return { head: match[1] ?? '', settings: match[2] ?? '', format: match[3] ?? '', data: body };
  }
  // The statement and its data can also share the body; latin1 keeps character and byte offsets equal.
  const match = INSERT_WITH_INLINE_DATA.exec(body.subarray(0, 64 * 1024).toString('latin1'));
  if (match === null) return undefined;
  const headBytes = body.subarray(0, match.index + match[0].length);
  const reparsed = INSERT_WITH_INLINE_DATA.exec(headBytes.toString('utf8'));
  if (reparsed === null) return undefined;
  return {
    head: reparsed[1] ?? '',
    settings: reparsed[2] ?? '',
    format: reparsed[3] ?? '',
    data: body.subarray(headBytes.length),
  };
}

function settingLiteral(value: string): string {
  return /^-?\d+(\.\d+)?$/.test(value) ? value : stringLiteral(value);
}

function stringLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

function explicitOutputFormat(sql: string): string | undefined {
  return /\bFORMAT\s+([A-Za-z0-9_]+)\s*(?:SETTINGS\b[^;]*)?;?\s*$/i.exec(sql)?.[1];
}

async function readEngineInfo(session: Session): Promise<EngineInfo> {
  const result = await session.queryAsync(
    'SELECT version() AS version, timezone() AS timezone, ' + "(SELECT value FROM system.settings WHERE name = 'enable_http_compression') AS compression",
    { format: 'JSONEachRow' },
  );
  const row = result.json<{ version: string; timezone: string; compression: string }>();
  return { version: row.version, timezone: row.timezone, httpCompressionByDefault: isTruthy(row.compression) };
}
