// ResourceStore behaviour that must hold on every driver (embedded chDB and a ClickHouse server): version
// numbering under concurrency, kind and parent checks, label moves read without FINAL, history, and a
// version-number race lost to another process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceConflictError, ResourceNotFoundError, type NewVersion } from '../../schemas/resources.js';
import { ResourceStore, type Driver, type Store } from '../../store/index.js';

export function newVersion(over: Partial<NewVersion> = {}): NewVersion {
  return { kind: 'json', content: { n: 1 }, parent: null, metrics: {}, labels: [], author: null, ...over };
}

/**
 * A driver that, on its first insert into resource_versions, first lets "another process" store a row with
 * the same (name, version): what two servers sharing one ClickHouse could do without a common lock.
 */
export function racingDriver(inner: Driver): Driver & { competitor: string } {
  let raced = false;
  const competitor = 'competitor-write';
  return {
    kind: inner.kind,
    location: inner.location,
    competitor,
    query: (sql, params, opts) => inner.query(sql, params, opts),
    queryText: (sql, params) => inner.queryText(sql, params),
    exec: (sql, params) => inner.exec(sql, params),
    ping: () => inner.ping(),
    close: () => inner.close(),
    async insertJsonEachRow(table, rows) {
      if (table === 'resource_versions' && !raced) {
        raced = true;
        const mine = JSON.parse(rows.toString('utf8')) as Record<string, unknown>;
        await inner.insertJsonEachRow(
          table,
          Buffer.from(`${JSON.stringify({ ...mine, content: JSON.stringify({ from: 'other process' }), write_id: competitor })}\n`),
        );
      }
      return inner.insertJsonEachRow(table, rows);
    },
  };
}

export function resourceStoreSuite(name: string, open: () => Promise<{ store: Store; cleanup(): Promise<void> }>): void {
  describe(`resource store (${name})`, () => {
    let store: Store;
    let rs: ResourceStore;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      ({ store, cleanup } = await open());
      rs = new ResourceStore(store.driver);
    });
    afterAll(async () => {
      await store?.close();
      await cleanup?.();
    });

    it('numbers versions per name, and concurrent writers of one name get distinct consecutive numbers', async () => {
      expect((await rs.createVersion('s-a', newVersion())).version).toBe(1);
      expect((await rs.createVersion('s-b', newVersion())).version).toBe(1);
      const many = await Promise.all(Array.from({ length: 12 }, (_, i) => rs.createVersion('s-a', newVersion({ content: { i } }))));
      expect(many.map((v) => v.version).sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i + 2));
      // Two ResourceStores over one driver share the lock.
      const other = new ResourceStore(store.driver);
      const both = await Promise.all([rs.createVersion('s-b', newVersion()), other.createVersion('s-b', newVersion())]);
      expect(both.map((v) => v.version).sort()).toEqual([2, 3]);
      for (const v of many) expect((await rs.getVersion('s-a', v.version))?.content).toEqual(v.content);
    });

    it('keeps the kind fixed and checks the parent', async () => {
      await expect(rs.createVersion('s-a', newVersion({ kind: 'llm', content: { endpoint: 'http://x', model: 'm' } }))).rejects.toThrow(ResourceConflictError);
      await expect(rs.createVersion('s-a', newVersion({ parent: 99 }))).rejects.toThrow('parent: resource "s-a" has no version 99 (latest is 13)');
      await expect(rs.createVersion('s-new', newVersion({ parent: 1 }))).rejects.toThrow(ResourceNotFoundError);
      expect((await rs.createVersion('s-a', newVersion({ parent: 13, metrics: { acc: 0.75 }, author: 'apo-run-1' }))).parent).toBe(13);
    });

    it('moves labels (the latest move wins, read without FINAL), and resolves production, else latest', async () => {
      expect((await rs.resolve('s-b')).version).toBe(3);
      expect(await rs.moveLabel('s-b', 'production', 1)).toEqual({ name: 's-b', label: 'production', version: 1, previous: null });
      expect((await rs.resolve('s-b')).version).toBe(1);
      for (const v of [2, 3, 2]) await rs.moveLabel('s-b', 'production', v);
      await rs.moveLabel('s-b', 'candidate', 3);
      expect(await rs.labels('s-b')).toEqual({ candidate: 3, production: 2 });
      const resolved = await rs.resolve('s-b', { label: 'production' });
      expect({ version: resolved.version, labels: resolved.labels }).toEqual({ version: 2, labels: ['production'] });
      expect((await rs.resolve('s-b', { version: 3 })).labels).toEqual(['candidate']);
      await expect(rs.moveLabel('s-b', 'production', 4)).rejects.toThrow('resource "s-b" has no version 4 (latest is 3)');
      await expect(rs.resolve('s-b', { label: 'staging' })).rejects.toThrow('resource "s-b" has no label "staging" (labels: candidate, production)');
      expect(await rs.removeLabel('s-b', 'candidate')).toMatchObject({ previous: 3 });
      expect(await rs.labels('s-b')).toEqual({ production: 2 });
      const rows = await store.driver.query<{ n: string }>(`SELECT count() AS n FROM resource_labels WHERE name = 's-b'`);
      expect(Number(rows[0]?.n)).toBeGreaterThanOrEqual(1);
    });

    it('lists names and returns history newest first, in pages', async () => {
      const list = await rs.list();
      expect(
        list
          .filter((r) => r.name.startsWith('s-'))
          .map((r) => ({ name: r.name, kind: r.kind, latest: r.latest_version, versions: r.versions, labels: r.labels })),
      ).toEqual([
        { name: 's-a', kind: 'json', latest: 14, versions: 14, labels: {} },
        { name: 's-b', kind: 'json', latest: 3, versions: 3, labels: { production: 2 } },
      ]);
      const page = await rs.history('s-a', { limit: 5 });
      expect(page.versions.map((v) => v.version)).toEqual([14, 13, 12, 11, 10]);
      expect(page.versions[0]).toMatchObject({ metrics: { acc: 0.75 }, author: 'apo-run-1', parent: 13 });
      expect((await rs.history('s-a', { limit: 5, before: 3 })).versions.map((v) => v.version)).toEqual([2, 1]);
      await expect(rs.history('nope')).rejects.toThrow('no resource "nope"');
    });

    it('a writer that loses a version-number race to another process takes the next number; every reader sees the winner', async () => {
      const racing = racingDriver(store.driver);
      const loser = new ResourceStore(racing);
      const v = await loser.createVersion('s-race', newVersion({ content: { from: 'this process' } }));
      expect(v.version).toBe(2);
      expect((await rs.getVersion('s-race', 1))?.content).toEqual({ from: 'other process' });
      expect((await rs.getVersion('s-race', 2))?.content).toEqual({ from: 'this process' });
      expect((await rs.history('s-race')).versions.map((x) => x.content)).toEqual([{ from: 'this process' }, { from: 'other process' }]);
      expect((await rs.list()).find((r) => r.name === 's-race')).toMatchObject({ latest_version: 2, versions: 2 });
    });
  });
}
