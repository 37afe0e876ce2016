// The tracelight server: OTLP/HTTP and the REST API on one port (4318), OTLP/gRPC on 4317, health and
// Prometheus metrics. It owns the store (chDB allows one data directory per process).
import Fastify, { type FastifyInstance } from 'fastify';
import type { AglGatewayOptions } from '../api/agl-gateway.js';
import { registerApi } from '../api/index.js';
import { ApiKeys, installAuth, requestHas, UNAUTHORIZED_MESSAGE, type KeySpec } from '../api/auth.js';
import { RolloutQueue, resourceStoreResolver, type QueueOptions } from '../queue/rollout-queue.js';
import { AglLightningStore } from '../queue/agl-store.js';
import { decompressBody } from '../receiver/body-decompression.js';
import { ActivityForwarder } from '../receiver/activity-forwarder.js';
import { Ingestor } from '../receiver/ingest.js';
import { ReceiverMetrics } from '../receiver/metrics.js';
import { decodeTracesProto } from '../receiver/codec/index.js';
import { registerOtlpHttp } from '../receiver/otlp-http.js';
import { startOtlpGrpc } from '../receiver/otlp-grpc.js';
import type { AglLlmFactory, OtlpTraceSink } from '../schemas/agl-gateway.js';
import { TracelightError } from '../schemas/errors.js';
import { ResourceStore, Store, type StoreConfig } from '../store/index.js';
import { startClickHouseHttpEndpoint, type ClickHouseHttpEndpoint, type ClickHouseHttpLimits } from './clickhouse-http.js';
import { installErrorHandler } from './errors.js';
import { registerWebUi } from './web-ui.js';
import { VERSION } from './version.js';

export interface ServerOptions {
  host: string;
  port: number;
  /** OTLP/gRPC port; null disables gRPC. */
  grpcPort: number | null;
  /** API keys: `KEY` (every scope), `scope+scope:KEY`, or a parsed spec. */
  apiKeys: readonly (string | KeySpec)[];
  /** Serve /metrics without a key (for a Prometheus scraper inside a trusted network). */
  metricsPublic: boolean;
  /** Most spans or log records one OTLP request may carry. */
  maxItemsPerRequest: number;
  /** Largest request body accepted, after decompression. */
  maxBodyBytes: number;
  store: StoreConfig;
  logger?: boolean;
  /** Where start-up warnings go (default: stderr). */
  warn?: (line: string) => void;
  /** Rollout queue settings (deadline sweep interval, …); resources default to the store's. */
  queue?: Partial<QueueOptions>;
  /**
   * `all` (default): one process serves everything. `receiver`: OTLP ingest, health and metrics only, into a
   * ClickHouse server shared with other receivers; the rollout queue, scheduler, REST API and web UI live in
   * the one owner process at `owner.url`, which is sent the attempt ids seen in spans (heartbeats).
   */
  role: ServerRole;
  owner?: { url: string; apiKey?: string };
  /** Port of the read-only ClickHouse HTTP endpoint over the embedded store (for Grafana and ClickHouse clients); null: off. */
  clickhouseHttpPort: number | null;
  /** Bounds on that endpoint's requests (its queries have the store's SQL limits). */
  clickhouseHttp?: Partial<ClickHouseHttpLimits>;
  /**
   * Agent Lightning v1's gateway: its model routing, and `llm`, the LLM proxy's call path (instrumentation/proxy/
   * gateway.ts, which this layer cannot import) given the ingest path for its spans; without it the proxy route
   * answers 503.
   */
  agl?: Partial<Omit<AglGatewayOptions, 'llm'>> & { llm?: AglLlmFactory };
}

export type ServerRole = 'all' | 'receiver';

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  host: '127.0.0.1',
  port: 4318,
  grpcPort: 4317,
  apiKeys: [],
  metricsPublic: false,
  // Decoding, normalizing and encoding cost ~13 µs per minimal span on the event loop: 20,000 holds it ~0.3 s.
  maxItemsPerRequest: 20_000,
  maxBodyBytes: 32 * 1024 * 1024,
  store: {},
  clickhouseHttpPort: null,
  role: 'all',
};

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  /** Null on a receiver: its owner has the queue. */
  queue: RolloutQueue | null;
  metrics: ReceiverMetrics;
  httpUrl: string;
  grpcPort: number | null;
  /** The read-only ClickHouse HTTP endpoint's URL, when it is on. */
  clickhouseHttpUrl: string | null;
  /** Every HTTP route served (method and path as registered), for the API description's coverage. */
  routes: readonly { method: string; url: string }[];
  /** Stops accepting, drains buffered writes into the store, closes it. */
  close(): Promise<void>;
}

