// What both encodings' decoders share about the data model, kept apart from either encoding so that the
// protobuf and OTLP/JSON paths reject the same items for the same reasons and report them the same way:
// the result shape, the per-item error that rejects one item (not the request), the limits, and the checks
// that do not depend on how a field was encoded.
import { TracelightError } from '../../schemas/errors.js';

export class OtlpDecodeError extends TracelightError {
  override name = 'OtlpDecodeError';
  constructor(message: string) {
    super('invalid', message);
  }
}

export interface Decoded<T> {
  items: T[];
  rejected: number;
  /** First few reasons, for partial_success.error_message. */
  errors: string[];
}

/** Attribute values nested deeper than this are rejected: no SDK produces them, and they cost stack and storage. */
export const MAX_VALUE_DEPTH = 32;
/** DateTime64(9) ends at 2262-04-11; later timestamps cannot be stored. */
export const MAX_UNIX_NANO = 9_223_372_036_854_775_807n;
const MAX_REPORTED_ERRORS = 5;

/** Rejects one item (reported through partial_success); any other error fails the whole request. */
export class ItemError extends Error {}

export class Collector<T> implements Decoded<T> {
  items: T[] = [];
  rejected = 0;
  errors: string[] = [];
  reject(path: string, err: unknown): void {
    this.rejected++;
    if (this.errors.length >= MAX_REPORTED_ERRORS) return;
    const msg = err instanceof Error ? err.message : String(err);
    this.errors.push(msg.startsWith(path) ? msg : `${path}: ${msg}`);
  }
}

export function checkTime(ns: bigint, field: string): bigint {
  if (ns > MAX_UNIX_NANO) throw new ItemError(`${field} ${ns} is past year 2262 and cannot be stored`);
  return ns;
}

export function checkKind(kind: number): number {
  if (!Number.isInteger(kind) || kind < 0 || kind > 5) throw new ItemError(`kind ${kind} is not a SpanKind (0..5)`);
  return kind;
}
export function checkStatus(code: number): number {
  if (!Number.isInteger(code) || code < 0 || code > 2) throw new ItemError(`status.code ${code} is not a StatusCode (0..2)`);
  return code;
}
export function checkSeverity(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 24) throw new ItemError(`severityNumber ${n} is outside 0..24`);
  return n;
}
