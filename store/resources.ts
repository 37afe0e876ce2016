// SQL for versioned resources (tables resource_versions and resource_labels, migration 4).
//
// Version numbers are max + 1, assigned under a per-name lock held in this process (the serving process
// owns the store), so concurrent writers of one name get distinct consecutive numbers. The lock is shared
// by every ResourceStore over the same driver. Across processes sharing one ClickHouse server, the
// read-back after each insert finds a lost race (another row for the same number stored first) and takes
// the next number; reads always pick the row stored first, so every reader sees the same version.
import { randomUUID } from 'node:crypto';
import {
  DEFAULT_LABEL,
  ResourceConflictError,
  ResourceNotFoundError,
  type LabelMove,
  type NewVersion,
  type ResourceHistory,
  type ResourceKind,
  type ResourceSummary,
  type ResourceVersion,
} from '../schemas/resources.js';
import type { Driver } from './driver.js';
import { jsonLine } from './json-line.js';

/** Serializes async work per key: each run starts when the previous one for that key has settled. */
export class KeyedMutex {
  private tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

const locks = new WeakMap<Driver, KeyedMutex>();

function lockFor(db: Driver): KeyedMutex {
  let m = locks.get(db);
  if (!m) locks.set(db, (m = new KeyedMutex()));
  return m;
}

interface VersionRow {
  name: string;
  version: number | string;
  kind: string;
  content: string;
  parent: number | string;
  metrics: Record<string, number>;
  author: string;
  created_us: string;
}

const VERSION_COLUMNS = `name, version, kind, content, parent, metrics, author, toString(toUnixTimestamp64Micro(created_at)) AS created_us`;
/** One row per (name, version) even if a cross-process race left two: the one the server stored first. */
const FIRST_PER_VERSION = `ORDER BY name, version, created_at, write_id LIMIT 1 BY name, version`;
/** Reads that keep the latest label row per (name, label), exact without FINAL. */
const LABEL_VERSION = `argMax(version, (seq, moved_at))`;

const MAX_ATTEMPTS = 8;

function isoFromMicros(us: string): string {
  return new Date(Number(BigInt(us) / 1000n)).toISOString();
}

function toVersion(r: VersionRow, labels: Record<string, number>): ResourceVersion {
  const version = Number(r.version);
  return {
    name: r.name,
    version,
    kind: r.kind as ResourceKind,
    content: JSON.parse(r.content) as unknown,
    parent: Number(r.parent) || null,
    metrics: r.metrics,
    labels: Object.entries(labels)
      .filter(([, v]) => v === version)
      .map(([l]) => l)
      .sort(),
    author: r.author === '' ? null : r.author,
    created_at: isoFromMicros(r.created_us),
  };
}

export class ResourceStore {
  private readonly lock: KeyedMutex;

  constructor(private readonly db: Driver) {
    this.lock = lockFor(db);
  }

  /** Latest version number (0 when the name has none) and the name's kind. */
  private async head(name: string): Promise<{ latest: number; kind: ResourceKind | null }> {
    const rows = await this.db.query<{ latest: number | string; kind: string; n: number | string }>(
      `SELECT max(version) AS latest, argMin(kind, (version, created_at, write_id)) AS kind, count() AS n
       FROM resource_versions WHERE name = {name:String}`,
      { name },
    );
    const r = rows[0];
    if (!r || Number(r.n) === 0) return { latest: 0, kind: null };
    return { latest: Number(r.latest), kind: r.kind as ResourceKind };
  }

  async labels(name: string): Promise<Record<string, number>> {
    const rows = await this.db.query<{ label: string; v: number | string }>(
      `SELECT label, ${LABEL_VERSION} AS v FROM resource_labels WHERE name = {name:String} GROUP BY label HAVING v > 0 ORDER BY label`,
      { name },
    );
    return Object.fromEntries(rows.map((r) => [r.label, Number(r.v)]));
  }

  private async insertLabel(name: string, label: string, version: number, author: string | null): Promise<void> {
    // seq orders the moves of a name: above every earlier one (under the lock), near wall-clock time in
    // microseconds so moves made by different processes also order sensibly.
    const rows = await this.db.query<{ s: string }>(`SELECT toString(max(seq)) AS s FROM resource_labels WHERE name = {name:String}`, { name });
    const prev = BigInt(rows[0]?.s ?? '0');
    const now = BigInt(Date.now()) * 1000n;
    const seq = prev >= now ? prev + 1n : now;
    const line = jsonLine({ name, label, version, seq: seq.toString(), author: author ?? '' }, {});
    await this.db.insertJsonEachRow('resource_labels', Buffer.from(`${line}\n`));
  }