const CLOSE_GRACE_MS = 5000;

export async function startServer(partial: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const opts: ServerOptions = { ...DEFAULT_SERVER_OPTIONS, ...partial };
  // Checked before the store opens: a ClickHouse server is read by its own clients, not through this process.
  if (opts.clickhouseHttpPort !== null && opts.store.clickhouseUrl)
    throw new TracelightError(
      'invalid',
      'the ClickHouse HTTP endpoint (--clickhouse-http-port) serves the embedded store; with --clickhouse-url, point Grafana at that ClickHouse server with a read-only user',
    );
  const receiverOnly = opts.role === 'receiver';
  if (receiverOnly && !opts.store.clickhouseUrl)
    throw new TracelightError('invalid', 'a receiver (--role receiver) writes to a ClickHouse server shared with its owner: set --clickhouse-url');
  if (receiverOnly && !opts.owner?.url)
    throw new TracelightError('invalid', 'a receiver (--role receiver) needs --owner-url, the serving process that owns the rollout queue');
  const metrics = new ReceiverMetrics();
  const store = await Store.open({ ...opts.store, observer: metrics.observer() });
  const keys = new ApiKeys(opts.apiKeys);
  // The serving process owns the rollout queue: it reloads unfinished rollouts before serving.
  const resources = new ResourceStore(store.driver);
  const queue = receiverOnly ? null : new RolloutQueue(store, { resources: resourceStoreResolver(resources), ...opts.queue });
  const forwarder =
    receiverOnly && opts.owner
      ? new ActivityForwarder({
          ownerUrl: opts.owner.url,
          ...(opts.owner.apiKey ? { apiKey: opts.owner.apiKey } : {}),
          onPost: (outcome, ids) => metrics.forwardedHeartbeats.inc({ outcome }, ids),
          ...(opts.warn ? { warn: opts.warn } : {}),
        })
      : null;
  // Agent Lightning's LightningStore over the queue; its REST spans take the OTLP path (ingestor, below).
  const aglStore = queue ? new AglLightningStore({ store, queue, resources, writeSpans: (spans, extra) => ingestor.writeSpans(spans, extra) }) : null;
  try {
    await queue?.start();
    await aglStore?.start();
  } catch (err) {
    await aglStore?.close().catch(() => undefined);
    await queue?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }
  // Rows in a detached part answer no query: a server that says "ready" over them loses data silently.
  const detached = async (): Promise<{ table: string; name: string; reason: string }[]> => {
    const parts = await store.detachedParts();
    metrics.detachedParts.set(parts.length);
    return parts;
  };
  const atStart = await store
    .waitForParts()
    .then(detached)
    .catch(() => []);
  if (atStart.length > 0) {
    (opts.warn ?? ((l: string) => process.stderr.write(`${l}\n`)))(
      `tracelight: WARNING: ${atStart.length} part(s) of the store were detached by the engine and their rows are missing from every query: ` +
        `${atStart.map((p) => `${p.table}/${p.name} (${p.reason})`).join(', ')}; see "Recovering detached parts" in the README`,
    );
  }
  const ingestor = new Ingestor(
    store,
    metrics,
    queue ?? forwarder ?? undefined,
    opts.maxItemsPerRequest,
    aglStore ? { rowsFor: (spans) => aglStore.otlpRows(spans) } : undefined,
  );

  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.maxBodyBytes,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 256 } /* resource names are up to 128 characters */,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/x-protobuf', 'application/protobuf'], { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    // OTLP/JSON is decoded by the OTLP codec itself; the REST API gets parsed JSON.
    if (req.routeOptions.config.otlp === true) return done(null, body);
    try {
      done(null, (body as Buffer).length === 0 ? {} : JSON.parse((body as Buffer).toString('utf8')));
    } catch (err) {
      done(new TracelightError('invalid', `request body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });
  app.addHook('preParsing', async (req, _reply, payload) => decompressBody(req, payload));
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url });
  });
  installAuth(app, keys);
  // On a receiver anything but OTLP and health is misdirected: the answer names where it belongs.
  installErrorHandler(app, {
    maxBodyBytes: opts.maxBodyBytes,
    ...(receiverOnly ? { notFoundHint: `this is a receiver (OTLP only); the REST API and web UI are served by ${opts.owner?.url}` } : {}),
  });

  // The API (and its description) first, so the description sees every route after it, OTLP's too.
  if (queue) {
    // The gateway's LLM calls take the OTLP path's decode, normalize and write, as if an exporter had sent them.
    const ingestSpans: OtlpTraceSink = async (bytes) => {
      const outcome = await ingestor.traces(decodeTracesProto(bytes), 'http');
      if (!outcome.ok) {
        const retry = 'retryAfterSeconds' in outcome ? { retryAfterSeconds: outcome.retryAfterSeconds } : {};
        const kind = outcome.status === 429 ? 'backpressure' : outcome.status === 503 ? 'unavailable' : outcome.status === 413 ? 'too_large' : 'invalid';
        throw new TracelightError(kind, `the LLM call was not stored: ${outcome.message}`, retry);
      }
    };
    const { llm: aglLlm, ...aglOptions } = opts.agl ?? {};
    const agl = { ...aglOptions, ...(aglLlm ? { llm: aglLlm(ingestSpans) } : {}) };
    await registerApi(app, { store, resources, queue, keys, ingestTotals: () => metrics.ingestTotals(), agl, ...(aglStore ? { aglStore } : {}) }, VERSION);
    await registerWebUi(app);
  }
  registerOtlpHttp(app, ingestor, metrics);
  app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok' }));
  // Open, so orchestrators can probe it; where the data lives and the engine's own words only for a key
  // that may read.
  app.get('/readyz', { config: { public: true } }, async (req, reply) => {
    const detailed = requestHas(keys, req, 'read');
    try {
      await store.driver.ping();
      const w = store.writer.stats;
      if (!w.storeHealthy) return reply.code(503).send({ status: 'store failing', ...(detailed ? { error: w.lastError } : {}) });
      // A server user without access to system.detached_parts still gets its readiness answered.
      const parts = await detached().catch(() => []);
      // Still serving (refusing ingest would lose more), but not quietly.
      const health = parts.length > 0 ? { status: 'degraded', detached_parts: parts.length } : { status: 'ready' };
      return {
        ...health,
        store: store.driver.kind,
        ...(detailed ? { location: store.driver.location, buffered_rows: w.bufferedRows, ...(parts.length ? { detached: parts } : {}) } : {}),
      };
    } catch (err) {
      return reply.code(503).send({ status: 'store unreachable', ...(detailed ? { error: (err as Error).message } : {}) });
    }
  });
  app.get('/metrics', { config: opts.metricsPublic ? { public: true } : { scope: 'read' } }, async (_req, reply) => {
    const w = store.writer.stats;
    metrics.queueRows.set(w.bufferedRows);
    metrics.queueBytes.set(w.bufferedBytes);
    await detached().catch(() => undefined);
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  let grpc: { port: number; close(): Promise<void> } | null = null;
  let clickhouseHttp: ClickHouseHttpEndpoint | null = null;
  try {
    await app.listen({ host: opts.host, port: opts.port });
    if (opts.clickhouseHttpPort !== null)
      clickhouseHttp = await startClickHouseHttpEndpoint({
        host: opts.host,
        port: opts.clickhouseHttpPort,
        store,
        keys,
        registry: metrics.registry,
        ...(opts.clickhouseHttp ? { limits: opts.clickhouseHttp } : {}),
      });
    if (opts.grpcPort !== null)
      grpc = await startOtlpGrpc(
        {
          host: opts.host,
          port: opts.grpcPort,
          maxReceiveMessageBytes: opts.maxBodyBytes,
          authorize: (auth) => (keys.allows(auth, 'ingest') ? null : UNAUTHORIZED_MESSAGE),
        },
        ingestor,
        metrics,
      );
  } catch (err) {
    await clickhouseHttp?.close().catch(() => undefined);
    await app.close().catch(() => undefined);
    await queue?.close().catch(() => undefined);
    await aglStore?.close().catch(() => undefined);
    await forwarder?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const hostForUrl = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  let closing: Promise<void> | null = null;
  return {
    app,
    store,
    queue,
    metrics,
    httpUrl: `http://${hostForUrl}:${port}`,
    grpcPort: grpc?.port ?? null,
    clickhouseHttpUrl: clickhouseHttp?.url ?? null,
    routes,
    close: () =>
      (closing ??= (async () => {
        queue?.stop(); // answers long-polling claims and waits, so closing the server does not wait for them
        // Node 20 does not count a keep-alive connection that never sent a request as idle, so one such
        // client would hold shutdown until its header timeout; after a grace period, cut what is left.
        const cut = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
        await Promise.all([app.close(), grpc?.close(), clickhouseHttp?.close()]).finally(() => clearTimeout(cut));
        await queue?.close();
        await aglStore?.close();
        await forwarder?.close();
        await store.close();
      })()),
  };
}
