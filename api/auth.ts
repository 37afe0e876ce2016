// API keys with scopes, checked on the route fastify matched (after it decoded the path), never on the raw
// URL: a check on the raw URL and a router on the decoded one disagree about `/%61pi/...`. Every route
// declares the scope it needs or that it is public; a route that declares neither cannot be registered.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { z } from 'zod';
import { TracelightError } from '../schemas/errors.js';

/**
 * What a key may do. `ingest`: send OTLP and rewards (the key handed to agents in the field). `worker`:
 * claim, heartbeat and complete rollouts, read resources. `read`: SQL, triplets, rollouts, metrics.
 * `admin`: everything, including resources, labels, enqueueing and training.
 */
export const SCOPES = ['ingest', 'worker', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a key needs for this route (any one of a list); admin holds every scope. */
    scope?: Scope | readonly Scope[];
    /** Open without a key. */
    public?: boolean;
    /** An OTLP endpoint: errors answer in the OTLP error shape. */
    otlp?: boolean;
    /** What the route's schemas validate, named in their errors (`invalid triplets query: …`). */
    subject?: string;
  }
}

interface Key {
  digest: Buffer;
  scopes: ReadonlySet<Scope>;
}

export interface KeySpec {
  key: string;
  scopes: readonly Scope[];
}

export class ApiKeys {
  private readonly keys: Key[];

  constructor(specs: readonly (KeySpec | string)[]) {
    this.keys = specs
      .map((s) => (typeof s === 'string' ? parseKeySpec(s) : s))
      .filter((s) => s.key.length > 0)
      .map((s) => ({ digest: digest(s.key), scopes: new Set(s.scopes) }));
  }

  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /** The scopes the Authorization header grants: all of them when auth is off, none for an unknown key. */
  scopesOf(authorization: string | undefined): ReadonlySet<Scope> {
    if (!this.enabled) return ALL;
    const m = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
    if (!m) return NONE;
    const d = digest((m[1] as string).trim());
    // Compare every digest in constant time so response timing reveals nothing about the keys.
    let found: ReadonlySet<Scope> = NONE;
    for (const k of this.keys) if (timingSafeEqual(k.digest, d)) found = k.scopes;
    return found;
  }

  /** True when auth is off or the header carries a key with `scope`, or one of a list (admin holds all). */
  allows(authorization: string | undefined, scope: Scope | readonly Scope[]): boolean {
    return grants(this.scopesOf(authorization), scopeList(scope));
  }
}

function grants(granted: ReadonlySet<Scope>, needed: readonly Scope[]): boolean {
  return granted.has('admin') || needed.some((s) => granted.has(s));
}

const ALL: ReadonlySet<Scope> = new Set(SCOPES);
const NONE: ReadonlySet<Scope> = new Set();

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * `KEY` grants every scope; `read+worker:KEY` grants the scopes named before the first `:` when all of them
 * are scope names (otherwise the whole text is the key).
 */
export function parseKeySpec(text: string): KeySpec {
  const t = text.trim();
  const colon = t.indexOf(':');
  if (colon > 0) {
    const names = t
      .slice(0, colon)
      .split('+')
      .map((n) => n.trim().toLowerCase());
    if (names.every((n): n is Scope => (SCOPES as readonly string[]).includes(n))) {
      const key = t.slice(colon + 1).trim();
      // "ingest:$UNSET_VAR" must not leave the server without the key the operator meant to require.
      if (!key) throw new Error(`the API key for scopes ${names.join('+')} is empty`);
      return { key, scopes: names };
    }
  }
  return { key: t, scopes: ['admin'] };
}

const FileKey = z
  .strictObject({
    key: z.string().min(8, 'must be at least 8 characters').optional(),
    key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional(),
    scopes: z.array(z.enum(SCOPES)).min(1, 'must name at least one scope'),
  })
  .refine((k) => (k.key === undefined) !== (k.key_env === undefined), 'give exactly one of key and key_env');
const KeysSection = z.looseObject({ api_keys: z.array(FileKey).optional() });

/**
 * The `api_keys:` section of a serve config file: `- { key_env: AGENT_KEY, scopes: [ingest] }` (the key read
 * from the environment, so the file can be committed) or `- { key: "…", scopes: [read, worker] }`.
 * Throws naming the entry at fault.
 */
export function keysFromConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): KeySpec[] {
  const parsed = KeysSection.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue?.path.join('.') || 'api_keys'}: ${issue?.message}`);
  }
  return (parsed.data.api_keys ?? []).map((k, i) => {
    const key = k.key ?? env[k.key_env as string];
    if (!key) throw new Error(`api_keys.${i}.key_env: the environment variable ${k.key_env} is not set`);
    return { key, scopes: k.scopes };
  });
}

export function parseApiKeys(...sources: (string | readonly string[] | undefined)[]): string[] {
  const out: string[] = [];
  for (const s of sources) {
    if (!s) continue;
    for (const part of typeof s === 'string' ? s.split(',') : s) if (part.trim()) out.push(part.trim());
  }
  return out;
}

export const UNAUTHORIZED_MESSAGE = 'missing or invalid API key (send "Authorization: Bearer <key>")';

/**
 * Installs deny-by-default auth on `app`: every route must declare its access (checked as it is added), and
 * each request is checked against the route it matched. Requests that match no route need a valid key too,
 * so probing for routes without one learns nothing. A refusal is thrown, so the one error handler answers it
 * (OTLP routes in the OTLP error shape).
 */
export function installAuth(app: FastifyInstance, keys: ApiKeys): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const access = route.config;
    if (!access || (access.public !== true && scopeList(access.scope).length === 0)) {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access (config.scope or config.public)`);
    }
  });
  app.addHook('onRequest', async (req) => {
    const access = req.routeOptions.config;
    if (access.public === true || !keys.enabled) return;
    const granted = keys.scopesOf(req.headers.authorization);
    if (granted.size === 0) throw new TracelightError('unauthorized', UNAUTHORIZED_MESSAGE);
    const needed = scopeList(access.scope);
    if (needed.length === 0) return; // no route matched: the not-found handler answers
    if (!grants(granted, needed)) throw new TracelightError('forbidden', `this API key lacks the ${needed.map((s) => `"${s}"`).join(' or ')} scope`);
  });
}

function scopeList(scope: Scope | readonly Scope[] | undefined): readonly Scope[] {
  const list = scope === undefined ? [] : typeof scope === 'string' ? [scope] : scope;
  return list.filter((s) => (SCOPES as readonly string[]).includes(s));
}

/** Whether the request carries a key with `scope` (for routes that say more to authenticated callers). */
export function requestHas(keys: ApiKeys, req: FastifyRequest, scope: Scope): boolean {
  return keys.allows(req.headers.authorization, scope);
}
