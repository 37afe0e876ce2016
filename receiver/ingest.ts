// The transport-independent half of OTLP ingest: decoded items in, durable write, OTLP outcome out.
// HTTP and gRPC both call this, so back-pressure and partial success behave the same on both.
import { partialSuccessOf, type Decoded, type PartialSuccess } from './codec/index.js';
import type { LogRecordRecord, SpanRecord } from '../schemas/telemetry.js';
import { BackpressureError, DataRejectedError, StoreUnavailableError, type Store } from '../store/index.js';
import type { NormalizedBatch } from '../schemas/genai.js';
import type { ReceiverMetrics, Transport } from './metrics.js';
import { normalizeLogs, normalizeSpans } from '../normalize/index.js';
import { reportActivity, type ActivityListener } from './activity.js';

export type IngestOutcome =
  | { ok: true; partial?: PartialSuccess }
  | { ok: false; status: 429 | 503; retryAfterSeconds: number; message: string }
  | { ok: false; status: 400; message: string }
  | { ok: false; status: 413; message: string };

export class Ingestor {
  /** `activity`: told which attempt ids a batch carries (each span with one is that attempt's heartbeat). */
  constructor(
    private readonly store: Store,
    private readonly metrics: ReceiverMetrics,
    private readonly activity?: ActivityListener,
    private readonly maxItems = Infinity,
  ) {}

  async traces(decoded: Decoded<SpanRecord>, transport: Transport): Promise<IngestOutcome> {
    const big = this.tooMany('spans', transport, decoded.items.length + decoded.rejected);
    if (big) return big;
    reportActivity(this.activity, decoded.items);
    const normalized = this.normalize(() => normalizeSpans(decoded.items));
    return this.ingest('spans', decoded, transport, () => this.store.writeTelemetry(decoded.items, [], normalized));
  }

  async logs(decoded: Decoded<LogRecordRecord>, transport: Transport): Promise<IngestOutcome> {
    const big = this.tooMany('logs', transport, decoded.items.length + decoded.rejected);
    if (big) return big;
    reportActivity(this.activity, decoded.items);
    const normalized = this.normalize(() => normalizeLogs(decoded.items));
    return this.ingest('logs', decoded, transport, () => this.store.writeTelemetry([], decoded.items, normalized));
  }

  /**
   * Refuses a request before it is decoded when the store would refuse its data anyway (buffer over its
   * limit, or the store failing), so that under overload refusals cost next to no CPU and come at once.
   * `items` is the request's item count (countProtoItems), for the metrics. Null: go on and decode it.
   */
  refuseEarly(signal: 'spans' | 'logs', transport: Transport, items: number, bytes: number): IngestOutcome | null {
    const big = this.tooMany(signal, transport, items);
    if (big) return big;
    const err = this.store.writer.refusal(bytes);
    if (!err) return null;
    const labels = { signal, transport };
    const backpressure = err instanceof BackpressureError;
    this.metrics.received.inc(labels, items);
    this.metrics.rejected.inc({ ...labels, reason: backpressure ? 'backpressure' : 'store_unavailable' }, items);
    return { ok: false, status: backpressure ? 429 : 503, retryAfterSeconds: err.retryAfterSeconds, message: err.message };
  }

  /**
   * One request may not carry more than maxItems items: a million tiny spans cost seconds of decoding and
   * gigabytes of memory while occupying the event loop. Refused whole (413, not retryable), since a partial
   * acceptance would make the exporter drop the rest silently.
   */
  private tooMany(signal: 'spans' | 'logs', transport: Transport, items: number): IngestOutcome | null {
    if (items <= this.maxItems) return null;
    this.metrics.received.inc({ signal, transport }, items);
    this.metrics.rejected.inc({ signal, transport, reason: 'too_many_items' }, items);
    return {
      ok: false,
      status: 413,
      message: `the request carries ${items} ${signal === 'spans' ? 'spans' : 'log records'}, more than the limit of ${this.maxItems} per request; send smaller batches (e.g. OTEL_BSP_MAX_EXPORT_BATCH_SIZE)`,
    };
  }

  /** Training data is derived; a normalizer fault must never cost the raw telemetry, so it is counted, not thrown. */
  private normalize(run: () => NormalizedBatch): NormalizedBatch | undefined {
    try {
      const n = run();
      this.metrics.llmCalls.inc(n.calls.length);
      this.metrics.rewards.inc(n.rewards.length);
      this.metrics.unmatchedSpans.inc(n.unmatchedSpans);
      if (n.droppedValues) this.metrics.droppedValues.inc(n.droppedValues);
      return n;
    } catch (err) {
      this.metrics.normalizeErrors.inc();
      process.emitWarning(`tracelight: normalizer failed on a batch (raw telemetry is still stored): ${(err as Error).message}`);
      return undefined;
    }
  }

  private async ingest(signal: 'spans' | 'logs', decoded: Decoded<unknown>, transport: Transport, write: () => Promise<void>): Promise<IngestOutcome> {
    const labels = { signal, transport };
    const n = decoded.items.length;
    this.metrics.received.inc(labels, n + decoded.rejected);
    if (decoded.rejected > 0) this.metrics.rejected.inc({ ...labels, reason: 'invalid' }, decoded.rejected);
    try {
      await write();
    } catch (err) {
      if (err instanceof DataRejectedError) {
        this.metrics.rejected.inc({ ...labels, reason: 'refused_by_store' }, n);
        return { ok: false, status: 400, message: err.message };
      }
      if (err instanceof BackpressureError || err instanceof StoreUnavailableError) {
        const backpressure = err instanceof BackpressureError;
        this.metrics.rejected.inc({ ...labels, reason: backpressure ? 'backpressure' : 'store_unavailable' }, n);
        return { ok: false, status: backpressure ? 429 : 503, retryAfterSeconds: err.retryAfterSeconds, message: err.message };
      }
      throw err;
    } finally {
      const s = this.store.writer.stats;
      this.metrics.queueRows.set(s.bufferedRows);
      this.metrics.queueBytes.set(s.bufferedBytes);
    }
    this.metrics.accepted.inc(labels, n);
    return { ok: true, partial: partialSuccessOf(decoded) };
  }
}
