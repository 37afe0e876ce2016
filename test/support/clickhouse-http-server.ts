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
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { drainPending, Session } from 'chdb';

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

type Codec = 'gzip' | 'deflate' | 'br' | 'zstd';

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
class ClickHouseHttpError extends Error {
  constructor(
    readonly code: number,
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }
}

// URL parameters the server consumes itself instead of treating them as settings (HTTPHandler.cpp).
const RESERVED_PARAMS = new Set([
  'query',
  'compress',
  'decompress',
  'user',
  'password',
  'quota_key',
  'query_id',
  'stacktrace',
  'role',
  'buffer_size',
  'wait_end_of_query',
  'session_id',
  'session_timeout',
  'session_check',
  'client_protocol_version',
  'close_session',
  'database',
  'default_format',
]);

// Real settings that only steer the HTTP layer; this server implements the ones it needs itself, and
// keeping them away from the engine avoids surprises if chDB ever stops knowing one of them.
const HTTP_LAYER_SETTINGS = new Set([
  'enable_http_compression',
  'http_zlib_compression_level',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'http_wait_end_of_query',
  'http_response_buffer_size',
  'add_http_cors_header',
  'cancel_http_readonly_queries_on_client_close',
  'http_native_compression_disable_checksumming_on_decompress',
  'http_write_exception_in_output_format',
]);

