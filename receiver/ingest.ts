// The transport-independent half of OTLP ingest: decoded items in, durable write, OTLP outcome out.
// HTTP and gRPC both call this, so back-pressure and partial success behave the same on both.
import { partialSuccessOf, type Decoded, type PartialSuccess } from './codec/index.js';
import type { LogRecordRecord, MetricPointRecord, SpanRecord } from '../schemas/telemetry.js';
import { BackpressureError, DataRejectedError, StoreUnavailableError, type Store, type TableRows } from '../store/index.js';
import type { NormalizedBatch } from '../schemas/genai.js';
import type { ReceiverMetrics, Signal, Transport } from './metrics.js';
import { normalizeLogs, normalizeSpans } from '../normalize/index.js';
import { reportActivity, type ActivityListener } from './activity.js';

export type IngestOutcome =
  | { ok: true; partial?: PartialSuccess }
  | { ok: false; status: 429 | 503; retryAfterSeconds: number; message: string }
  | { ok: false; status: 400; message: string }
  | { ok: false; status: 413; message: string };

const ITEM_NAMES: Readonly<Record<Signal, string>> = { spans: 'spans', logs: 'log records', metrics: 'metric data points' };
const BATCH_HINTS: Readonly<Record<Signal, string>> = {
  spans: 'e.g. OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  logs: 'e.g. OTEL_BLRP_MAX_EXPORT_BATCH_SIZE',
  metrics: 'fewer metrics or attribute sets per export',
};

/**
 * Rows some other part keeps for a batch's spans, written and acknowledged with them (Agent Lightning's span index,
 * queue/agl-store.ts); `onWritten` runs once they are. Null: nothing for this batch.
 */
export interface SpanSideRows {
  rowsFor(spans: readonly SpanRecord[]): Promise<{ rows: TableRows[]; onWritten: () => void } | null>;
}

export class Ingestor {
  /**
   * `activity`: told which attempt ids a batch carries (each span with one is that attempt's heartbeat).
   * `sideRows`: rows written with each batch of spans.
   */
  constructor(
    private readonly store: Store,
    private readonly counters: ReceiverMetrics,
    private readonly activity?: ActivityListener,
    private readonly maxItems = Infinity,
    private readonly sideRows?: SpanSideRows,
  ) {}

  async traces(decoded: Decoded<SpanRecord>, transport: Transport): Promise<IngestOutcome> {
    const big = this.tooMany('spans', transport, decoded.items.length + decoded.rejected);
    if (big) return big;
    reportActivity(this.activity, decoded.items);
    const normalized = this.normalize(() => normalizeSpans(decoded.items));
    const side = await this.side(decoded.items);
    const outcome = await this.ingest('spans', decoded, transport, () => this.store.writeTelemetry(decoded.items, [], normalized, side?.rows));
    if (outcome.ok) side?.onWritten();
    return outcome;
  }

  /**
   * Spans that did not come over OTLP (Agent Lightning's REST add_span), stored and normalized exactly as OTLP
   * spans are, with `extra` rows in the same write; throws the store's errors (back-pressure, store failing).
   */
  async writeSpans(spans: SpanRecord[], extra: TableRows[]): Promise<void> {
    reportActivity(this.activity, spans);
    const normalized = this.normalize(() => normalizeSpans(spans));
    await this.store.writeTelemetry(spans, [], normalized, extra);
  }

  /** Side rows never cost the telemetry: a failure is counted as a normalizer fault and the spans still go in. */
  private async side(spans: readonly SpanRecord[]): Promise<{ rows: TableRows[]; onWritten: () => void } | null> {
    if (!this.sideRows) return null;
    try {
      return await this.sideRows.rowsFor(spans);
    } catch (err) {
      this.counters.normalizeErrors.inc();
      process.emitWarning(`tracelight: Agent Lightning span rows not made for a batch (the spans are still stored): ${(err as Error).message}`);
      return null;
    }
  }

  async logs(decoded: Decoded<LogRecordRecord>, transport: Transport): Promise<IngestOutcome> {
    const big = this.tooMany('logs', transport, decoded.items.length + decoded.rejected);
    if (big) return big;
    reportActivity(this.activity, decoded.items);
    const normalized = this.normalize(() => normalizeLogs(decoded.items));
    return this.ingest('logs', decoded, transport, () => this.store.writeTelemetry([], decoded.items, normalized));
  }

