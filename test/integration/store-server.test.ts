// The same store suite through @clickhouse/client: against the ClickHouse-HTTP-interface test server over
// chDB here, and against a real ClickHouse server whenever CLICKHOUSE_URL is set.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { Store } from '../../store/index.js';
import { storeSuite } from '../support/store-suite.js';
import { startClickHouseHttpServer } from '../support/clickhouse-http-server.js';

storeSuite('ClickHouse server driver over the HTTP test server', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tl-chhttp-'));
  const server = await startClickHouseHttpServer({ dataDir: dir, username: 'tracelight', password: 's3cret' });
  const store = await Store.open({ clickhouseUrl: server.url, clickhouseUser: 'tracelight', clickhousePassword: 's3cret', batch: { flushIntervalMs: 20 } });
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
  storeSuite(`real ClickHouse server at ${new URL(realUrl).host}`, async () => {
    // A fresh database per run, so the suite's counts start from zero.
    const database = `tracelight_test_${Date.now()}`;
    const admin = createClient({ url: realUrl });
    await admin.command({ query: `CREATE DATABASE ${database}` });
    const store = await Store.open({ clickhouseUrl: realUrl, clickhouseDatabase: database, batch: { flushIntervalMs: 20 } });
    return {
      store,
      cleanup: async () => {
        await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
        await admin.close();
      },
    };
  });
}