  /** Writes the next version of `name`; labels in the input point at it once it is written. */
  async createVersion(name: string, input: NewVersion): Promise<ResourceVersion> {
    return this.lock.run(name, async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const { latest, kind } = await this.head(name);
        if (kind !== null && kind !== input.kind) {
          throw new ResourceConflictError(
            `resource "${name}" is a ${kind}; a new version cannot be a ${input.kind} (the kind of a name is fixed: use another name)`,
          );
        }
        if (input.parent !== null && input.parent > latest) {
          throw new ResourceNotFoundError(
            `parent: resource "${name}" has no version ${input.parent}${latest ? ` (latest is ${latest})` : ' (it has no versions yet)'}`,
          );
        }
        const version = latest + 1;
        const writeId = randomUUID();
        const line = jsonLine(
          {
            name,
            version,
            kind: input.kind,
            content: JSON.stringify(input.content),
            parent: input.parent ?? 0,
            metrics: input.metrics,
            author: input.author ?? '',
            write_id: writeId,
          },
          {},
        );
        await this.db.insertJsonEachRow('resource_versions', Buffer.from(`${line}\n`));
        const stored = await this.db.query<VersionRow & { write_id: string }>(
          `SELECT ${VERSION_COLUMNS}, write_id FROM resource_versions WHERE name = {name:String} AND version = {version:UInt32} ${FIRST_PER_VERSION}`,
          { name, version },
        );
        const first = stored[0];
        if (!first || first.write_id !== writeId) continue; // another process took this number first
        for (const label of input.labels) await this.insertLabel(name, label, version, input.author);
        return toVersion(first, Object.fromEntries(input.labels.map((l) => [l, version])));
      }
      throw new Error(`could not assign a version number to resource "${name}" after ${MAX_ATTEMPTS} attempts (other writers keep taking them)`);
    });
  }

  async getVersion(name: string, version: number): Promise<ResourceVersion | null> {
    const [rows, labels] = await Promise.all([
      this.db.query<VersionRow>(
        `SELECT ${VERSION_COLUMNS} FROM resource_versions WHERE name = {name:String} AND version = {version:UInt32} ${FIRST_PER_VERSION}`,
        { name, version },
      ),
      this.labels(name),
    ]);
    return rows[0] ? toVersion(rows[0], labels) : null;
  }

  /** The version a label points at, a given version, or by default `production`, else the latest. */
  async resolve(name: string, sel: { label?: string; version?: number } = {}): Promise<ResourceVersion> {
    const [{ latest }, labels] = await Promise.all([this.head(name), this.labels(name)]);
    if (latest === 0) throw new ResourceNotFoundError(`no resource "${name}"`);
    let version: number;
    if (sel.version !== undefined) {
      if (sel.version > latest) throw new ResourceNotFoundError(`resource "${name}" has no version ${sel.version} (latest is ${latest})`);
      version = sel.version;
    } else if (sel.label !== undefined) {
      const v = labels[sel.label];
      if (v === undefined)
        throw new ResourceNotFoundError(
          `resource "${name}" has no label "${sel.label}"${Object.keys(labels).length ? ` (labels: ${Object.keys(labels).join(', ')})` : ''}`,
        );
      version = v;
    } else {
      version = labels[DEFAULT_LABEL] ?? latest;
    }
    const rows = await this.db.query<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM resource_versions WHERE name = {name:String} AND version = {version:UInt32} ${FIRST_PER_VERSION}`,
      { name, version },
    );
    if (!rows[0]) throw new ResourceNotFoundError(`resource "${name}" has no version ${version}`);
    return toVersion(rows[0], labels);
  }

  /** Points `label` at `version` (which must exist). */
  async moveLabel(name: string, label: string, version: number, author: string | null = null): Promise<LabelMove> {
    return this.lock.run(name, async () => {
      const { latest } = await this.head(name);
      if (latest === 0) throw new ResourceNotFoundError(`no resource "${name}"`);
      if (version > latest) throw new ResourceNotFoundError(`resource "${name}" has no version ${version} (latest is ${latest})`);
      const previous = (await this.labels(name))[label] ?? null;
      if (previous !== version) await this.insertLabel(name, label, version, author);
      return { name, label, version, previous };
    });
  }

  /** Removes a label; returns the version it pointed at. */
  async removeLabel(name: string, label: string, author: string | null = null): Promise<LabelMove> {
    return this.lock.run(name, async () => {
      const previous = (await this.labels(name))[label];
      if (previous === undefined) {
        const { latest } = await this.head(name);
        throw new ResourceNotFoundError(latest === 0 ? `no resource "${name}"` : `resource "${name}" has no label "${label}"`);
      }
      await this.insertLabel(name, label, 0, author);
      return { name, label, version: 0, previous };
    });
  }

  async list(): Promise<ResourceSummary[]> {
    const [rows, labelRows] = await Promise.all([
      this.db.query<{ name: string; kind: string; latest: number | string; versions: number | string; updated_us: string }>(
        `SELECT name, argMin(kind, (version, created_at, write_id)) AS kind, max(version) AS latest, uniqExact(version) AS versions,
                toString(toUnixTimestamp64Micro(max(created_at))) AS updated_us
         FROM resource_versions GROUP BY name ORDER BY name`,
      ),
      this.db.query<{ name: string; label: string; v: number | string }>(
        `SELECT name, label, ${LABEL_VERSION} AS v FROM resource_labels GROUP BY name, label HAVING v > 0 ORDER BY name, label`,
      ),
    ]);
    const labels = new Map<string, Record<string, number>>();
    for (const r of labelRows) {
      const m = labels.get(r.name) ?? {};
      m[r.label] = Number(r.v);
      labels.set(r.name, m);
    }
    return rows.map((r) => ({
      name: r.name,
      kind: r.kind as ResourceKind,
      latest_version: Number(r.latest),
      versions: Number(r.versions),
      labels: labels.get(r.name) ?? {},
      updated_at: isoFromMicros(r.updated_us),
    }));
  }

  /** Versions newest first, `limit` of them below `before` (a version number; all when omitted). */
  async history(name: string, opts: { limit?: number; before?: number } = {}): Promise<ResourceHistory> {
    const [{ kind }, labels, rows] = await Promise.all([
      this.head(name),
      this.labels(name),
      this.db.query<VersionRow>(
        `SELECT ${VERSION_COLUMNS} FROM resource_versions
         WHERE name = {name:String} AND version < {before:UInt64}
         ORDER BY name, version DESC, created_at, write_id LIMIT 1 BY name, version
         LIMIT {limit:UInt32}`,
        { name, before: opts.before ?? 4_294_967_296, limit: opts.limit ?? 100 },
      ),
    ]);
    if (kind === null) throw new ResourceNotFoundError(`no resource "${name}"`);
    return { name, kind, labels, versions: rows.map((r) => toVersion(r, labels)) };
  }
}
