// The REST API: one fastify plugin per area, all under /api/v1. Route schemas are the zod schemas the
// routes validate with, so the API describes itself (GET /api/v1/openapi.json) from the same source.
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, validatorCompiler } from 'fastify-type-provider-zod';
import { aglGatewayArea } from './agl-gateway.js';
import { aglStoreArea } from './agl-store.js';
import { AGL_PREFIX } from '../schemas/agl.js';
import type { ApiContext } from './context.js';
import { overviewArea } from './overview.js';
import { queryArea } from './query.js';
import { resourcesArea } from './resources.js';
import { rolloutsArea } from './rollouts.js';
import { trainingArea } from './training.js';

export const API_PREFIX = '/api/v1';

/** Each area and the prefix it serves under API_PREFIX (a new area is a file and a line here). */
const AREAS = [
  { prefix: '/query', plugin: queryArea },
  { prefix: '', plugin: trainingArea },
  { prefix: '/resources', plugin: resourcesArea },
  { prefix: '/rollouts', plugin: rolloutsArea },
  { prefix: '', plugin: overviewArea },
] as const;

export async function registerApi(app: FastifyInstance, ctx: ApiContext, version: string): Promise<void> {
  // Registered at the root so it sees every route, OTLP's included.
  await app.register(swagger, {
    openapi: {
      info: { title: 'tracelight', version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(
    async (api) => {
      api.setValidatorCompiler(validatorCompiler);
      for (const area of AREAS) await api.register(area.plugin, { ...ctx, prefix: area.prefix });
      api.get('/openapi.json', { config: { scope: ['read', 'worker', 'ingest'] }, schema: { hide: true } }, async () => app.swagger());
    },
    { prefix: API_PREFIX },
  );

  // Agent Lightning v1's gateway API, at the paths v1 clients use (/api/rollouts, /api/models, /proxy/...), beside
  // /api/v1 and not under it; its routes answer errors in FastAPI's shape from the plugin's own error handler.
  await app.register(aglGatewayArea, ctx);

  // Agent Lightning 0.3's LightningStore API (api/agl-store.ts) at /v1/agl, the path its LightningStoreClient
  // uses, beside /api/v1 and not under it; FastAPI's error shape from the plugin's own error handler.
  if (ctx.aglStore) await app.register(aglStoreArea, { aglStore: ctx.aglStore, prefix: AGL_PREFIX });
}
