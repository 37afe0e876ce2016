// Optional bearer-token auth: the header OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer <key>" sends.
import { createHash, timingSafeEqual } from 'node:crypto';

export class ApiKeys {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.filter((k) => k.length > 0).map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** True when auth is off or the Authorization header carries a known key. */
  allows(authorization: string | undefined): boolean {
    if (!this.enabled) return true;
    const m = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
    if (!m) return false;
    const d = digest((m[1] as string).trim());
    // Compare digests in constant time so response timing reveals nothing about the keys.
    let ok = false;
    for (const k of this.digests) ok = timingSafeEqual(k, d) || ok;
    return ok;
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export function parseApiKeys(...sources: (string | readonly string[] | undefined)[]): string[] {
  const out: string[] = [];
  for (const s of sources) {
    if (!s) continue;
    for (const part of typeof s === 'string' ? s.split(',') : s) if (part.trim()) out.push(part.trim());
  }
  return out;
}
