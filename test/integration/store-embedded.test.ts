import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../store/index.js';
import { storeSuite } from '../support/store-suite.js';

storeSuite('embedded chDB', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tl-store-'));
  const store = await Store.open({ dataDir: dir, batch: { flushIntervalMs: 20 } });
  return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
});
