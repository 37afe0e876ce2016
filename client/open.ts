// Deciding, once, where a tool's client talks to: a running tracelight server (which owns the embedded
// store: chDB allows one data directory per process), or the store itself when no server runs.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TracelightError } from '../schemas/errors.js';
import { DEFAULT_DATA_DIR, type StoreConfig } from '../store/index.js';
import type { TracelightClient } from './contract.js';
import { HttpClient } from './http.js';
import { LocalClient } from './local.js';

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:4318';

export interface ClientTarget {
  /** A server URL: always go through it. */
  server?: string;
  apiKey?: string;
  store: StoreConfig;
  /** The user named the store (--data / --clickhouse-url): use it (or the server that owns it), not the default server. */
  storeExplicit: boolean;
  /** A reading command: an embedded store that does not exist is an error, not created empty. */
  read?: boolean;
}

/** Where `serve` records its address in an embedded store's directory, so commands on that directory find it. */
export const SERVER_FILE = 'server.json';

function embeddedDir(store: StoreConfig): string | null {
  return store.clickhouseUrl ? null : resolve(store.dataDir ?? DEFAULT_DATA_DIR);
}

/** Records `url` as the server owning `store` (embedded only); the returned function removes the record. */
export function recordServer(store: StoreConfig, url: string): () => void {
  const dir = embeddedDir(store);
  if (!dir) return () => undefined;
  const file = join(dir, SERVER_FILE);
  writeFileSync(file, `${JSON.stringify({ url, pid: process.pid })}\n`);
  return () => rmSync(file, { force: true });
}

function recordedServer(store: StoreConfig): string | null {
  const dir = embeddedDir(store);
  if (!dir) return null;
  try {
    const v = JSON.parse(readFileSync(join(dir, SERVER_FILE), 'utf8')) as { url?: unknown };
    return typeof v.url === 'string' ? v.url : null;
  } catch {
    return null;
  }
}

/** The server to go through, or null for the store itself. */
export async function serverFor(t: ClientTarget): Promise<string | null> {
  if (t.server) return t.server.replace(/\/+$/, '');
  const recorded = recordedServer(t.store);
  if (recorded && (await serverIsUp(recorded))) return recorded;
  // The default server only when there is no store here: every `serve` records itself in its store, so a store
  // without a live record is no server's, and it is this directory's data the user means.
  const dir = embeddedDir(t.store);
  if (!t.storeExplicit && !(dir && existsSync(dir)) && (await serverIsUp(DEFAULT_SERVER_URL))) return DEFAULT_SERVER_URL;
  return null;
}

export async function openClient(t: ClientTarget): Promise<TracelightClient> {
  const server = await serverFor(t);
  if (server) return new HttpClient(server, t.apiKey);
  const dir = embeddedDir(t.store);
  if (t.read && dir && !existsSync(dir)) {
    throw new TracelightError(
      'not_found',
      `no tracelight store in ${dir} and no server running for it: start \`tracelight serve\` there, or name one with --data DIR or --server URL (TRACELIGHT_URL)`,
    );
  }
  return LocalClient.open(t.store);
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
