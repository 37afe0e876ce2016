// Back-pressure end to end: tracelight on a ClickHouse server (the HTTP test server over chDB) behind a
// TCP proxy that can stall or drop the connection, so "the store is stalled" and "the store is down" are
// real network conditions, not flags.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../server/server.js';
import { startClickHouseHttpServer, type ClickHouseHttpTestServer } from '../support/clickhouse-http-server.js';
import { protoSpanRequest } from '../support/otlp-payloads.js';

class StallingProxy {
  private server: net.Server;
  private sockets = new Set<net.Socket>();
  stalled = false;
  refusing = false;
  port = 0;

  constructor(private readonly target: number) {
    this.server = net.createServer((client) => {
      if (this.refusing) return client.destroy();
      const upstream = net.connect(this.target, '127.0.0.1');
      this.sockets.add(client).add(upstream);
      if (this.stalled) client.pause();
      client.pipe(upstream).pipe(client);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      (client as net.Socket & { isClient?: boolean }).isClient = true;
    });
  }
  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }
  stall(): void {
    this.stalled = true;
    for (const s of this.sockets) if ((s as net.Socket & { isClient?: boolean }).isClient) s.pause();
  }
  resume(): void {
    this.stalled = false;
    for (const s of this.sockets) s.resume();
  }
  /** Drops every connection and refuses new ones: the store is down. */
  down(): void {
    this.refusing = true;
    for (const s of this.sockets) s.destroy();
  }
  up(): void {
    this.refusing = false;
  }
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

describe('back-pressure with a stalled or failing store', () => {
  let dir: string;
  let ch: ClickHouseHttpTestServer;
  let proxy: StallingProxy;
  let server: RunningServer;
  const acknowledged = new Set<string>();

  const send = async (n: number): Promise<{ status: number; retryAfter: string | null; spanIds: string[] }> => {
    const req = protoSpanRequest({ count: n, contentBytes: 2048, run: 'bp' });
    const res = await fetch(`${server.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: req.body });
    await res.arrayBuffer();
    if (res.status === 200) for (const id of req.spanIds) acknowledged.add(id);
    return { status: res.status, retryAfter: res.headers.get('retry-after'), spanIds: req.spanIds };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-bp-'));
    ch = await startClickHouseHttpServer({ dataDir: dir });
    proxy = new StallingProxy(ch.port);
    await proxy.listen();
    server = await startServer({
      host: '127.0.0.1',
      port: 0,
      grpcPort: null,
      store: { clickhouseUrl: `http://127.0.0.1:${proxy.port}`, batch: { flushIntervalMs: 10, maxBufferedBytes: 1024 * 1024 } },
    });
  });
  afterAll(async () => {
    proxy.resume();
    await server?.close();
    await proxy?.close();
    await ch?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 429 with Retry-After while the store is stalled, keeps memory bounded, and stores every acknowledged span after recovery', async () => {
    expect((await send(10)).status).toBe(200);
    proxy.stall();
    const inFlight = Array.from({ length: 60 }, () => send(20));
    const early = await Promise.race([Promise.all(inFlight.slice(40)), new Promise((r) => setTimeout(r, 3000))]);
    const refused = ((early ?? []) as { status: number; retryAfter: string | null }[]).filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(server.store.writer.stats.bufferedBytes).toBeLessThanOrEqual(1024 * 1024 + 20 * 2400);
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/tracelight_rejected_total\{signal="spans",transport="http",reason="backpressure"\} [1-9]/);

    proxy.resume();
    const results = await Promise.all(inFlight);
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect(results.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    const rows = (
      await server.store.driver.query<{ n: string }>(
        "SELECT count() AS n FROM otel_traces WHERE SpanAttributes['test.run'] = 'bp' AND SpanId IN {ids:Array(String)}",
        { ids: [...acknowledged] },
      )
    )[0];
    expect(Number(rows?.n)).toBe(acknowledged.size);
  });

  it('answers 503 with Retry-After while the store is down, and accepts again once it is back', async () => {
    proxy.down();
    const first = await send(5);
    expect(first.status).toBe(503);
    expect(Number(first.retryAfter)).toBeGreaterThanOrEqual(1);
    const second = await send(5);
    expect(second.status).toBe(503);
    expect((await fetch(`${server.httpUrl}/readyz`)).status).toBe(503);
    proxy.up();
    let status = 0;
    for (let i = 0; i < 80 && status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 250));
      status = (await send(5)).status;
    }
    expect(status).toBe(200);
    const rows = (
      await server.store.driver.query<{ n: string }>('SELECT count() AS n FROM otel_traces WHERE SpanId IN {ids:Array(String)}', { ids: [...acknowledged] })
    )[0];
    expect(Number(rows?.n)).toBe(acknowledged.size);
  });
});
