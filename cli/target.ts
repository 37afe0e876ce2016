// Where a CLI command reads from: a running tracelight server (which owns the embedded store), or the
// store itself when no server runs. The serving process owns chDB's data directory, so reading through
// it is the default whenever it is up.
import { Store, type StoreConfig } from '../store/index.js';
import { CliError } from './output.js';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:4318';

export type Target = { kind: 'server'; url: string; apiKey?: string } | { kind: 'store'; config: StoreConfig };

export interface TargetFlags {
  server?: string;
  apiKey?: string;
  store: StoreConfig;
  /** True when the user named the store explicitly (--data / --clickhouse-url). */
  storeExplicit: boolean;
}

export async function resolveTarget(f: TargetFlags): Promise<Target> {
  if (f.server) return { kind: 'server', url: f.server.replace(/\/+$/, ''), apiKey: f.apiKey };
  if (!f.storeExplicit && (await serverIsUp(DEFAULT_SERVER_URL))) return { kind: 'server', url: DEFAULT_SERVER_URL, apiKey: f.apiKey };
  return { kind: 'store', config: f.store };
}

async function serverIsUp(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

export async function callServer<T>(t: { url: string; apiKey?: string }, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
  let res: Response;
  try {
    res = await fetch(`${t.url}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(t.apiKey ? { authorization: `Bearer ${t.apiKey}` } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (err) {
    const cause = (err as Error).cause;
    throw new CliError(`cannot reach the tracelight server at ${t.url}: ${cause instanceof Error ? cause.message : (err as Error).message}`);
  }
  const parsed = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok && res.status !== 404) throw new CliError(parsed.error ?? `server answered HTTP ${res.status}`);
  return { status: res.status, body: parsed };
}

export async function withStore<T>(config: StoreConfig, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await Store.open(config);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
