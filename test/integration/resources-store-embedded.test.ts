// The resource store on embedded chDB (the same suite runs over a ClickHouse server in resources-store-server.test.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../store/index.js';
import { resourceStoreSuite } from '../support/resource-store-suite.js';

resourceStoreSuite('embedded chDB', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tl-res-embedded-'));
  const store = await Store.open({ dataDir: dir });
  return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
});
