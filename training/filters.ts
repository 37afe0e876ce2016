// Filters a caller gives when reading training data, parsed the same way for the REST API and the CLI.
import { TracelightError } from '../schemas/errors.js';

/** Accepts an ISO date-time, or nanoseconds / milliseconds since the epoch; returns nanoseconds. */
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `since` as nanoseconds since the epoch: an ISO date-time, epoch milliseconds/nanoseconds, or an age (`30m`, `1h`, `7d`). */
export function parseSince(v: string, nowMs = Date.now()): string {
  if (/^\d{19}$/.test(v)) return v;
  if (/^\d{13}$/.test(v)) return `${v}000000`;
  const age = /^(\d{1,6})([smhd])$/.exec(v);
  if (age) return `${BigInt(Math.max(0, nowMs - Number(age[1]) * (UNIT_MS[age[2] as string] as number))) * 1_000_000n}`;
  const ms = Date.parse(v);
  if (Number.isNaN(ms))
    throw new TracelightError('invalid', `since must be an ISO date-time, epoch milliseconds/nanoseconds or an age like 30m, 1h, 7d; got "${v}"`);
  return `${BigInt(ms) * 1_000_000n}`;
}

export const MAX_AGENT_PATTERN = 256;

/**
 * An agent filter is an RE2 pattern matched by ClickHouse (linear time), never a JavaScript RegExp on the
 * event loop, where `^(a+)+$` backtracks exponentially.
 */
export function parseAgentPattern(v: string): string {
  if (v.length > MAX_AGENT_PATTERN) throw new TracelightError('invalid', `agent pattern is longer than ${MAX_AGENT_PATTERN} characters`);
  return v;
}
