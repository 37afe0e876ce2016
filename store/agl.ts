// SQL for Agent Lightning's LightningStore API (queue/agl-store.ts; tables of migration 13). Rollouts and attempts are
// the rollout queue's own rows (store/rollouts.ts); this file holds what Agent Lightning has beyond them:
//
// - agl_spans: each span as Agent Lightning's JSON (typed attributes, extra fields) with its rollout, attempt and
//   sequence id. The same span is in otel_traces too (written in the same acknowledged batch), where the
//   normalizers read it. A span id repeated within an attempt (an exporter's retry) is stored again and read once:
//   the first write wins, as Agent Lightning refuses the duplicate.
// - agl_span_sequences: the sequence ids handed out by `spans/next` without a span yet, so none is issued twice
//   across a restart (the counter restarts at the largest id stored in either table).
// - agl_workers: one row per change of a worker, the newest (highest version) is its state.
// - agl_resources: one row per change of a resources snapshot (`resources_id` → the tracelight resource version of
//   each named resource), the newest is its state.
import type { AglSpan, AglWorker } from '../schemas/agl.js';
import { BatchWriter, type BatchWriterOptions, type TableRows } from './batch-writer.js';
import type { Driver } from './driver.js';
import { jsonLine } from './json-line.js';
import { LATEST_ROLLOUTS } from './rollouts.js';

export interface AglSnapshotRow {
  resources_id: string;
  version: number;
  create_time: number;
  update_time: number;
  /** Resource name → tracelight resource version. */
  pins: Record<string, number>;
  write_seq: number;
}

export interface AglRolloutPageQuery {
  statuses: readonly string[] | null;
  ids: readonly string[] | null;
  contains: string | null;
  logic: 'and' | 'or';
  sortBy: string | null;
  order: 'asc' | 'desc';
  limit: number;
  offset: number;
}

// Agent Lightning's sort keys over the rollout rows; a missing *_time sorts as +infinity, as in its collections.
const ROLLOUT_SORT: Readonly<Record<string, { expr: string; nullsAsInf?: boolean }>> = {
  rollout_id: { expr: 'rollout_id' },
  input: { expr: 'input' },
  start_time: { expr: 'enqueued_ms' },
  end_time: { expr: 'ended_ms', nullsAsInf: true },
  mode: { expr: 'mode' },
  resources_id: { expr: 'resources_id' },
  status: { expr: 'status' },
  config: { expr: 'config' },
  metadata: { expr: 'metadata' },
};
// Creation order (Agent Lightning's insertion order breaks ties); rows from before created_seq existed use their enqueue time.
const CREATED = 'if(created_seq = 0, toUInt64(enqueued_ms) * 1000, created_seq), rollout_id';

export class AglStore {
  private writer: BatchWriter | null = null;

  constructor(
    private readonly db: Driver,
    private readonly writerOptions: Partial<BatchWriterOptions> = {},
  ) {}

  // Waited on by the requests that change them, so a short interval like the queue's.
  private write(rows: TableRows[]): Promise<void> {
    const w = (this.writer ??= new BatchWriter(this.db, {
      flushIntervalMs: 2,
      maxBatchRows: 5_000,
      maxBufferedBytes: 64 * 1024 * 1024,
      ...this.writerOptions,
    }));
    return w.write(rows);
  }

  /** agl_spans rows for spans about to be written with their raw and derived rows (Store.writeTelemetry's `extra`). */
  spanRows(spans: readonly { span: AglSpan; writeSeq: number }[]): TableRows {
    return {
      table: 'agl_spans',
      lines: spans.map(({ span, writeSeq }) =>
        jsonLine(
          {
            rollout_id: span.rollout_id,
            attempt_id: span.attempt_id,
            span_id: span.span_id,
            sequence_id: span.sequence_id,
            trace_id: span.trace_id,
            name: span.name,
            span: JSON.stringify(span),
            write_seq: writeSeq,
          },
          {},
        ),
      ),
    };
  }

  /** A rollout's spans (of one attempt, or all), each span id once per attempt (the first written), in write order. */
  async spans(rolloutId: string, attemptId: string | null): Promise<AglSpan[]> {
    const rows = await this.db.query<{ span: string }>(
      `SELECT span FROM (
         SELECT span, attempt_id, span_id, write_seq FROM agl_spans
         WHERE rollout_id = {rollout:String} AND ({attempt:String} = '' OR attempt_id = {attempt:String})
         ORDER BY attempt_id, span_id, write_seq LIMIT 1 BY attempt_id, span_id)
       ORDER BY write_seq`,
      { rollout: rolloutId, attempt: attemptId ?? '' },
    );
    return rows.map((r) => JSON.parse(r.span) as AglSpan);
  }

  async hasSpan(rolloutId: string, attemptId: string, spanId: string): Promise<boolean> {
    const rows = await this.db.query<{ n: string | number }>(
      `SELECT count() AS n FROM agl_spans WHERE rollout_id = {rollout:String} AND attempt_id = {attempt:String} AND span_id = {span:String}`,
      { rollout: rolloutId, attempt: attemptId, span: spanId },
    );
    return Number(rows[0]?.n ?? 0) > 0;
  }