// The server's exceptionCodeToHTTPStatus, keyed by error name since chDB reports the name too.
const STATUS_BY_ERROR_NAME = new Map<string, number>([
  ['REQUIRED_PASSWORD', 401],
  ...['UNKNOWN_USER', 'WRONG_PASSWORD', 'AUTHENTICATION_FAILED', 'SET_NON_GRANTED_ROLE', 'ACCESS_DENIED'].map((name): [string, number] => [name, 403]),
  ...[
    'BAD_ARGUMENTS',
    'CANNOT_COMPILE_REGEXP',
    'CANNOT_PARSE_TEXT',
    'CANNOT_PARSE_ESCAPE_SEQUENCE',
    'CANNOT_PARSE_QUOTED_STRING',
    'CANNOT_PARSE_DATE',
    'CANNOT_PARSE_DATETIME',
    'CANNOT_PARSE_NUMBER',
    'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING',
    'CANNOT_PARSE_IPV4',
    'CANNOT_PARSE_IPV6',
    'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
    'CANNOT_PARSE_UUID',
    'DUPLICATE_COLUMN',
    'ILLEGAL_COLUMN',
    'UNKNOWN_ELEMENT_IN_AST',
    'UNKNOWN_TYPE_OF_AST_NODE',
    'THERE_IS_NO_COLUMN',
    'TOO_DEEP_AST',
    'TOO_BIG_AST',
    'UNEXPECTED_AST_STRUCTURE',
    'SYNTAX_ERROR',
    'INCORRECT_DATA',
    'TYPE_MISMATCH',
    'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  ].map((name): [string, number] => [name, 400]),
  ...[
    'UNKNOWN_TABLE',
    'UNKNOWN_FUNCTION',
    'UNKNOWN_IDENTIFIER',
    'UNKNOWN_TYPE',
    'UNKNOWN_STORAGE',
    'UNKNOWN_DATABASE',
    'UNKNOWN_SETTING',
    'UNKNOWN_DIRECTION_OF_SORTING',
    'UNKNOWN_AGGREGATE_FUNCTION',
    'UNKNOWN_FORMAT',
    'UNKNOWN_DATABASE_ENGINE',
    'UNKNOWN_TYPE_OF_QUERY',
    'UNKNOWN_ROLE',
  ].map((name): [string, number] => [name, 404]),
  ['QUERY_IS_TOO_LARGE', 413],
  ['NOT_IMPLEMENTED', 501],
  ['SOCKET_TIMEOUT', 503],
  ['CANNOT_OPEN_FILE', 503],
  ['CANNOT_SCHEDULE_TASK', 503],
  ['HTTP_LENGTH_REQUIRED', 411],
  ['TIMEOUT_EXCEEDED', 408],
  ['UNSUPPORTED_MEDIA_TYPE', 415],
]);

const BINARY_FORMATS = new Set([
  'Native',
  'RowBinary',
  'RowBinaryWithNames',
  'RowBinaryWithNamesAndTypes',
  'RowBinaryWithDefaults',
  'Parquet',
  'Arrow',
  'ArrowStream',
  'ORC',
  'Avro',
  'Protobuf',
  'ProtobufSingle',
  'ProtobufList',
  'MsgPack',
  'CapnProto',
  'BSONEachRow',
  'Npy',
]);

// zstd landed in node:zlib in Node 22.15; @types/node 20 does not describe it.
type BufferCodecFn = (input: Buffer, callback: (error: Error | null, result: Buffer) => void) => void;
const zlibZstd = zlib as unknown as { zstdCompress?: BufferCodecFn; zstdDecompress?: BufferCodecFn };

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const brotliDecompress = promisify(zlib.brotliDecompress);
const gzip = promisify(zlib.gzip);
const deflate = promisify(zlib.deflate);
const brotliCompress = promisify(zlib.brotliCompress);

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
      const request = parseQueryRequest(method, url.searchParams, req, body);

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
      const status = STATUS_BY_ERROR_NAME.get(error.errorName) ?? 500;
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

// ---------------------------------------------------------------------------------------------
// Request parsing

interface QueryRequest {
  /** The `query` URL parameter (or multipart `query` parts): the statement, when data rides in the body. */
  statement: string;
  /** Body bytes that follow the statement; empty for multipart requests, whose body is the form. */
  body: Buffer;
  settings: Map<string, string>;
  params: Map<string, string>;
  database: string;
  defaultFormat: string;
}

function parseQueryRequest(method: string, search: URLSearchParams, req: http.IncomingMessage, body: Buffer): QueryRequest {
  const contentType = headerValue(req, 'content-type') ?? '';
  const settings = new Map<string, string>();
  const params = new Map<string, string>();
  for (const [key, value] of search) {
    if (key === '' || RESERVED_PARAMS.has(key)) continue;
    if (key.startsWith('param_')) {
      // The server keeps the first value of a repeated parameter.
      if (!params.has(key.slice('param_'.length))) params.set(key.slice('param_'.length), value);
      continue;
    }
    if (HTTP_LAYER_SETTINGS.has(key)) continue;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new ClickHouseHttpError(115, 'UNKNOWN_SETTING', `Unknown setting '${key}'`);
    }
    settings.set(key, value);
  }
  // A ClickHouse server quotes 64-bit integers in JSON output by default; chDB's embedded default does not.
  if (!settings.has('output_format_json_quote_64bit_integers')) settings.set('output_format_json_quote_64bit_integers', '1');

  // GET and HEAD are idempotent, so the server forces readonly=2 unless the request asks for 1.
  if (method === 'GET' || method === 'HEAD') {
    const asked = settings.get('readonly');
    if (asked === undefined) settings.set('readonly', '2');
    else if (!isTruthy(asked)) {
      throw new ClickHouseHttpError(164, 'READONLY', "Cannot modify 'readonly' setting in readonly mode");
    }
  }

  let statement = search.get('query') ?? '';
  let rest = body;
  if (contentType.toLowerCase().startsWith('multipart/form-data')) {
    // Multipart bodies carry the query and params as form fields (the client's use_multipart_params).
    for (const part of parseMultipart(body, contentType)) {
      if (part.filename !== undefined) {
        throw new ClickHouseHttpError(48, 'NOT_IMPLEMENTED', 'External data (multipart file parts) is not supported by this test server');
      }
      if (part.name === 'query') statement += part.value.toString('utf8');
      else if (part.name.startsWith('param_')) {
        const name = part.name.slice('param_'.length);
        if (!params.has(name)) params.set(name, part.value.toString('utf8'));
      }
    }
    rest = Buffer.alloc(0);
  }

  if (statement.trim() === '' && rest.toString('latin1').trim() === '') {
    throw new ClickHouseHttpError(62, 'SYNTAX_ERROR', 'Empty query');
  }

  return {
    statement,
    body: rest,
    settings,
    params,
    // As in the server, the X-ClickHouse-* headers win over the URL parameters.
    database: headerValue(req, 'x-clickhouse-database') ?? search.get('database') ?? '',
    defaultFormat: headerValue(req, 'x-clickhouse-format') || search.get('default_format') || 'TabSeparated',
  };
}

