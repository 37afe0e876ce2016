// The wire side of ClickHouse's HTTP interface (src/Server/HTTPHandler.cpp), as its clients rely on it: the
// query is the `query` URL parameter plus a newline plus the body, or multipart form fields; every URL
// parameter that is not the server's own is a setting; `param_<name>` values are bound by the engine;
// gzip/deflate/br(/zstd) bodies both ways; errors come back as `Code: N. DB::Exception: ... (NAME) (version X)`
// with `X-ClickHouse-Exception-Code` and the HTTP status the server would choose. Shared by the read-only
// endpoint (`clickhouse-http.ts`) and the test suite's stand-in for a ClickHouse server.
import type http from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

/** An error to report the way the server does: code, name and message. */
export class ClickHouseHttpError extends Error {
  constructor(
    readonly code: number,
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }
}

/** URL parameters the server consumes itself instead of treating them as settings (HTTPHandler.cpp). */
export const RESERVED_PARAMS: ReadonlySet<string> = new Set([
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

/** Real settings that only steer the HTTP layer: the HTTP side implements the ones it needs itself. */
export const HTTP_LAYER_SETTINGS: ReadonlySet<string> = new Set([
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
    'UNKNOWN_QUERY_PARAMETER',
    'BAD_QUERY_PARAMETER',
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
  ['TOO_MANY_SIMULTANEOUS_QUERIES', 503],
  ['HTTP_LENGTH_REQUIRED', 411],
  ['TIMEOUT_EXCEEDED', 408],
  ['UNSUPPORTED_MEDIA_TYPE', 415],
]);

/** The HTTP status the server answers an error with (500 for any name it does not map). */
export function statusForError(errorName: string): number {
  return STATUS_BY_ERROR_NAME.get(errorName) ?? 500;
}

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

export function contentTypeFor(format: string): string {
  if (BINARY_FORMATS.has(format)) return 'application/octet-stream';
  if (format.startsWith('JSON')) return 'application/json; charset=UTF-8';
  if (format.startsWith('TabSeparated') || format.startsWith('TSV')) return 'text/tab-separated-values; charset=UTF-8';
  if (format.startsWith('CSV')) return 'text/csv; charset=UTF-8; header=absent';
  return 'text/plain; charset=UTF-8';
}

export type Codec = 'gzip' | 'deflate' | 'br' | 'zstd';

// zstd landed in node:zlib in Node 22.15; @types/node 20 does not describe it.
type BufferCodecFn = (input: Buffer, callback: (error: Error | null, result: Buffer) => void) => void;
const zlibZstd = zlib as unknown as { zstdCompress?: BufferCodecFn; zstdDecompress?: BufferCodecFn };

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const brotliDecompress = promisify(zlib.brotliDecompress);
const gzip = promisify(zlib.gzip);
const deflate = promisify(zlib.deflate);
const brotliCompress = promisify(zlib.brotliCompress);

/**
 * Decompresses a request body by its Content-Encoding. `maxBytes` bounds the output, so a small compressed body
 * cannot expand past the request limit in memory.
 */
export async function decompressBody(body: Buffer, encoding: string | undefined, maxBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const method = (encoding ?? '').trim().toLowerCase();
  if (method === '' || method === 'identity' || method === 'none' || body.length === 0) return body;
  const limit = Number.isFinite(maxBytes) ? { maxOutputLength: Math.max(1, Math.floor(maxBytes)) } : {};
  try {
    switch (method) {
      case 'gzip':
      case 'x-gzip':
        return await gunzip(body, limit);
      case 'deflate':
        return await inflate(body, limit);
      case 'br':
        return await brotliDecompress(body, limit);
      case 'zstd': {
        const zstdDecompress = zlibZstd.zstdDecompress;
        if (zstdDecompress === undefined) break;
        return await promisify(zstdDecompress)(body);
      }
      default:
        break;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError)
      throw new ClickHouseHttpError(229, 'QUERY_IS_TOO_LARGE', `The request body is larger than ${maxBytes} bytes once decompressed`);
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
export function chooseResponseCodec(acceptEncoding: string | undefined): Codec | undefined {
  if (acceptEncoding === undefined) return undefined;
  if (acceptEncoding.includes('zstd') && zlibZstd.zstdCompress !== undefined) return 'zstd';
  if (acceptEncoding.includes('br')) return 'br';
  if (acceptEncoding.includes('gzip')) return 'gzip';
  if (acceptEncoding.includes('deflate')) return 'deflate';
  return undefined;
}

export async function compress(codec: Codec, data: Uint8Array, level: number): Promise<Buffer> {
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

export function headerValue(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function isTruthy(value: string | null | undefined): boolean {
  return value !== null && value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** Reads the whole body; past `maxBytes` the rest is drained unread and the request refused. */
export async function readBody(req: http.IncomingMessage, maxBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > maxBytes) tooLarge = true;
    if (!tooLarge) chunks.push(buf);
  }
  if (tooLarge) throw new ClickHouseHttpError(229, 'QUERY_IS_TOO_LARGE', `The request body is larger than ${maxBytes} bytes`);
  return Buffer.concat(chunks);
}

export function sendText(res: http.ServerResponse, method: string, status: number, text: string, headers: Record<string, string>): void {
  const payload = Buffer.from(text, 'utf8');
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'text/plain; charset=UTF-8',
    'Content-Length': String(payload.byteLength),
  });
  res.end(method === 'HEAD' ? undefined : payload);
}

/** An error of any origin as the server would report it: the engine's own `Code: N.` text is kept. */
export function toClickHouseHttpError(err: unknown): ClickHouseHttpError {
  if (err instanceof ClickHouseHttpError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const fields = (typeof err === 'object' && err !== null ? err : {}) as { clickhouseCode?: unknown; code?: unknown };
  const prefixed = /^Code: (\d+)\. /.exec(message);
  if (prefixed?.[1] !== undefined) {
    const names = [...message.matchAll(/\(([A-Z][A-Z0-9_]{2,})\)/g)];
    const name = names[names.length - 1]?.[1] ?? 'UNKNOWN_EXCEPTION';
    return new ClickHouseHttpError(Number(prefixed[1]), name, message);
  }
  if (fields.code === 'CHDB_BIND') return new ClickHouseHttpError(457, 'BAD_QUERY_PARAMETER', message);
  if (typeof fields.clickhouseCode === 'number') return new ClickHouseHttpError(fields.clickhouseCode, 'UNKNOWN_EXCEPTION', message);
  return new ClickHouseHttpError(1001, 'STD_EXCEPTION', message);
}

/** `Code: N. DB::Exception: message. (NAME) (version V)`: the one line every client shows. */
export function formatErrorMessage(error: ClickHouseHttpError, version: string): string {
  let text = error.message.trim();
  if (!text.startsWith('Code: ')) text = `Code: ${error.code}. DB::Exception: ${text.replace(/\.$/, '')}. (${error.errorName})`;
  if (!/\(version [^)]*\)\s*$/.test(text)) text += ` (version ${version})`;
  return text;
}

export interface Credentials {
  user: string;
  password: string;
  /** False when the request named no user and no password at all (the server then asks for a password). */
  given: boolean;
}

/**
 * The user and password of a request, from X-ClickHouse-User/Key, Basic auth, or the `user`/`password` URL
 * parameters (refusing a mix, as the server does). `bearer` receives a Bearer token where one is accepted.
 */
export function readCredentials(req: http.IncomingMessage, search: URLSearchParams, opts: { bearer?: boolean } = {}): Credentials {
  const headerUser = headerValue(req, 'x-clickhouse-user') ?? '';
  const headerKey = headerValue(req, 'x-clickhouse-key') ?? '';
  const authorization = headerValue(req, 'authorization');
  const hasQueryCredentials = search.has('user') || search.has('password');
  const mixed = (a: string, b: string): ClickHouseHttpError =>
    new ClickHouseHttpError(516, 'AUTHENTICATION_FAILED', `Invalid authentication: it is not allowed to use ${a} and ${b} simultaneously`);

  if (headerUser !== '' || headerKey !== '') {
    if (authorization !== undefined) throw mixed('X-ClickHouse HTTP headers', 'Authorization HTTP header');
    if (hasQueryCredentials) throw mixed('X-ClickHouse HTTP headers', 'authentication via parameters');
    return { user: headerUser || 'default', password: headerKey, given: true };
  }
  if (authorization !== undefined) {
    if (hasQueryCredentials) throw mixed('Authorization HTTP header', 'authentication via parameters');
    const match = /^(\S+)\s+(.*)$/.exec(authorization.trim());
    const scheme = match?.[1]?.toLowerCase();
    if (scheme === 'bearer' && opts.bearer) return { user: 'default', password: (match?.[2] ?? '').trim(), given: true };
    if (scheme !== 'basic') {
      throw new ClickHouseHttpError(
        516,
        'AUTHENTICATION_FAILED',
        `Invalid authentication: '${match?.[1] ?? authorization}' HTTP Authorization scheme is not supported`,
      );
    }
    const decoded = Buffer.from(match?.[2] ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return { user: colon === -1 ? decoded : decoded.slice(0, colon), password: colon === -1 ? '' : decoded.slice(colon + 1), given: true };
  }
  return { user: search.get('user') ?? 'default', password: search.get('password') ?? '', given: hasQueryCredentials };
}

export interface QueryRequest {
  /** The `query` URL parameter (or multipart `query` parts): the statement, when data rides in the body. */
  statement: string;
  /** Body bytes that follow the statement; empty for multipart requests, whose body is the form. */
  body: Buffer;
  settings: Map<string, string>;
  params: Map<string, string>;
  database: string;
  /** X-ClickHouse-Format or `default_format`; empty when the request names none. */
  defaultFormat: string;
}

/** The statement, settings and parameters of a request, as the server reads them. */
export function parseQueryRequest(search: URLSearchParams, req: http.IncomingMessage, body: Buffer): QueryRequest {
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
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new ClickHouseHttpError(115, 'UNKNOWN_SETTING', `Unknown setting '${key}'`);
    settings.set(key, value);
  }

  let statement = search.get('query') ?? '';
  let rest = body;
  if (contentType.toLowerCase().startsWith('multipart/form-data')) {
    // Multipart bodies carry the query and params as form fields (clients' multipart params mode).
    for (const part of parseMultipart(body, contentType)) {
      if (part.filename !== undefined) throw new ClickHouseHttpError(48, 'NOT_IMPLEMENTED', 'External data (multipart file parts) is not supported here');
      if (part.name === 'query') statement += part.value.toString('utf8');
      else if (part.name.startsWith('param_')) {
        const name = part.name.slice('param_'.length);
        if (!params.has(name)) params.set(name, part.value.toString('utf8'));
      }
    }
    rest = Buffer.alloc(0);
  }
  if (statement.trim() === '' && rest.toString('latin1').trim() === '') throw new ClickHouseHttpError(62, 'SYNTAX_ERROR', 'Empty query');

  return {
    statement,
    body: rest,
    settings,
    params,
    // As in the server, the X-ClickHouse-* headers win over the URL parameters.
    database: headerValue(req, 'x-clickhouse-database') ?? search.get('database') ?? '',
    defaultFormat: headerValue(req, 'x-clickhouse-format') || search.get('default_format') || '',
  };
}

interface MultipartPart {
  name: string;
  filename?: string;
  value: Buffer;
}

function parseMultipart(body: Buffer, contentType: string): MultipartPart[] {
  const boundaryMatch = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = boundaryMatch?.[1] ?? boundaryMatch?.[2];
  if (boundary === undefined) throw new ClickHouseHttpError(36, 'BAD_ARGUMENTS', 'multipart/form-data request without a boundary');
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
    if (name !== undefined) parts.push({ name, ...(filename !== undefined ? { filename } : {}), value: body.subarray(contentStart, next) });
    pos = next + 2;
  }
  return parts;
}

/** The statement text the server runs: the `query` parameter, then a newline and the body when both are given. */
export function statementText(request: QueryRequest): string {
  if (request.statement !== '' && request.body.length > 0) return `${request.statement}\n${request.body.toString('utf8')}`;
  return request.statement !== '' ? request.statement : request.body.toString('utf8');
}

/**
 * Turns a `param_<name>` value, already in ClickHouse's escaped text form, into the JS string whose chDB
 * serialization (TSV escaping) the engine reads back as the same value. Without this, chDB would escape the
 * client's escapes a second time.
 */
export function bindableParamValue(raw: string): string | null {
  if (raw === '\\N') return null;
  // Inside the quoted elements of Array/Map/Tuple literals a quote must stay escaped; chDB would turn a
  // backslash into `\\`, so use the SQL doubling `''` that the engine's quoted-string reader accepts.
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

export function bindableParams(params: ReadonlyMap<string, string>): Record<string, string | null> {
  const bound: Record<string, string | null> = {};
  for (const [name, raw] of params) bound[name] = bindableParamValue(raw);
  return bound;
}
