// `tracelight sql`: read-only SQL through a running server (which owns the embedded store), or directly on
// a data directory / ClickHouse URL when no server runs.
import { Store, type StoreConfig } from '../store/index.js';
import { CliError } from './output.js';

export interface SqlTarget {
  server?: string;
  apiKey?: string;
  store: StoreConfig;
  /** True when the user named the store explicitly (--data / --clickhouse-url). */
  storeExplicit: boolean;
}

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:4318';

export async function runSql(sql: string, params: Record<string, string>, target: SqlTarget): Promise<Record<string, unknown>[]> {
  if (target.server) return viaServer(target.server, sql, params, target.apiKey);
  if (!target.storeExplicit && (await serverIsUp(DEFAULT_SERVER_URL))) return viaServer(DEFAULT_SERVER_URL, sql, params, target.apiKey);
  return direct(sql, params, target.store);
}

async function serverIsUp(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

async function viaServer(server: string, sql: string, params: Record<string, string>, apiKey?: string): Promise<Record<string, unknown>[]> {
  let res: Response;
  try {
    res = await fetch(`${server.replace(/\/+$/, '')}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
      body: JSON.stringify({ sql, params }),
    });
  } catch (err) {
    throw new CliError(`cannot reach the tracelight server at ${server}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
  }
  const body = (await res.json().catch(() => ({}))) as { rows?: Record<string, unknown>[]; error?: string };
  if (!res.ok) throw new CliError(body.error ?? `server answered HTTP ${res.status}`);
  return body.rows ?? [];
}

async function direct(sql: string, params: Record<string, string>, cfg: StoreConfig): Promise<Record<string, unknown>[]> {
  let store: Store;
  try {
    store = await Store.open(cfg);
  } catch (err) {
    const msg = (err as Error).message;
    if (/lock|another .*instance|already/i.test(msg)) {
      throw new CliError(`the data directory is in use by another process (a running "tracelight serve"?); query through it with --server URL (${msg})`);
    }
    throw err;
  }
  try {
    return await store.readOnlyQuery(sql, params);
  } finally {
    await store.close();
  }
}
