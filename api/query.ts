// POST /api/v1/query: read-only SQL through the process that owns the store (what `tracelight sql` uses).
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { clientGone, type ApiContext } from './context.js';

export const QueryBody = z.object({
  sql: z.string().min(1, 'sql must not be empty').max(100_000, 'sql is longer than 100000 characters'),
  params: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'parameter names are identifiers'), z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .optional(),
});

export const queryArea: FastifyPluginAsync<ApiContext> = async (app, { store }) => {
  app.withTypeProvider<ZodTypeProvider>().post('', { schema: { body: QueryBody }, config: { scope: 'read', subject: 'query request' } }, async (req, reply) => {
    const started = performance.now();
    // A client that hangs up cancels its query in the engine instead of leaving it to run out its time.
    const rows = await store.readOnlyQuery(req.body.sql, req.body.params ?? {}, clientGone(reply));
    return { rows, row_count: rows.length, elapsed_ms: Math.round((performance.now() - started) * 10) / 10 };
  });
};
