// The resource store through @clickhouse/client: against the ClickHouse-HTTP-interface test server over
// chDB here, and against a real ClickHouse server whenever CLICKHOUSE_URL is set. (The embedded driver runs
// the same suite in resources-store-embedded.test.ts: chDB allows one data directory per process.)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { Store } from '../../store/index.js';
import { startClickHouseHttpServer } from '../support/clickhouse-http-server.js';
import { resourceStoreSuite } from '../support/resource-store-suite.js';

resourceStoreSuite('ClickHouse server driver over the HTTP test server', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tl-res-chhttp-'));
  const server = await startClickHouseHttpServer({ dataDir: dir });
  const store = await Store.open({ clickhouseUrl: server.url });
  return {
    store,
    cleanup: async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

const realUrl = process.env.CLICKHOUSE_URL;
if (realUrl) {
  resourceStoreSuite(`real ClickHouse server at ${new URL(realUrl).host}`, async () => {
    const database = `tracelight_res_test_${Date.now()}`;
    const admin = createClient({ url: realUrl });
    await admin.command({ query: `CREATE DATABASE ${database}` });
    const store = await Store.open({ clickhouseUrl: realUrl, clickhouseDatabase: database });
    return {
      store,
      cleanup: async () => {
        await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
        await admin.close();
      },
    };
  });
}
