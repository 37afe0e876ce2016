// Training data from what an OpenTelemetry Collector already stores: spans and log records its ClickHouse
// exporter wrote (otel_traces / otel_logs, any database and table names) are read back, run through the same
// normalizers as live OTLP, and only the derived rows are written. Derived rows are keyed by trace and span id,
// so reading a row twice changes nothing: each pass re-reads a look-back before its watermark to pick up rows
// the Collector inserted late or out of order, and a backfill may overlap anything.
import { normalizeLogs, normalizeSpans } from '../normalize/index.js';
import {
  readCollectorLogs,
  readCollectorSpans,
  readWatermark,
  writeWatermark,
  type CollectorTables,
  type Page,
  type RowWindow,
} from '../store/collector-tables.js';
import type { NormalizedBatch } from '../schemas/genai.js';
import type { Store } from '../store/index.js';

export interface ImportWindow {
  tables: CollectorTables;
  /** Rows with Timestamp in [sinceNs, untilNs). */
  sinceNs: bigint;
  untilNs: bigint;
  /** Traces read per query (default 200). */
  tracesPerPage?: number;
}

export interface ImportCounts {
  spans: number;
  logs: number;
  calls: number;
  rewards: number;
}

async function eachPage<T>(read: (w: RowWindow) => Promise<Page<T>>, w: Omit<RowWindow, 'afterTrace'>, fn: (records: T[]) => Promise<void>): Promise<void> {
  let afterTrace: string | undefined;
  for (;;) {
    const page = await read({ ...w, afterTrace });
    if (page.lastTrace === null) return;
    await fn(page.records);
    afterTrace = page.lastTrace;
  }
}

/** Reads one window of the Collector's tables and writes what the normalizers derive from it. */
export async function importCollectorWindow(store: Store, w: ImportWindow): Promise<ImportCounts> {
  const counts: ImportCounts = { spans: 0, logs: 0, calls: 0, rewards: 0 };
  const window = { sinceNs: w.sinceNs, untilNs: w.untilNs, traces: w.tracesPerPage ?? 200 };
  const derive = async <T>(records: T[], normalize: (r: T[]) => NormalizedBatch): Promise<void> => {
    const batch = normalize(records);
    counts.calls += batch.calls.length;
    counts.rewards += batch.rewards.length;
    await store.writeDerived(batch);
  };
  await eachPage(
    (rw) => readCollectorSpans(store.driver, w.tables, rw),
    window,
    async (spans) => {
      counts.spans += spans.length;
      await derive(spans, normalizeSpans);
    },
  );
  await eachPage(
    (rw) => readCollectorLogs(store.driver, w.tables, rw),
    window,
    async (logs) => {
      counts.logs += logs.length;
      await derive(logs, normalizeLogs);
    },
  );
  return counts;
}

export interface CollectorSourceOptions {
  tables: CollectorTables;
  /** How often a pass runs (default 10 s). */
  intervalMs?: number;
  /** Re-read this far before the watermark each pass, for rows inserted late (default 10 minutes). */
  lookbackMs?: number;
  /** Leave rows this recent for the next pass: a batch the Collector is inserting now (default 5 s). */
  graceMs?: number;
  /** Where a pass that could not finish is reported (it is retried at the next interval). */
  onError?: (err: Error) => void;
  onPass?: (counts: ImportCounts, window: { sinceNs: bigint; untilNs: bigint }) => void;
  now?: () => number;
}

/** The name a source's watermark is kept under: its tables. */
export function sourceName(t: CollectorTables): string {
  return `clickhouse:${t.database ?? ''}.${t.traces}+${t.logs}`;
}

/** Polls the Collector's tables: every interval, imports [watermark − look-back, now − grace) and moves the watermark. */
export class CollectorSource {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  readonly name: string;

  constructor(
    private readonly store: Store,
    private readonly opts: CollectorSourceOptions,
  ) {
    this.name = sourceName(opts.tables);
  }

  /** One pass now (what the timer runs); resolves with what it imported. */
  async pass(): Promise<ImportCounts> {
    const nowNs = BigInt(Math.round((this.opts.now ?? Date.now)())) * 1_000_000n;
    const untilNs = nowNs - BigInt(this.opts.graceMs ?? 5_000) * 1_000_000n;
    const watermark = await readWatermark(this.store.driver, this.name);
    const lookback = BigInt(this.opts.lookbackMs ?? 600_000) * 1_000_000n;
    const sinceNs = watermark > lookback ? watermark - lookback : 0n;
    if (untilNs <= sinceNs) return { spans: 0, logs: 0, calls: 0, rewards: 0 };
    const counts = await importCollectorWindow(this.store, { tables: this.opts.tables, sinceNs, untilNs });
    await writeWatermark(this.store.driver, this.name, untilNs);
    this.opts.onPass?.(counts, { sinceNs, untilNs });
    return counts;
  }

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.pass().then(
        () => undefined,
        (err: Error) => this.opts.onError?.(err),
      );
      void this.running.finally(() => {
        this.running = null;
        if (!this.stopped) this.timer = setTimeout(tick, this.opts.intervalMs ?? 10_000);
      });
    };
    tick();
  }

  /** Stops polling; waits for a pass under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
