// What the web UI reads beyond the other areas: GET /api/v1/overview (activity per time bucket, calls per
// agent and model, rollouts, workers, training runs), GET /api/v1/traces/{trace_id} (a trace's span tree) and
// GET /api/v1/session (whether a key is needed and what the one sent may do; open, so the UI can ask).
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isSimulatedModel } from '../schemas/genai.js';
import { TracelightError } from '../schemas/errors.js';
import { SCOPES } from './auth.js';
import { JobRunStore } from '../store/job-runs.js';
import { activity, callsByAgentModel, rolloutCounts, workersSeen } from '../store/overview.js';
import { readTrace } from '../store/trace-spans.js';
import type { ApiContext } from './context.js';

const MAX_MINUTES = 30 * 24 * 60;
/** Buckets per chart at most: enough for a readable line, few enough for one cheap GROUP BY. */
const MAX_BUCKETS = 120;
const NICE_BUCKETS = [10, 30, 60, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400];

const OverviewQuery = z.strictObject({
  minutes: z.coerce.number().int('must be an integer').min(1, 'must be 1 or more').max(MAX_MINUTES, `must be at most ${MAX_MINUTES}`).default(60),
});
const TraceParams = z.object({ trace_id: z.string().regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex characters') });

export function bucketSeconds(minutes: number): number {
  const wanted = (minutes * 60) / MAX_BUCKETS;
  return NICE_BUCKETS.find((b) => b >= wanted) ?? 86400;
}

const ACTIVE_STATUSES = ['preparing', 'running', 'requeuing'] as const;

export const overviewArea: FastifyPluginAsync<ApiContext> = async (base, { store, queue, keys, ingestTotals }) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  const runs = new JobRunStore(store.driver);

  app.get('/overview', { schema: { querystring: OverviewQuery }, config: { scope: 'read', subject: 'overview query' } }, async (req) => {
    const minutes = req.query.minutes;
    const bucket = bucketSeconds(minutes);
    const untilMs = Date.now();
    const w = { sinceMs: untilMs - minutes * 60_000, untilMs: untilMs + 1, bucketSeconds: bucket, raw: store.raw };
    const [series, calls, counts, workers, active, recent, totals] = await Promise.all([
      activity(store.driver, w),
      callsByAgentModel(store.driver, w),
      rolloutCounts(store.driver),
      workersSeen(store.driver, w),
      queue.list({ statuses: [...ACTIVE_STATUSES], limit: 20 }),
      runs.list({ limit: 20 }),
      ingestTotals(),
    ]);
    const writer = store.writer.stats;
    const byModel = calls.map((c) => ({ ...c, simulated: isSimulatedModel(c.model) }));
    return {
      now: new Date(untilMs).toISOString(),
      minutes,
      bucket_seconds: bucket,
      raw: store.raw,
      simulated: byModel.some((c) => c.simulated),
      ingest: { ...totals, buffered_rows: writer.bufferedRows, store_healthy: writer.storeHealthy },
      series,
      calls: byModel,
      rollouts: { counts, active },
      workers,
      training: { running: recent.filter((r) => r.status === 'running'), recent: recent.filter((r) => r.status !== 'running').slice(0, 10) },
    };
  });

  app.get('/traces/:trace_id', { schema: { params: TraceParams }, config: { scope: 'read', subject: 'trace id' } }, async (req) => {
    const trace = await readTrace(store.driver, req.params.trace_id, store.raw);
    if (!trace) throw new TracelightError('not_found', `no spans of trace ${req.params.trace_id.toLowerCase()} are stored`);
    return trace;
  });

  app.get('/session', { config: { public: true } }, async (req) => {
    return { auth: keys.enabled, scopes: SCOPES.filter((s) => keys.allows(req.headers.authorization, s)) };
  });
};