function authenticate(req: http.IncomingMessage, search: URLSearchParams, expectedUser: string, expectedPassword: string): void {
  const headerUser = headerValue(req, 'x-clickhouse-user') ?? '';
  const headerKey = headerValue(req, 'x-clickhouse-key') ?? '';
  const authorization = headerValue(req, 'authorization');
  const hasQueryCredentials = search.has('user') || search.has('password');
  const mixed = (a: string, b: string): ClickHouseHttpError =>
    new ClickHouseHttpError(516, 'AUTHENTICATION_FAILED', `Invalid authentication: it is not allowed to use ${a} and ${b} simultaneously`);

  let user: string;
  let password: string;
  let anyCredentials = true;
  if (headerUser !== '' || headerKey !== '') {
    if (authorization !== undefined) throw mixed('X-ClickHouse HTTP headers', 'Authorization HTTP header');
    if (hasQueryCredentials) throw mixed('X-ClickHouse HTTP headers', 'authentication via parameters');
    user = headerUser;
    password = headerKey;
  } else if (authorization !== undefined) {
    if (hasQueryCredentials) throw mixed('Authorization HTTP header', 'authentication via parameters');
    const match = /^(\S+)\s+(.*)$/.exec(authorization.trim());
    if (match?.[1]?.toLowerCase() !== 'basic') {
      throw new ClickHouseHttpError(
        516,
        'AUTHENTICATION_FAILED',
        `Invalid authentication: '${match?.[1] ?? authorization}' HTTP Authorization scheme is not supported`,
      );
    }
    const decoded = Buffer.from(match[2] ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    user = colon === -1 ? decoded : decoded.slice(0, colon);
    password = colon === -1 ? '' : decoded.slice(colon + 1);
  } else {
    anyCredentials = hasQueryCredentials;
    user = search.get('user') ?? 'default';
    password = search.get('password') ?? '';
  }
  if (user === '') {
    throw new ClickHouseHttpError(516, 'AUTHENTICATION_FAILED', 'Got an empty user name');
  }
  if (user === expectedUser && password === expectedPassword) return;
  if (!anyCredentials) {
    // No credentials at all: answer 401 with a Basic challenge, as the server does for a password-protected default user.
    throw new ClickHouseHttpError(194, 'REQUIRED_PASSWORD', `${user}: Authentication failed: password is required`);
  }
  throw new ClickHouseHttpError(516, 'AUTHENTICATION_FAILED', `${user}: Authentication failed: password is incorrect, or there is no user with such name.`);
}

interface MultipartPart {
  name: string;
  filename?: string;
  value: Buffer;
}

function parseMultipart(body: Buffer, contentType: string): MultipartPart[] {
  const boundaryMatch = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = boundaryMatch?.[1] ?? boundaryMatch?.[2];
  if (boundary === undefined) {
    throw new ClickHouseHttpError(36, 'BAD_ARGUMENTS', 'multipart/form-data request without a boundary');
  }
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos === -1) throw new ClickHouseHttpError(36, 'BAD_ARGUMENTS', 'Malformed multipart/form-data body');
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString('latin1') === '--') break;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd === -1) throw new ClickHouseHttpError(36, 'BAD_ARGUMENTS', 'Malformed multipart/form-data body');
    const headers = body.subarray(pos, headerEnd).toString('utf8');
    const contentStart = headerEnd + 4;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), contentStart);
    if (next === -1) throw new ClickHouseHttpError(36, 'BAD_ARGUMENTS', 'Malformed multipart/form-data body');
    const name = /\bname="([^"]*)"/i.exec(headers)?.[1];
    const filename = /\bfilename="([^"]*)"/i.exec(headers)?.[1];
    if (name !== undefined) {
      parts.push({ name, ...(filename !== undefined ? { filename } : {}), value: body.subarray(contentStart, next) });
    }
    pos = next + 2;
  }
  return parts;
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

/**
 * Turns a `param_<name>` value, already in ClickHouse's escaped text form, into the JS string whose
 * chDB serialization (TSV escaping) the engine reads back as the same value. Without this, chDB
 * would escape the client's escapes a second time.
 */
export function bindableParamValue(raw: string): string | null {
  if (raw === '\\N') return null;
  // Inside the quoted elements of Array/Map/Tuple literals a quote must stay escaped; chDB would turn
  // a backslash into `\\`, so use the SQL doubling `''` that the engine's quoted-string reader accepts.
  const composite = /^[[({]/.test(raw);
  const input = Buffer.from(raw, 'utf8');
  const out: number[] = [];
  let inQuote = false;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i] ?? 0;
    if (byte !== 0x5c || i + 1 >= input.length) {
      if (byte === 0x27) inQuote = !inQuote;
      out.push(byte);
      continue;
    }
    const next = input[++i] ?? 0;
    switch (String.fromCharCode(next)) {
      case '\\':
        out.push(0x5c);
        break;
      case 'n':
        out.push(0x0a);
        break;
      case 't':
        out.push(0x09);
        break;
      case 'r':
        out.push(0x0d);
        break;
      case '0':
        out.push(0x00);
        break;
      case 'b':
        out.push(0x08);
        break;
      case 'f':
        out.push(0x0c);
        break;
      case 'a':
        out.push(0x07);
        break;
      case 'v':
        out.push(0x0b);
        break;
      case "'":
        if (composite && inQuote) out.push(0x27, 0x27);
        else out.push(0x27);
        break;
      case 'x': {
        const hex = input.subarray(i + 1, i + 3).toString('latin1');
        if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
          out.push(Number.parseInt(hex, 16));
          i += 2;
        } else {
          out.push(next);
        }
        break;
      }
      default:
        // The engine drops the backslash of any other escape.
        out.push(next);
    }
  }
  return Buffer.from(out).toString('utf8');
}

