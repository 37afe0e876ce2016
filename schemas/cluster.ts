// How each table is spread over a ClickHouse cluster (`tracelight migrate --cluster NAME`). Every table is a
// Replicated* table `<name>_local` on each node, behind a Distributed table `<name>` that every read and write
// of tracelight (and of Grafana, and of a Collector writing the same schema) goes through unchanged.
//
// The sharding key decides which shard stores a row. Rows that ReplacingMergeTree must collapse (same ORDER BY
// key) must land on the same shard, or FINAL and LIMIT 1 BY would see both versions: so each key is a hash of
// a prefix of the table's ORDER BY key. Tables read per trace (spans, calls, contents, identities) share the
// trace id, so a trace's rows sit together; the queue's tables share the rollout id.
//
// A table missing here has no cluster form: `tracelight migrate --cluster` refuses it, so a new table cannot
// ship without deciding this.
export const CLUSTER_SHARD_KEYS: Readonly<Record<string, string>> = {
  otel_traces: 'cityHash64(TraceId)',
  otel_traces_trace_id_ts: 'cityHash64(TraceId)',
  // Records outside any trace would all hash to one shard.
  otel_logs: "if(TraceId = '', rand(), cityHash64(TraceId))",
  llm_calls: 'cityHash64(trace_id)',
  llm_contents: 'cityHash64(trace_id)',
  rewards: 'cityHash64(reward_id)',
  trace_identities: 'cityHash64(trace_id)',
  trace_resources: 'cityHash64(trace_id)',
  resource_versions: 'cityHash64(name)',
  resource_labels: 'cityHash64(name)',
  rollouts: 'cityHash64(rollout_id)',
  rollout_attempts: 'cityHash64(rollout_id)',
  job_runs: 'cityHash64(job, run_id)',
  source_watermarks: 'cityHash64(source)',
  tracelight_migrations: 'cityHash64(id)',
  agl_gateway_rollouts: 'cityHash64(rollout_id)',
  agl_gateway_events: 'cityHash64(rollout_id)',
  agl_gateway_terminal: 'cityHash64(seq)',
  agl_gateway_models: 'cityHash64(model, endpoint)',
  agl_spans: 'cityHash64(rollout_id)',
  agl_span_sequences: 'cityHash64(rollout_id)',
  agl_workers: 'cityHash64(worker_id)',
  agl_resources: 'cityHash64(resources_id)',
  // Plain MergeTree, read by aggregation: spread evenly, as the Collector's exporter does.
  otel_metrics_gauge: 'rand()',
  otel_metrics_sum: 'rand()',
  otel_metrics_histogram: 'rand()',
  otel_metrics_exponential_histogram: 'rand()',
  otel_metrics_summary: 'rand()',
};

/** Suffix of the per-node table behind each Distributed table. */
export const CLUSTER_LOCAL_SUFFIX = '_local';

/**
 * Session settings for a store on a cluster. Inserts return once every shard has its rows, so a read right
 * after a write (the queue claims, then reads back) sees them; IN and JOIN over another Distributed table run
 * as GLOBAL, so a subquery sees every shard rather than the one it runs on.
 */
export const CLUSTER_SESSION_SETTINGS: Readonly<Record<string, string>> = {
  distributed_foreground_insert: '1',
  distributed_product_mode: 'global',
};
