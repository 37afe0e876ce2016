// The one error model. Every failure a caller can act on is a TracelightError of a kind; the REST API and
// both OTLP transports read the kind through the two tables below, so a status code is decided in one
// place and a new error class never needs a new mapping.
import type { z } from 'zod';

export type ErrorKind =
  'invalid' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'too_large' | 'unsupported' | 'backpressure' | 'unavailable' | 'internal';

export class TracelightError extends Error {
  override name = 'TracelightError';
  /** Seconds a client should wait before retrying (back-pressure, a store or queue that is down). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    opts: { retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

export const HTTP_STATUS: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported: 415,
  backpressure: 429,
  unavailable: 503,
  internal: 500,
};

/** google.rpc.Code values used by OTLP (grpc-js's `status` enum has the same numbers). */
export const GRPC = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export const GRPC_STATUS: Readonly<Record<ErrorKind, number>> = {
  invalid: GRPC.INVALID_ARGUMENT,
  unauthorized: GRPC.UNAUTHENTICATED,
  forbidden: GRPC.PERMISSION_DENIED,
  not_found: GRPC.NOT_FOUND,
  conflict: GRPC.ALREADY_EXISTS,
  too_large: GRPC.INVALID_ARGUMENT,
  unsupported: GRPC.INVALID_ARGUMENT,
  // Every OTLP exporter retries UNAVAILABLE; RESOURCE_EXHAUSTED only when RetryInfo comes with it.
  backpressure: GRPC.UNAVAILABLE,
  unavailable: GRPC.UNAVAILABLE,
  internal: GRPC.INTERNAL,
};

export interface ErrorClass {
  new (message: string, opts?: { cause?: unknown }): TracelightError;
}

/**
 * A named class of one kind (`instanceof` tells it apart; the name shows in logs): the domain errors of each
 * component are one line each, and their status codes come from the tables below.
 */
export function errorClass(name: string, kind: ErrorKind, retryAfterSeconds?: number): ErrorClass {
  return class extends TracelightError {
    constructor(message: string, opts: { cause?: unknown } = {}) {
      super(kind, message, { retryAfterSeconds, cause: opts.cause });
      this.name = name;
    }
  };
}

const KIND_OF_STATUS = new Map<number, ErrorKind>(Object.entries(HTTP_STATUS).map(([k, s]) => [s, k as ErrorKind]));

/** The kind of an HTTP status (a 4xx the table lacks is `invalid`, anything else `internal`). */
export function kindOfStatus(status: number): ErrorKind {
  return KIND_OF_STATUS.get(status) ?? (status >= 400 && status < 500 ? 'invalid' : 'internal');
}

/** `path: message` of a zod error's first issue, the path prefixed (e.g. `query.limit`). */
export function describeZodError(err: z.ZodError, prefix = ''): string {
  const issue = err.issues[0];
  if (!issue) return `${prefix || 'body'}: invalid`;
  const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
  return `${path || 'body'}: ${issue.message}`;
}

/** Parses with a zod schema; a failure is an `invalid` error naming what and where. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what = '', prefix = ''): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new TracelightError('invalid', `${what ? `invalid ${what}: ` : ''}${describeZodError(r.error, prefix)}`);
  return r.data;
}