  /** The largest sequence id a rollout has used so far (0 when none). */
  async maxSequence(rolloutId: string): Promise<number> {
    const rows = await this.db.query<{ m: string | number }>(
      `SELECT greatest(
         (SELECT max(sequence_id) FROM agl_spans WHERE rollout_id = {rollout:String}),
         (SELECT max(sequence_id) FROM agl_span_sequences WHERE rollout_id = {rollout:String})) AS m`,
      { rollout: rolloutId },
    );
    return Number(rows[0]?.m ?? 0);
  }

  writeSequence(rolloutId: string, sequenceId: number): Promise<void> {
    return this.write([{ table: 'agl_span_sequences', lines: [jsonLine({ rollout_id: rolloutId, sequence_id: sequenceId }, {})] }]);
  }

  async countSpans(): Promise<number> {
    const rows = await this.db.query<{ n: string | number }>(`SELECT count() AS n FROM (SELECT 1 FROM agl_spans GROUP BY rollout_id, attempt_id, span_id)`);
    return Number(rows[0]?.n ?? 0);
  }

  writeWorkers(workers: readonly { worker: AglWorker; version: number }[]): Promise<void> {
    if (workers.length === 0) return Promise.resolve();
    const lines = workers.map(({ worker, version }) => jsonLine({ worker_id: worker.worker_id, state: JSON.stringify(worker), version }, {}));
    return this.write([{ table: 'agl_workers', lines }]);
  }

  /** Every worker's newest state, in the order they first appeared. */
  async loadWorkers(): Promise<AglWorker[]> {
    const rows = await this.db.query<{ state: string }>(
      `SELECT argMax(state, version) AS state, min(version) AS first FROM agl_workers GROUP BY worker_id ORDER BY first, worker_id`,
    );
    return rows.map((r) => JSON.parse(r.state) as AglWorker);
  }

  writeSnapshot(s: AglSnapshotRow): Promise<void> {
    const line = jsonLine({ ...s, pins: JSON.stringify(s.pins) }, {});
    return this.write([{ table: 'agl_resources', lines: [line] }]);
  }

  /** Every snapshot's newest state, oldest snapshot first. */
  async loadSnapshots(): Promise<AglSnapshotRow[]> {
    const rows = await this.db.query<{
      resources_id: string;
      version: number | string;
      create_time: number;
      update_time: number;
      pins: string;
      write_seq: number | string;
    }>(
      `SELECT resources_id, version, create_time, update_time, pins, write_seq FROM agl_resources
       ORDER BY resources_id, write_seq DESC LIMIT 1 BY resources_id`,
    );
    return rows
      .map((r) => ({
        resources_id: r.resources_id,
        version: Number(r.version),
        create_time: Number(r.create_time),
        update_time: Number(r.update_time),
        pins: JSON.parse(r.pins) as Record<string, number>,
        write_seq: Number(r.write_seq),
      }))
      .sort((a, b) => a.create_time - b.create_time || a.resources_id.localeCompare(b.resources_id));
  }

  /**
   * One page of rollout ids by Agent Lightning's query semantics (conditions pooled under one `and` / `or`, a
   * stable sort with creation order breaking ties), and how many match in all.
   */
  async rolloutPage(q: AglRolloutPageQuery): Promise<{ ids: string[]; total: number }> {
    const conds: string[] = [];
    if (q.statuses !== null) conds.push('has({statuses:Array(String)}, status)');
    if (q.ids !== null) conds.push('has({ids:Array(String)}, rollout_id)');
    if (q.contains !== null) conds.push('position(rollout_id, {contains:String}) > 0');
    const where = conds.length === 0 ? '1' : conds.join(q.logic === 'and' ? ' AND ' : ' OR ');
    const sort = q.sortBy === null ? undefined : ROLLOUT_SORT[q.sortBy];
    const dir = q.order === 'desc' ? 'DESC' : 'ASC';
    const order = sort ? `${sort.nullsAsInf ? `isNull(${sort.expr}) ${dir}, ` : ''}${sort.expr} ${dir}, ${CREATED}` : CREATED;
    const params = {
      statuses: [...(q.statuses ?? [])],
      ids: [...(q.ids ?? [])],
      contains: q.contains ?? '',
      limit: q.limit < 0 ? 0 : q.limit,
      offset: q.offset,
    };
    const [page, count] = await Promise.all([
      this.db.query<{ rollout_id: string }>(
        `SELECT rollout_id FROM ${LATEST_ROLLOUTS} WHERE ${where} ORDER BY ${order} ${q.limit < 0 ? 'LIMIT 18446744073709551615' : 'LIMIT {limit:UInt64}'} OFFSET {offset:UInt64}`,
        params,
      ),
      this.db.query<{ n: string | number }>(`SELECT count() AS n FROM ${LATEST_ROLLOUTS} WHERE ${where}`, params),
    ]);
    return { ids: page.map((r) => r.rollout_id), total: Number(count[0]?.n ?? 0) };
  }

  async rolloutTotals(): Promise<{ rollouts: number; attempts: number }> {
    const rows = await this.db.query<{ r: string | number; a: string | number }>(`SELECT count() AS r, sum(attempt_count) AS a FROM ${LATEST_ROLLOUTS}`);
    return { rollouts: Number(rows[0]?.r ?? 0), attempts: Number(rows[0]?.a ?? 0) };
  }

  async close(): Promise<void> {
    if (!this.writer) return;
    await this.writer.drain();
    this.writer.close();
  }
}
