// Prometheus metrics for the receiver and the store writer. One registry per server instance, so tests
// and embedders can run several servers in one process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BatchObserver } from '../store/index.js';

export type Signal = 'spans' | 'logs' | 'metrics';

/** Distinct (source, operation) label pairs of tracelight_unknown_operations_total; later names count as "(other)". */
const MAX_UNKNOWN_OPERATION_LABELS = 200;
export type Transport = 'http' | 'grpc';

export type IngestTotals = {
  received_spans: number;
  accepted_spans: number;
  rejected_spans: number;
  received_logs: number;
  accepted_logs: number;
  rejected_logs: number;
  requests: number;
  /** Requests answered with an error status. */
  rejected_requests: number;
  llm_calls: number;
  rewards: number;
  store_errors: number;
  normalize_errors: number;
};

export class ReceiverMetrics {
  readonly registry = new Registry();
  readonly received = new Counter({
    name: 'tracelight_received_total',
    help: 'Spans, log records and metric data points received, before validation.',
    labelNames: ['signal', 'transport'],
    registers: [this.registry],
  });
  readonly accepted = new Counter({
    name: 'tracelight_accepted_total',
    help: 'Spans, log records and metric data points durably written (or, with raw storage off, accepted) and acknowledged.',
    labelNames: ['signal', 'transport'],
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'tracelight_rejected_total',
    help: 'Spans, log records and metric data points refused, by reason (invalid, backpressure, store_unavailable, malformed, too_many_items).',
    labelNames: ['signal', 'transport', 'reason'],
    registers: [this.registry],
  });
  readonly requests = new Counter({
    name: 'tracelight_otlp_requests_total',
    help: 'OTLP export requests by outcome status code.',
    labelNames: ['signal', 'transport', 'code'],
    registers: [this.registry],
  });
  readonly batchRows = new Histogram({
    name: 'tracelight_store_batch_rows',
    help: 'Rows per insert batch.',
    labelNames: ['table'],
    buckets: [1, 10, 100, 500, 1000, 5000, 10000, 20000, 50000],
    registers: [this.registry],
  });
  readonly insertSeconds = new Histogram({
    name: 'tracelight_store_insert_seconds',
    help: 'Latency of one batch insert.',
    labelNames: ['table'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly storeErrors = new Counter({
    name: 'tracelight_store_errors_total',
    help: 'Failed batch inserts.',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly llmCalls = new Counter({
    name: 'tracelight_llm_calls_total',
    help: 'LLM calls recognised in received spans (any GenAI convention).',
    registers: [this.registry],
  });
  readonly rewards = new Counter({ name: 'tracelight_rewards_total', help: 'Rewards recognised in received spans and logs.', registers: [this.registry] });
  readonly droppedValues = new Counter({
    name: 'tracelight_dropped_values_total',
    help: 'Derived numeric values (token counts, token ids, logprobs) dropped from training rows because their columns cannot hold them.',
    registers: [this.registry],
  });
  readonly detachedParts = new Gauge({
    name: 'tracelight_detached_parts',
    help: 'Table parts the engine detached (broken at start, …): their rows answer no query until repaired.',
    registers: [this.registry],
  });
  readonly unmatchedSpans = new Counter({
    name: 'tracelight_unmatched_spans_total',
    help: 'Spans that matched no GenAI convention (stored raw only).',
    registers: [this.registry],
  });
  readonly unknownOperations = new Counter({
    name: 'tracelight_unknown_operations_total',
    help: 'Spans whose operation marker (gen_ai.operation.name, openinference.span.kind, llm.request.type, traceloop.span.kind, ai.operationId) names an operation tracelight does not know; they never become LLM calls.',
    labelNames: ['source', 'operation'],
    registers: [this.registry],
  });
  /** Label pairs of unknownOperations so far: the names are the senders', so their number is capped. */
  private readonly unknownLabels = new Set<string>();
  countUnknownOperation(source: string, operation: string, spans: number): void {
    const key = `${source}\u0000${operation}`;
    if (!this.unknownLabels.has(key)) {
      if (this.unknownLabels.size >= MAX_UNKNOWN_OPERATION_LABELS) operation = '(other)';
      else this.unknownLabels.add(key);
    }
    this.unknownOperations.inc({ source, operation }, spans);
  }
  readonly normalizeErrors = new Counter({
    name: 'tracelight_normalize_errors_total',
    help: 'Batches whose normalization failed (raw telemetry still stored).',
    registers: [this.registry],
  });
  readonly forwardedHeartbeats = new Counter({
    name: 'tracelight_forwarded_heartbeats_total',
    help: 'Attempt ids seen in spans by a receiver (--role receiver) and posted to its owner, by outcome (sent, failed).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly queueRows = new Gauge({ name: 'tracelight_ingest_queue_rows', help: 'Rows buffered waiting for the store.', registers: [this.registry] });
  readonly queueBytes = new Gauge({ name: 'tracelight_ingest_queue_bytes', help: 'Bytes buffered waiting for the store.', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tracelight_process_' });
  }

  observer(): BatchObserver {
    return {
      batchWritten: (table, rows, _bytes, seconds) => {
        this.batchRows.observe({ table }, rows);
        this.insertSeconds.observe({ table }, seconds);
      },
      batchFailed: (table) => this.storeErrors.inc({ table }),
    };
  }
  /** Totals since the server started, for the web UI's overview (the counters summed over their labels). */
  async ingestTotals(): Promise<IngestTotals> {
    const sum = async (c: Counter, match: (labels: Record<string, unknown>) => boolean = () => true): Promise<number> =>
      (await c.get()).values.filter((v) => match(v.labels)).reduce((n, v) => n + v.value, 0);
    const signal = (s: Signal) => (l: Record<string, unknown>) => l.signal === s;
    return {
      received_spans: await sum(this.received, signal('spans')),
      accepted_spans: await sum(this.accepted, signal('spans')),
      rejected_spans: await sum(this.rejected, signal('spans')),
      received_logs: await sum(this.received, signal('logs')),
      accepted_logs: await sum(this.accepted, signal('logs')),
      rejected_logs: await sum(this.rejected, signal('logs')),
      requests: await sum(this.requests),
      rejected_requests: await sum(this.requests, (l) => l.code !== undefined && !['200', '0'].includes(String(l.code))),
      llm_calls: await sum(this.llmCalls),
      rewards: await sum(this.rewards),
      store_errors: await sum(this.storeErrors),
      normalize_errors: await sum(this.normalizeErrors),
    };
  }
}
