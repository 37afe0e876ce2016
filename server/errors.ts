// The server's one error handler: every route (the REST areas and OTLP/HTTP) throws, and this turns the
// error's kind into the status, the Retry-After header and the body shape the route speaks.
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { HTTP_STATUS, kindOfStatus, TracelightError, type ErrorKind } from '../schemas/errors.js';
import { encodingOf, sendOtlpError } from '../receiver/otlp-http.js';

interface Answer {
  kind: ErrorKind;
  message: string;
  retryAfterSeconds?: number;
}

const PART_PREFIX: Record<string, string> = { querystring: 'query', body: '', params: '', headers: 'header' };

/** A route schema's refusal, as `invalid <subject>: <part.path>: <message>`. */
function validationAnswer(err: FastifyError, req: FastifyRequest): Answer {
  const first = err.validation?.[0];
  const part = PART_PREFIX[err.validationContext ?? 'body'] ?? '';
  const path = [part, ...(first?.instancePath ?? '').split('/')].filter((p) => p !== '').join('.');
  const subject = req.routeOptions.config.subject;
  return { kind: 'invalid', message: `${subject ? `invalid ${subject}: ` : ''}${path || 'body'}: ${first?.message ?? 'invalid'}` };
}

function answerOf(err: FastifyError, req: FastifyRequest, maxBodyBytes: number): Answer {
  if ((err as unknown) instanceof TracelightError) {
    const e = err as unknown as TracelightError;
    return { kind: e.kind, message: e.message, retryAfterSeconds: e.retryAfterSeconds };
  }
  if (hasZodFastifySchemaValidationErrors(err)) return validationAnswer(err, req);
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return { kind: 'too_large', message: `request body exceeds the limit of ${maxBodyBytes} bytes (after decompression)` };
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return { kind: 'unsupported', message: `unsupported Content-Type "${req.headers['content-type'] ?? ''}" (use application/x-protobuf or application/json)` };
  if (err.code === 'Z_DATA_ERROR' || err.code === 'Z_BUF_ERROR' || /unexpected end of file|incorrect header check/i.test(err.message)) {
    return { kind: 'invalid', message: `request body is not valid ${String(req.headers['content-encoding'] ?? '')} data: ${err.message}` };
  }
  return { kind: err.statusCode === undefined ? 'internal' : kindOfStatus(err.statusCode), message: err.message };
}

/** `notFoundHint`: said after "no route …" (a receiver names the process that serves the API). */
export function installErrorHandler(app: FastifyInstance, opts: { maxBodyBytes: number; notFoundHint?: string }): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const a = answerOf(err, req, opts.maxBodyBytes);
    const status = a.kind === 'internal' && err.statusCode !== undefined && err.statusCode >= 500 ? err.statusCode : undefined;
    if (a.kind === 'internal' || a.kind === 'unavailable') req.log.error(err);
    if (a.retryAfterSeconds !== undefined) reply.header('Retry-After', String(a.retryAfterSeconds));
    if (a.kind === 'unauthorized') reply.header('WWW-Authenticate', 'Bearer');
    if (req.routeOptions.config.otlp === true) return sendOtlpError(reply, encodingOf(req), a.kind, a.message, status);
    return reply.code(status ?? HTTP_STATUS[a.kind]).send({ error: a.message });
  });
  app.setNotFoundHandler((req) => {
    throw new TracelightError('not_found', `no route ${req.method} ${req.url.split('?')[0]}${opts.notFoundHint ? `; ${opts.notFoundHint}` : ''}`);
  });
}
