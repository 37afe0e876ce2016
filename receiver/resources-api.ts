// REST API for versioned resources (prompt templates, LLM endpoints, model checkpoints, JSON):
//   GET  /api/v1/resources                              names with kind, latest version, labels
//   POST /api/v1/resources/{name}/versions              new version → 201
//   GET  /api/v1/resources/{name}/versions              history, newest first (?limit=&before=)
//   GET  /api/v1/resources/{name}/versions/{version}    one version
//   GET  /api/v1/resources/{name}[?label=L|?version=N]  what an agent fetches (default: production, else latest);
//                                                       ETag + If-None-Match → 304 for cheap polling
//   POST   /api/v1/resources/{name}/labels/{label}      {version} moves the label
//   DELETE /api/v1/resources/{name}/labels/{label}      removes it
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import {
  checkLabelName,
  checkResourceName,
  describeZodError,
  LabelName,
  MAX_VERSION,
  MoveLabelBody,
  parseNewVersion,
  resourceEtag,
  ResourceConflictError,
  ResourceNotFoundError,
  ResourceValidationError,
  type ResourceVersion,
} from '../schemas/resources.js';
import { ResourceStore, type Store } from '../store/index.js';

const VersionParam = z.coerce.number().int('must be an integer').min(1, 'must be 1 or more').max(MAX_VERSION);

const GetQuery = z
  .strictObject({ label: LabelName.optional(), version: VersionParam.optional() })
  .refine((q) => q.label === undefined || q.version === undefined, { message: 'give label or version, not both' });

const HistoryQuery = z.strictObject({
  limit: z.coerce.number().int('must be an integer').min(1).max(1000).default(100),
  before: VersionParam.optional(),
});

/** Maps the domain errors to HTTP; anything else goes to the server's error handler. */
async function answer(reply: FastifyReply, fn: () => Promise<unknown>): Promise<unknown> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ResourceValidationError) return reply.code(400).send({ error: err.message });
    if (err instanceof ResourceNotFoundError) return reply.code(404).send({ error: err.message });
    if (err instanceof ResourceConflictError) return reply.code(409).send({ error: err.message });
    throw err;
  }
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, prefix = ''): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new ResourceValidationError(describeZodError(r.error, prefix));
  return r.data;
}

/** Weak comparison (RFC 9110 §13.1.2): `*`, or any listed tag equal to ours once `W/` is dropped. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const strip = (t: string): string => t.trim().replace(/^W\//, '');
  const ours = strip(etag);
  return (ifNoneMatch.match(/(?:W\/)?"[^"]*"/g) ?? []).some((t) => strip(t) === ours);
}

function sendVersion(reply: FastifyReply, v: ResourceVersion, ifNoneMatch?: string): FastifyReply {
  const etag = resourceEtag(v);
  reply.header('ETag', etag).header('Cache-Control', 'no-cache');
  if (etagMatches(ifNoneMatch, etag)) return reply.code(304).send();
  return reply.send(v);
}

export function registerResourcesApi(app: FastifyInstance, store: Store): void {
  const resources = new ResourceStore(store.driver);
  type NameParams = { Params: { name: string } };

  app.get('/api/v1/resources', { config: { scope: ['worker', 'read'] } }, async () => ({ resources: await resources.list() }));

  app.post<NameParams>('/api/v1/resources/:name/versions', { config: { scope: 'admin' } }, async (req, reply) =>
    answer(reply, async () => {
      const name = checkResourceName(req.params.name);
      const input = parseNewVersion(req.body);
      const v = await resources.createVersion(name, input);
      return reply
        .code(201)
        .header('Location', `/api/v1/resources/${encodeURIComponent(name)}/versions/${v.version}`)
        .header('ETag', resourceEtag(v))
        .send(v);
    }),
  );

  app.get<NameParams>('/api/v1/resources/:name/versions', { config: { scope: ['worker', 'read'] } }, async (req, reply) =>
    answer(reply, async () => {
      const name = checkResourceName(req.params.name);
      const q = parseWith(HistoryQuery, req.query, 'query');
      return resources.history(name, { limit: q.limit, before: q.before });
    }),
  );

  app.get<{ Params: { name: string; version: string } }>('/api/v1/resources/:name/versions/:version', { config: { scope: ['worker', 'read'] } }, async (req, reply) =>
    answer(reply, async () => {
      const name = checkResourceName(req.params.name);
      const version = parseWith(VersionParam, req.params.version, 'version');
      return sendVersion(reply, await resources.resolve(name, { version }), req.headers['if-none-match']);
    }),
  );

  app.get<NameParams>('/api/v1/resources/:name', { config: { scope: ['worker', 'read'] } }, async (req, reply) =>
    answer(reply, async () => {
      const name = checkResourceName(req.params.name);
      const q = parseWith(GetQuery, req.query, 'query');
      return sendVersion(reply, await resources.resolve(name, q), req.headers['if-none-match']);
    }),
  );

  app.post<{ Params: { name: string; label: string } }>('/api/v1/resources/:name/labels/:label', { config: { scope: 'admin' } }, async (req, reply) =>
    answer(reply, async () => {
      const name = checkResourceName(req.params.name);
      const label = checkLabelName(req.params.label);
      const body = parseWith(MoveLabelBody, req.body);
      return resources.moveLabel(name, label, body.version, body.author ?? null);
    }),
  );

  app.delete<{ Params: { name: string; label: string } }>('/api/v1/resources/:name/labels/:label', { config: { scope: 'admin' } }, async (req, reply) =>
    answer(reply, async () => resources.removeLabel(checkResourceName(req.params.name), checkLabelName(req.params.label))),
  );
}
