// One trace's spans for the web UI's span tree: from otel_traces when raw spans are kept, else (serve
// --no-raw) from the LLM calls normalized out of them, which is all such a store has of the trace.
import type { Driver } from './driver.js';
import { cmpNs } from './training-queries.js';

export interface TraceSpan {
  span_id: string;
  parent_span_id: string;
  name: string;
  kind: string;
  service: string;
  /** Nanoseconds since the epoch, as a decimal string (64-bit). */
  start_ns: string;
  duration_ns: string;
  status_code: string;
  status_message: string;
  attributes: Record<string, string>;
  events: { time_ns: string; name: string; attributes: Record<string, string> }[];
}

export interface TraceView {
  trace_id: string;
  source: 'otel_traces' | 'llm_calls';
  /** True when the trace has more spans than were read. */
  truncated: boolean;
  spans: TraceSpan[];
}

/** The most spans one trace view reads: a runaway agent loop can put hundreds of thousands in a trace. */
export const MAX_TRACE_SPANS = 5000;

interface RawRow {
  span_id: string;
  parent_span_id: string;
  name: string;
  kind: string;
  service: string;
  start_ns: string;
  duration_ns: string | number;
  status_code: string;
  status_message: string;
  attributes: Record<string, string>;
  event_times: string[];
  event_names: string[];
  event_attributes: Record<string, string>[];
}

export async function readTrace(db: Driver, traceId: string, raw: boolean): Promise<TraceView | null> {
  const id = traceId.toLowerCase();
  if (raw) {
    // The Collector's lookup table narrows the scan to the trace's time range, as its exporter's readers do.
    const rows = await db.query<RawRow>(
      `WITH (SELECT (min(Start), max(End)) FROM otel_traces_trace_id_ts WHERE TraceId = {id:String}) AS range
       SELECT SpanId AS span_id, ParentSpanId AS parent_span_id, SpanName AS name, SpanKind AS kind, ServiceName AS service,
              toString(toUnixTimestamp64Nano(Timestamp)) AS start_ns, Duration AS duration_ns, StatusCode AS status_code,
              StatusMessage AS status_message, SpanAttributes AS attributes,
              arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS event_times, Events.Name AS event_names,
              Events.Attributes AS event_attributes
       FROM otel_traces
       WHERE TraceId = {id:String}
         AND (range.1 = toDateTime(0) OR (Timestamp >= range.1 - INTERVAL 1 MINUTE AND Timestamp <= range.2 + INTERVAL 1 MINUTE))
       ORDER BY Timestamp, SpanId
       LIMIT 1 BY SpanId
       LIMIT {limit:UInt32}`,
      { id, limit: MAX_TRACE_SPANS + 1 },
    );
    if (rows.length > 0) {
      return {
        trace_id: id,
        source: 'otel_traces',
        truncated: rows.length > MAX_TRACE_SPANS,
        spans: rows.slice(0, MAX_TRACE_SPANS).map((r) => ({
          span_id: r.span_id,
          parent_span_id: r.parent_span_id,
          name: r.name,
          kind: r.kind,
          service: r.service,
          start_ns: r.start_ns,
          duration_ns: String(r.duration_ns),
          status_code: r.status_code,
          status_message: r.status_message,
          attributes: r.attributes,
          events: r.event_times.map((t, i) => ({ time_ns: t, name: r.event_names[i] ?? '', attributes: r.event_attributes[i] ?? {} })),
        })),
      };
    }
  }
  const calls = await db.query<Record<string, string>>(
    `SELECT span_id, parent_span_id, operation, if(response_model != '', response_model, request_model) AS model, agent, service, provider, status, error,
            toString(toUnixTimestamp64Nano(start_time)) AS start_ns, toString(toUnixTimestamp64Nano(end_time) - toUnixTimestamp64Nano(start_time)) AS duration_ns,
            rollout_id, attempt_id
     FROM llm_calls WHERE trace_id = {id:String}
     ORDER BY inserted_at DESC LIMIT 1 BY span_id
     LIMIT {limit:UInt32}`,
    { id, limit: MAX_TRACE_SPANS + 1 },
  );
  if (calls.length === 0) return null;
  const spans = calls
    .slice(0, MAX_TRACE_SPANS)
    .map((c) => {
      const attributes: Record<string, string> = {};
      for (const [k, v] of [
        ['gen_ai.operation.name', c.operation],
        ['gen_ai.provider.name', c.provider],
        ['gen_ai.response.model', c.model],
        ['gen_ai.agent.name', c.agent],
        ['tracelight.rollout_id', c.rollout_id],
        ['tracelight.attempt_id', c.attempt_id],
      ] as const)
        if (v) attributes[k] = v;
      return {
        span_id: c.span_id ?? '',
        parent_span_id: c.parent_span_id ?? '',
        name: [c.operation, c.model].filter(Boolean).join(' ') || 'llm call',
        kind: 'Client',
        service: c.service ?? '',
        start_ns: c.start_ns ?? '0',
        duration_ns: c.duration_ns ?? '0',
        status_code: c.status === 'error' ? 'Error' : c.status === 'ok' ? 'Ok' : 'Unset',
        status_message: c.error ?? '',
        attributes,
        events: [],
      };
    })
    .sort((a, b) => cmpNs(a.start_ns, b.start_ns));
  return { trace_id: id, source: 'llm_calls', truncated: calls.length > MAX_TRACE_SPANS, spans };
}
