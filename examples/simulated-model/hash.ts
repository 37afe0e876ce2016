// Every "choice" the simulated model makes comes from these hashes, never from Math.random,
// so the same request always produces the same answer (tests and demos can rely on it).

/**
 * FNV-1a, 32 bit, with murmur3's finalizer: tiny and stable across platforms, and keys that
 * differ only in their last character ("child|0", "child|1") still land far apart.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A number in [0, 1) derived from the text; used for "does this input trigger a mistake?". */
export function unitHash(text: string): number {
  return hash32(text) / 0x100000000;
}

/** Picks one element deterministically. */
export function pick<T>(items: readonly T[], key: string): T {
  if (items.length === 0) throw new Error('pick() from an empty list');
  return items[hash32(key) % items.length] as T;
}

export function hex(n: number, width = 8): string {
  return n.toString(16).padStart(width, '0').slice(-width);
}
