// REST API for versioned resources (prompt templates, LLM endpoints, model checkpoints, JSON):
//   GET  /api/v1/resources                              names with kind, latest version, labels
//   POST /api/v1/resources/{name}/versions              new version → 201
//   GET  /api/v1/resources/{name}/versions              history, newest first (?limit=&before=)
//   GET  /api/v1/resources/{name}/versions/{version}    one version
//   GET  /api/v1/resources/{name}[?label=L|?version=N]  what an agent fetches (default: production, else latest);
//                                                       ETag + If-None-Match → 304 for cheap polling
//   POST   /api/v1/resources/{name}/labels/{label}      {version} moves the label
//   DELETE /api/v1/resources/{name}/labels/{label}      removes it
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  checkLabelName,
  checkResourceName,
  LabelName,
  MAX_VERSION,
  MoveLabelBody,
  parseNewVersion,
  resourceEtag,
  type ResourceVersion,
} from '../schemas/resources.js';
import type { ApiContext } from './context.js';

const VersionParam = z.coerce.number().int('must be an integer').min(1, 'must be 1 or more').max(MAX_VERSION);

const GetQuery = z
  .strictObject({ label: LabelName.optional(), version: VersionParam.optional() })
  .refine((q) => q.label === undefined || q.version === undefined, { message: 'give label or version, not both' });

const HistoryQuery = z.strictObject({
  limit: z.coerce.number().int('must be an integer').min(1).max(1000).default(100),
  before: VersionParam.optional(),
});

const NameParams = z.object({ name: z.string() });
const VersionParams = z.object({ name: z.string(), version: VersionParam });
const LabelParams = z.object({ name: z.string(), label: z.string() });

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

const READ = { scope: ['worker', 'read'] } as const;
const ADMIN = { scope: 'admin' } as const;

export const resourcesArea: FastifyPluginAsync<ApiContext> = async (base, { resources }) => {
  const app = base.withTypeProvider<ZodTypeProvider>();

  app.get('', { config: READ }, async () => ({ resources: await resources.list() }));

  app.post('/:name/versions', { schema: { params: NameParams }, config: ADMIN }, async (req, reply) => {
    const name = checkResourceName(req.params.name);
    const v = await resources.createVersion(name, parseNewVersion(req.body));
    return reply
      .code(201)
      .header('Location', `/api/v1/resources/${encodeURIComponent(name)}/versions/${v.version}`)
      .header('ETag', resourceEtag(v))
      .send(v);
  });

  app.get('/:name/versions', { schema: { params: NameParams, querystring: HistoryQuery }, config: READ }, async (req) =>
    resources.history(checkResourceName(req.params.name), { limit: req.query.limit, before: req.query.before }),
  );

  app.get('/:name/versions/:version', { schema: { params: VersionParams }, config: READ }, async (req, reply) =>
    sendVersion(reply, await resources.resolve(checkResourceName(req.params.name), { version: req.params.version }), req.headers['if-none-match']),
  );

  app.get('/:name', { schema: { params: NameParams, querystring: GetQuery }, config: READ }, async (req, reply) =>
    sendVersion(reply, await resources.resolve(checkResourceName(req.params.name), req.query), req.headers['if-none-match']),
  );

  app.post('/:name/labels/:label', { schema: { params: LabelParams, body: MoveLabelBody }, config: ADMIN }, async (req) =>
    resources.moveLabel(checkResourceName(req.params.name), checkLabelName(req.params.label), req.body.version, req.body.author ?? null),
  );

  app.delete('/:name/labels/:label', { schema: { params: LabelParams }, config: ADMIN }, async (req) =>
    resources.removeLabel(checkResourceName(req.params.name), checkLabelName(req.params.label)),
  );
};
