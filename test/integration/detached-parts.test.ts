// A truncated part file: the engine moves the part aside at start (`broken-on-start_…`) and its rows vanish
// from every query. The server must say so: on stderr at start, on /readyz and on /metrics.
import { mkdtempSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startServer } from '../../server/server.js';
import { encodeProtoRequest, makeSpans } from '../support/otlp-payloads.js';

const dataDir = mkdtempSync(join(tmpdir(), 'tl-detached-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('reports parts the engine detached at start, loudly, instead of answering "ready"', async () => {
  let server = await startServer({ host: '127.0.0.1', port: 0, grpcPort: null, store: { dataDir, batch: { flushIntervalMs: 10 } } });
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${server.httpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: encodeProtoRequest(makeSpans({ count: 200, contentBytes: 256 })),
    });
    expect(res.status).toBe(200);
  }
  await server.store.writer.drain();
  const [part] = await server.store.driver.query<{ path: string }>(
    "SELECT path FROM system.parts WHERE database = currentDatabase() AND table = 'otel_traces' AND active ORDER BY rows DESC LIMIT 1",
  );
  expect(part).toBeDefined();
  expect((await (await fetch(`${server.httpUrl}/readyz`)).json()) as object).toMatchObject({ status: 'ready' });
  await server.close();

  for (const f of readdirSync(part!.path)) if (f.endsWith('.bin')) truncateSync(join(part!.path, f), 7);

  const warnings: string[] = [];
  server = await startServer({ host: '127.0.0.1', port: 0, grpcPort: null, store: { dataDir }, warn: (l) => warnings.push(l) });
  try {
    expect(warnings.join('\n')).toMatch(/WARNING: 1 part\(s\) of the store were detached .*otel_traces\/broken-on-start_/);
    const ready = await fetch(`${server.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'degraded', detached_parts: 1 });
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^tracelight_detached_parts 1$/m);
  } finally {
    await server.close();
  }
});
