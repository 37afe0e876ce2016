// Request bodies may arrive gzip- or deflate-compressed (OTEL_EXPORTER_OTLP_COMPRESSION=gzip). Fastify's
// bodyLimit counts the bytes of the stream returned here, so it bounds the *decompressed* size and a
// gzip bomb is cut off at the limit instead of filling memory.
import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { errorClass } from '../schemas/errors.js';

export const UnsupportedEncodingError = errorClass('UnsupportedEncodingError', 'unsupported');

export function decompressBody(req: FastifyRequest, payload: Readable): Readable {
  const enc = String(req.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  if (enc === '' || enc === 'identity') return payload;
  let out: Readable;
  if (enc === 'gzip' || enc === 'x-gzip') out = createGunzip();
  else if (enc === 'deflate') out = createInflate();
  else throw new UnsupportedEncodingError(`unsupported Content-Encoding "${enc}" (use gzip, deflate or none)`);
  // Fastify checks Content-Length against bodyLimit; the decompressed length is unknown up front.
  delete req.headers['content-length'];
  const stream = payload.pipe(out as unknown as NodeJS.WritableStream) as unknown as Readable;
  payload.on('error', (err) => stream.destroy(err));
  return stream;
}
