// The transport-independent half of OTLP ingest: decoded items in, durable write, OTLP outcome out.
// HTTP and gRPC both call this, so back-pressure and partial success behave the same on both.
import { partialSuccessOf, type Decoded, type PartialSuccess } from '../schemas/otlp-codec.js';
import type { LogRecordRecord, SpanRecord } from '../schemas/telemetry.js';
import { BackpressureError, StoreUnavailableError, type Store } from '../store/index.js';
import type { ReceiverMetrics, Transport } from './metrics.js';

export type IngestOutcome =
  | { ok: true; partial?: PartialSuccess }
  | { ok: false; status: 429 | 503; retryAfterSeconds: number; message: string };

export class Ingestor {
  constructor(private readonly store: Store, private readonly metrics: ReceiverMetrics) {}

  async traces(decoded: Decoded<SpanRecord>, transport: Transport): Promise<IngestOutcome> {
    return this.ingest('spans', decoded, transport, () => this.store.writeTelemetry(decoded.items, []));
  }

  async logs(decoded: Decoded<LogRecordRecord>, transport: Transport): Promise<IngestOutcome> {
    return this.ingest('logs', decoded, transport, () => this.store.writeTelemetry([], decoded.items));
  }

  private async ingest(signal: 'spans' | 'logs', decoded: Decoded<unknown>, transport: Transport, write: () => Promise<void>): Promise<IngestOutcome> {
    const labels = { signal, transport };
    const n = decoded.items.length;
    this.metrics.received.inc(labels, n + decoded.rejected);
    if (decoded.rejected > 0) this.metrics.rejected.inc({ ...labels, reason: 'invalid' }, decoded.rejected);
    try {
      await write();
    } catch (err) {
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