function bindableParams(params: Map<string, string>): Record<string, string | null> {
  const bound: Record<string, string | null> = {};
  for (const [name, raw] of params) bound[name] = bindableParamValue(raw);
  return bound;
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

// ---------------------------------------------------------------------------------------------
// HTTP plumbing

function headerValue(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isTruthy(value: string | null | undefined): boolean {
  return value !== null && value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

async function decompressBody(body: Buffer, encoding: string | undefined): Promise<Buffer> {
  const method = (encoding ?? '').trim().toLowerCase();
  if (method === '' || method === 'identity' || method === 'none' || body.length === 0) return body;
  try {
    switch (method) {
      case 'gzip':
      case 'x-gzip':
        return await gunzip(body);
      case 'deflate':
        return await inflate(body);
      case 'br':
        return await brotliDecompress(body);
      case 'zstd': {
        const zstdDecompress = zlibZstd.zstdDecompress;
        if (zstdDecompress === undefined) break;
        return await promisify(zstdDecompress)(body);
      }
      default:
        break;
    }
  } catch (err) {
    throw new ClickHouseHttpError(
      354,
      'ZLIB_INFLATE_FAILED',
      `Cannot decompress the ${method} request body: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  throw new ClickHouseHttpError(
    36,
    'BAD_ARGUMENTS',
    `Unknown compression method '${method}'. Supported here: gzip, deflate, br${zlibZstd.zstdDecompress ? ', zstd' : ''}`,
  );
}

/** The server's preference order (chooseHTTPCompressionMethod), limited to what node:zlib has. */
function chooseResponseCodec(acceptEncoding: string | undefined): Codec | undefined {
  if (acceptEncoding === undefined) return undefined;
  if (acceptEncoding.includes('zstd') && zlibZstd.zstdCompress !== undefined) return 'zstd';
  if (acceptEncoding.includes('br')) return 'br';
  if (acceptEncoding.includes('gzip')) return 'gzip';
  if (acceptEncoding.includes('deflate')) return 'deflate';
  return undefined;
}

async function compress(codec: Codec, data: Uint8Array, level: number): Promise<Buffer> {
  const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  switch (codec) {
    case 'gzip':
      return gzip(input, { level });
    case 'deflate':
      return deflate(input, { level });
    case 'br':
      return brotliCompress(input);
    case 'zstd': {
      const zstdCompress = zlibZstd.zstdCompress;
      if (zstdCompress === undefined) throw new Error('zstd is not available in this Node.js');
      return promisify(zstdCompress)(input);
    }
  }
}

function contentTypeFor(format: string): string {
  if (BINARY_FORMATS.has(format)) return 'application/octet-stream';
  if (format.startsWith('JSON')) return 'application/json; charset=UTF-8';
  if (format.startsWith('TabSeparated') || format.startsWith('TSV')) return 'text/tab-separated-values; charset=UTF-8';
  if (format.startsWith('CSV')) return 'text/csv; charset=UTF-8; header=absent';
  return 'text/plain; charset=UTF-8';
}

function sendText(res: http.ServerResponse, method: string, status: number, text: string, headers: Record<string, string>): void {
  const payload = Buffer.from(text, 'utf8');
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'text/plain; charset=UTF-8',
    'Content-Length': String(payload.byteLength),
  });
  res.end(method === 'HEAD' ? undefined : payload);
}

function toClickHouseHttpError(err: unknown): ClickHouseHttpError {
  if (err instanceof ClickHouseHttpError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const fields = (typeof err === 'object' && err !== null ? err : {}) as { clickhouseCode?: unknown; code?: unknown };
  const prefixed = /^Code: (\d+)\. /.exec(message);
  if (prefixed?.[1] !== undefined) {
    // Already the server's own wording; keep it, the name is whatever it ends with.
    const names = [...message.matchAll(/\(([A-Z][A-Z0-9_]{2,})\)/g)];
    const name = names[names.length - 1]?.[1] ?? 'UNKNOWN_EXCEPTION';
    return new ClickHouseHttpError(Number(prefixed[1]), name, message);
  }
  if (fields.code === 'CHDB_BIND') return new ClickHouseHttpError(457, 'BAD_QUERY_PARAMETER', message);
  if (typeof fields.clickhouseCode === 'number') {
    return new ClickHouseHttpError(fields.clickhouseCode, 'UNKNOWN_EXCEPTION', message);
  }
  return new ClickHouseHttpError(1001, 'STD_EXCEPTION', message);
}

function formatErrorMessage(error: ClickHouseHttpError, version: string): string {
  let text = error.message.trim();
  if (!text.startsWith('Code: ')) {
    text = `Code: ${error.code}. DB::Exception: ${text.replace(/\.$/, '')}. (${error.errorName})`;
  }
  if (!/\(version [^)]*\)\s*$/.test(text)) text += ` (version ${version})`;
  return text;
}
