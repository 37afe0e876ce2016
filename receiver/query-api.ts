// POST /api/v1/query: read-only SQL through the process that owns the store (what `tracelight sql` uses).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Store } from '../store/index.js';

const QueryBody = z.object({
  sql: z.string().min(1, 'sql must not be empty').max(100_000, 'sql is longer than 100000 characters'),
  params: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'parameter names are identifiers'), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});

export function registerQueryApi(app: FastifyInstance, store: Store): void {
  app.post('/api/v1/query', { config: { scope: 'read' } }, async (req, reply) => {
    const parsed = QueryBody.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return reply.code(400).send({ error: `invalid query request: ${issue?.path.join('.') || 'body'}: ${issue?.message}` });
    }
    const started = performance.now();
    // A client that hangs up cancels its query in the engine instead of leaving it to run out its time.
    const gone = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) gone.abort();
    });
    const rows = await store.readOnlyQuery(parsed.data.sql, parsed.data.params ?? {}, gone.signal);
    return { rows, row_count: rows.length, elapsed_ms: Math.round((performance.now() - started) * 10) / 10 };
  });
}
