// Deciding, once, where a tool's client talks to: a running tracelight server (which owns the embedded
// store: chDB allows one data directory per process), or the store itself when no server runs.
import type { StoreConfig } from '../store/index.js';
import type { TracelightClient } from './contract.js';
import { HttpClient } from './http.js';
import { LocalClient } from './local.js';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:4318';

export interface ClientTarget {
  /** A server URL: always go through it. */
  server?: string;
  apiKey?: string;
  store: StoreConfig;
  /** The user named the store (--data / --clickhouse-url): use it, without looking for a server. */
  storeExplicit: boolean;
}

/** The server to go through, or null for the store itself. */
export async function serverFor(t: ClientTarget): Promise<string | null> {
  if (t.server) return t.server.replace(/\/+$/, '');
  if (!t.storeExplicit && (await serverIsUp(DEFAULT_SERVER_URL))) return DEFAULT_SERVER_URL;
  return null;
}

export async function openClient(t: ClientTarget): Promise<TracelightClient> {
  const server = await serverFor(t);
  return server ? new HttpClient(server, t.apiKey) : LocalClient.open(t.store);
}

export async function withClient<T>(t: ClientTarget, fn: (client: TracelightClient) => Promise<T>): Promise<T> {
  const client = await openClient(t);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

async function serverIsUp(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}