  /** Metric data points: stored raw only (nothing is derived from them), each one an item of the request. */
  async metrics(decoded: Decoded<MetricPointRecord>, transport: Transport): Promise<IngestOutcome> {
    const big = this.tooMany('metrics', transport, decoded.items.length + decoded.rejected);
    if (big) return big;
    return this.ingest('metrics', decoded, transport, () => this.store.writeMetrics(decoded.items));
  }

  /**
   * Refuses a request before it is decoded when the store would refuse its data anyway (buffer over its
   * limit, or the store failing), so that under overload refusals cost next to no CPU and come at once.
   * `items` is the request's item count from its framing (countProtoItems, countMetricPoints), for the metrics.
   * Null: go on and decode it.
   */
  refuseEarly(signal: Signal, transport: Transport, items: number, bytes: number): IngestOutcome | null {
    const big = this.tooMany(signal, transport, items);
    if (big) return big;
    const err = this.store.writer.refusal(bytes);
    if (!err) return null;
    const labels = { signal, transport };
    const backpressure = err instanceof BackpressureError;
    this.counters.received.inc(labels, items);
    this.counters.rejected.inc({ ...labels, reason: backpressure ? 'backpressure' : 'store_unavailable' }, items);
    return { ok: false, status: backpressure ? 429 : 503, retryAfterSeconds: err.retryAfterSeconds, message: err.message };
  }

  /**
   * One request may not carry more than maxItems items: a million tiny spans cost seconds of decoding and
   * gigabytes of memory while occupying the event loop. Refused whole (413, not retryable), since a partial
   * acceptance would make the exporter drop the rest silently.
   */
  private tooMany(signal: Signal, transport: Transport, items: number): IngestOutcome | null {
    if (items <= this.maxItems) return null;
    this.counters.received.inc({ signal, transport }, items);
    this.counters.rejected.inc({ signal, transport, reason: 'too_many_items' }, items);
    return {
      ok: false,
      status: 413,
      message: `the request carries ${items} ${ITEM_NAMES[signal]}, more than the limit of ${this.maxItems} per request; send smaller batches (${BATCH_HINTS[signal]})`,
    };
  }

  /** Training data is derived; a normalizer fault must never cost the raw telemetry, so it is counted, not thrown. */
  private normalize(run: () => NormalizedBatch): NormalizedBatch | undefined {
    try {
      const n = run();
      this.counters.llmCalls.inc(n.calls.length);
      this.counters.rewards.inc(n.rewards.length);
      this.counters.unmatchedSpans.inc(n.unmatchedSpans);
      if (n.droppedValues) this.counters.droppedValues.inc(n.droppedValues);
      for (const u of n.unknownOperations ?? []) this.counters.countUnknownOperation(u.source, u.operation, u.spans);
      return n;
    } catch (err) {
      this.counters.normalizeErrors.inc();
      process.emitWarning(`tracelight: normalizer failed on a batch (raw telemetry is still stored): ${(err as Error).message}`);
      return undefined;
    }
  }

  private async ingest(signal: Signal, decoded: Decoded<unknown>, transport: Transport, write: () => Promise<void>): Promise<IngestOutcome> {
    const labels = { signal, transport };
    const n = decoded.items.length;
    this.counters.received.inc(labels, n + decoded.rejected);
    if (decoded.rejected > 0) this.counters.rejected.inc({ ...labels, reason: 'invalid' }, decoded.rejected);
    try {
      await write();
    } catch (err) {
      if (err instanceof DataRejectedError) {
        this.counters.rejected.inc({ ...labels, reason: 'refused_by_store' }, n);
        return { ok: false, status: 400, message: err.message };
      }
      if (err instanceof BackpressureError || err instanceof StoreUnavailableError) {
        const backpressure = err instanceof BackpressureError;
        this.counters.rejected.inc({ ...labels, reason: backpressure ? 'backpressure' : 'store_unavailable' }, n);
        return { ok: false, status: backpressure ? 429 : 503, retryAfterSeconds: err.retryAfterSeconds, message: err.message };
      }
      throw err;
    } finally {
      const s = this.store.writer.stats;
      this.counters.queueRows.set(s.bufferedRows);
      this.counters.queueBytes.set(s.bufferedBytes);
    }
    this.counters.accepted.inc(labels, n);
    return { ok: true, partial: partialSuccessOf(decoded) };
  }
}
