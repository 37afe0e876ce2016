// ClickHouse DDL as numbered migrations. Every statement runs unchanged on embedded chDB and on a
// ClickHouse server. Migrations are append-only: never edit one that has shipped; add the next number.
//
// otel_traces, otel_traces_trace_id_ts(+_mv) and otel_logs carry exactly the columns and types of the
// OpenTelemetry Collector ClickHouse exporter, so Grafana's ClickHouse data source, ClickStack and other
// readers of that schema work unchanged, and a Collector can write into the same tables.

export interface Migration {
  id: number;
  name: string;
  statements: string[];
  /**
   * Run after `statements` where the engine supports them: one refused because the engine does not know a
   * setting it names (an older ClickHouse server) is skipped. For storage tuning only, never for the schema.
   */
  ifSupported?: string[];
}

export const MIGRATIONS: Migration[] = [
  {
    id: 1,
    name: 'otel_traces',
    statements: [
      `CREATE TABLE IF NOT EXISTS otel_traces (
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1,
    INDEX idx_lower_span_name lower(SpanName) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
) ENGINE = MergeTree
PARTITION BY toDate(Timestamp)
PRIMARY KEY (ServiceName, SpanName, toDateTime(Timestamp))
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`,
      `CREATE TABLE IF NOT EXISTS otel_traces_trace_id_ts (
    TraceId String CODEC(ZSTD(1)),
    Start SimpleAggregateFunction(min, DateTime) CODEC(ZSTD(1)),
    End SimpleAggregateFunction(max, DateTime) CODEC(ZSTD(1))
) ENGINE = MergeTree
PARTITION BY toStartOfWeek(Start)
ORDER BY (TraceId)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS otel_traces_trace_id_ts_mv
TO otel_traces_trace_id_ts
AS SELECT
    TraceId,
    min(Timestamp) AS Start,
    max(Timestamp) AS End
FROM otel_traces
WHERE TraceId != ''
GROUP BY TraceId`,
    ],
  },
  {
    id: 2,
    name: 'otel_logs',
    statements: [
      `CREATE TABLE IF NOT EXISTS otel_logs (
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimestampTime DateTime DEFAULT toDateTime(Timestamp),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    TraceFlags UInt8,
    SeverityText LowCardinality(String) CODEC(ZSTD(1)),
    SeverityNumber UInt8,
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Body String CODEC(ZSTD(1)),
    ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion LowCardinality(String) CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    LogAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    EventName String CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_key mapKeys(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_value mapValues(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_body Body TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
) ENGINE = MergeTree
PARTITION BY toDate(TimestampTime)
PRIMARY KEY (ServiceName, TimestampTime)
ORDER BY (ServiceName, TimestampTime, Timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`,
    ],
  },
  {
    id: 3,
    name: 'genai_training_tables',
    statements: [
      // One row per LLM call span. Keyed by (trace_id, span_id) so an SDK retry that re-sends a batch
      // collapses into one row; reads pick the newest row per key with LIMIT 1 BY, not FINAL.
      `CREATE TABLE IF NOT EXISTS llm_calls (
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    parent_span_id String CODEC(ZSTD(1)),
    rollout_id String CODEC(ZSTD(1)),
    attempt_id String CODEC(ZSTD(1)),
    conversation_id String CODEC(ZSTD(1)),
    start_time DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    end_time DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    agent LowCardinality(String),
    service LowCardinality(String),
    provider LowCardinality(String),
    operation LowCardinality(String),
    request_model LowCardinality(String),
    response_model LowCardinality(String),
    input String CODEC(ZSTD(3)),
    output String CODEC(ZSTD(3)),
    finish_reasons Array(LowCardinality(String)),
    input_tokens Nullable(UInt32),
    output_tokens Nullable(UInt32),
    prompt_token_ids Array(UInt32) CODEC(ZSTD(1)),
    response_token_ids Array(UInt32) CODEC(ZSTD(1)),
    response_logprobs Array(Float32) CODEC(ZSTD(1)),
    resources Map(LowCardinality(String), String),
    tools String CODEC(ZSTD(3)),
    conventions Array(LowCardinality(String)),
    status LowCardinality(String),
    error String,
    inserted_at DateTime64(3) DEFAULT now64(3),
    INDEX idx_rollout rollout_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_conversation conversation_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_start start_time TYPE minmax GRANULARITY 1
) ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(start_time)
ORDER BY (trace_id, span_id)`,
      // Message content that arrives apart from its span (OTLP log events, span events).
      `CREATE TABLE IF NOT EXISTS llm_contents (
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    time DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    seq UInt32,
    convention LowCardinality(String),
    input String CODEC(ZSTD(3)),
    output String CODEC(ZSTD(3)),
    inserted_at DateTime64(3) DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(inserted_at)
PARTITION BY toYYYYMM(time)
ORDER BY (trace_id, span_id, time, seq)`,
      `CREATE TABLE IF NOT EXISTS rewards (
    reward_id String,
    rollout_id String,
    attempt_id String,
    trace_id String,
    span_id String,
    name LowCardinality(String),
    value Float64,
    label String,
    explanation String CODEC(ZSTD(3)),
    source LowCardinality(String),
    is_primary Bool,
    time DateTime64(9),
    inserted_at DateTime64(3) DEFAULT now64(3),
    INDEX idx_rollout rollout_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_trace trace_id TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = ReplacingMergeTree(inserted_at)
ORDER BY reward_id`,
      // Rollout identity declared by any span of a trace, inherited by the trace's other spans at read time.
      `CREATE TABLE IF NOT EXISTS trace_identities (
    trace_id String,
    rollout_id String,
    attempt_id String,
    time DateTime64(9),
    inserted_at DateTime64(3) DEFAULT now64(3),
    INDEX idx_rollout rollout_id TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = ReplacingMergeTree(inserted_at)
ORDER BY (trace_id, rollout_id, attempt_id)`,
    ],
  },
  {
    id: 4,
    name: 'resources',
    statements: [
      // Immutable numbered versions of a named resource (prompt template, LLM endpoint, model, JSON).
      // The serving process assigns `version` = max + 1 under a per-name lock, so each (name, version) is
      // written once. Should two processes sharing one ClickHouse server ever race for the same number,
      // both rows stay (plain MergeTree: no merge may drop the winner) and every read picks the one the
      // server stored first, ORDER BY created_at, write_id ... LIMIT 1 BY name, version; the writer whose
      // row lost sees that on its read-back and takes the next number.
      `CREATE TABLE IF NOT EXISTS resource_versions (
    name String,
    version UInt32,
    kind LowCardinality(String),
    content String CODEC(ZSTD(3)),
    parent UInt32,
    metrics Map(String, Float64),
    author String,
    write_id String,
    created_at DateTime64(6) DEFAULT now64(6)
) ENGINE = MergeTree
ORDER BY (name, version)`,
      // Labels (production, candidate, …) point at one version each and move: every move is a row with a
      // larger seq; reads take argMax(version, (seq, moved_at)) per (name, label), exact without FINAL, and
      // merges keep only the latest row. version 0 means the label was removed.
      `CREATE TABLE IF NOT EXISTS resource_labels (
    name String,
    label String,
    version UInt32,
    seq UInt64,
    author String,
    moved_at DateTime64(6) DEFAULT now64(6)
) ENGINE = ReplacingMergeTree(seq)
ORDER BY (name, label)`,
    ],
  },
  {
    id: 5,
    name: 'rollout_queue',
    statements: [
      // The rollout queue's state (queue/rollout-queue.ts): one row per rollout and change, holding the
      // whole rollout with its attempts (JSON), so one insert writes a change atomically. The newest row per
      // rollout_id (highest version, a microsecond hybrid clock) is the state; reads take it with
      // ORDER BY version DESC LIMIT 1 BY rollout_id, exact without FINAL.
      `CREATE TABLE IF NOT EXISTS rollouts (
    rollout_id String,
    status LowCardinality(String),
    mode LowCardinality(String),
    input String CODEC(ZSTD(3)),
    resources String CODEC(ZSTD(1)),
    config String CODEC(ZSTD(1)),
    metadata String CODEC(ZSTD(3)),
    attempts String CODEC(ZSTD(3)),
    attempt_count UInt32,
    latest_attempt_id String,
    queue_seq UInt64,
    enqueued_at DateTime64(3),
    started_at Nullable(DateTime64(3)),
    ended_at Nullable(DateTime64(3)),
    updated_at DateTime64(3),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY rollout_id`,
      // Attempts, one row per (rollout_id, attempt_id) and change, for SQL over attempts (by worker, by
      // status); the newest row per key (highest version) is the attempt's state.
      `CREATE TABLE IF NOT EXISTS rollout_attempts (
    rollout_id String,
    attempt_id String,
    sequence UInt32,
    worker_id String,
    status LowCardinality(String),
    started_at DateTime64(3),
    ended_at Nullable(DateTime64(3)),
    last_heartbeat_at Nullable(DateTime64(3)),
    error String CODEC(ZSTD(3)),
    version UInt64,
    INDEX idx_worker worker_id TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = ReplacingMergeTree(version)
ORDER BY (rollout_id, attempt_id)`,
    ],
  },
  {
    id: 6,
    name: 'job_runs',
    statements: [
      // Training job runs (store/job-runs.ts): a row when a run starts and another when it ends; the newest
      // row per (job, run_id) (highest version) is the run's state. A job's watermark is the window_end of its
      // latest succeeded run.
      `CREATE TABLE IF NOT EXISTS job_runs (
    run_id String,
    job String,
    algorithm LowCardinality(String),
    trigger LowCardinality(String),
    status LowCardinality(String),
    config String CODEC(ZSTD(3)),
    started_at DateTime64(3),
    ended_at Nullable(DateTime64(3)),
    window_start DateTime64(9),
    window_end DateTime64(9),
    metrics Map(String, Float64),
    resources String CODEC(ZSTD(3)),
    error String CODEC(ZSTD(3)),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (job, run_id)`,
    ],
  },
  {
    id: 7,
    name: 'ingest_storage_settings',
    // Storage settings for the tables written on every OTLP request (columns, types, keys unchanged). Each
    // insert and each merge writes a part, and a part is a directory of files: creating and deleting those
    // files was a large share of the engine's CPU under sustained ingest (bench/ingest.ts).
    // - Parts stay Compact (one data file instead of two or more per column) up to 256 MiB uncompressed,
    //   instead of 10 MiB: a span of GenAI content is a few KiB, so the default made every merged part Wide.
    // - Skip-index files are packed into one file per part (ClickHouse 26.x; skipped where unsupported).
    // - Merges combine about 10 parts of a size instead of 5, so a row is rewritten about log10 instead of
    //   log5 of the parts' growth times; partitions hold somewhat more parts in exchange.
    statements: [
      'ALTER TABLE otel_traces MODIFY SETTING min_bytes_for_wide_part = 268435456',
      'ALTER TABLE otel_logs MODIFY SETTING min_bytes_for_wide_part = 268435456',
      'ALTER TABLE llm_calls MODIFY SETTING min_bytes_for_wide_part = 268435456',
      'ALTER TABLE llm_contents MODIFY SETTING min_bytes_for_wide_part = 268435456',
    ],
    ifSupported: [
      'ALTER TABLE otel_traces MODIFY SETTING packed_skip_index_max_bytes = 1048576',
      'ALTER TABLE otel_logs MODIFY SETTING packed_skip_index_max_bytes = 1048576',
      'ALTER TABLE llm_calls MODIFY SETTING packed_skip_index_max_bytes = 1048576',
      'ALTER TABLE trace_identities MODIFY SETTING packed_skip_index_max_bytes = 1048576',
      'ALTER TABLE otel_traces MODIFY SETTING merge_selector_base = 10',
      'ALTER TABLE otel_logs MODIFY SETTING merge_selector_base = 10',
      'ALTER TABLE llm_calls MODIFY SETTING merge_selector_base = 10',
    ],
  },
  {
    id: 8,
    name: 'trace_resources',
    statements: [
      // Resource versions declared by spans that are not LLM calls (the rollout's root span after the agent
      // fetched a prompt, an agent span): read back with a trace's calls, each call that declares no version of
      // a resource takes the latest one declared at or before its start (store/training-queries.ts).
      `CREATE TABLE IF NOT EXISTS trace_resources (
    trace_id String,
    name String,
    version String,
    time DateTime64(9),
    inserted_at DateTime64(3) DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(inserted_at)
ORDER BY (trace_id, name, version)`,
    ],
  },
  {
    id: 9,
    name: 'source_watermarks',
    statements: [
      // How far `--source clickhouse` has read a Collector's tables (receiver/collector-source.ts): the newest
      // row per source (highest version) holds the end of the last window it imported.
      `CREATE TABLE IF NOT EXISTS source_watermarks (
    source String,
    watermark_ns UInt64,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY source`,
    ],
  },
  {
    id: 10,
    name: 'job_run_events',
    statements: [
      // What a training run did, for its page in the web UI: the milestone events it emitted (APO rounds,
      // critiques and candidates, RL iterations) and the algorithm's closing report, each JSON.
      `ALTER TABLE job_runs ADD COLUMN IF NOT EXISTS events String DEFAULT '[]' CODEC(ZSTD(3))`,
      `ALTER TABLE job_runs ADD COLUMN IF NOT EXISTS report String DEFAULT 'null' CODEC(ZSTD(3))`,
    ],
  },
  {
    id: 11,
    name: 'otel_metrics',
    // OTLP metrics, one row per data point, in the Collector ClickHouse exporter's five tables (one per metric
    // type), with its columns, types, codecs and keys, so Grafana's ClickHouse data source and ClickStack read
    // them unchanged and a Collector inserts into them. The DDL is the exporter's up to v0.159: DateTime64(9)
    // times, keyed by (ServiceName, MetricName, Attributes, time). v0.160 narrowed the times to DateTime and keyed
    // by hour, which would drop the sub-second part of every timestamp that tracelight otherwise keeps exact; the
    // columns are the same, so either exporter version writes into these tables.
    statements: [
      `CREATE TABLE IF NOT EXISTS otel_metrics_gauge (
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName String CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = MergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`,
      `CREATE TABLE IF NOT EXISTS otel_metrics_sum (
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName String CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    IsMonotonic Boolean CODEC(Delta, ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = MergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`,
      `CREATE TABLE IF NOT EXISTS otel_metrics_histogram (
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName String CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    BucketCounts Array(UInt64) CODEC(ZSTD(1)),
    ExplicitBounds Array(Float64) CODEC(ZSTD(1)),
    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = MergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`,
      `CREATE TABLE IF NOT EXISTS otel_metrics_exponential_histogram (
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName String CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    Scale Int32 CODEC(ZSTD(1)),
    ZeroCount UInt64 CODEC(ZSTD(1)),
    PositiveOffset Int32 CODEC(ZSTD(1)),
    PositiveBucketCounts Array(UInt64) CODEC(ZSTD(1)),
    NegativeOffset Int32 CODEC(ZSTD(1)),
    NegativeBucketCounts Array(UInt64) CODEC(ZSTD(1)),
    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = MergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`,
      `CREATE TABLE IF NOT EXISTS otel_metrics_summary (
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName String CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    ValueAtQuantiles Nested (
        Quantile Float64,
        Value Float64
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = MergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`,
    ],
    // Five bloom-filter indexes per table: packed into one file per part where the engine can (as in migration 7).
    ifSupported: [
      'ALTER TABLE otel_metrics_gauge MODIFY SETTING packed_skip_index_max_bytes = 1048576',
      'ALTER TABLE otel_metrics_sum MODIFY SETTING packed_skip_index_max_bytes = 1048576',
      'ALTER TABLE otel_metrics_histogram MODIFY SETTING packed_skip_index_max_bytes = 1048576',
      'ALTER TABLE otel_metrics_exponential_histogram MODIFY SETTING packed_skip_index_max_bytes = 1048576',
      'ALTER TABLE otel_metrics_summary MODIFY SETTING packed_skip_index_max_bytes = 1048576',
    ],
  },
  {
    id: 12,
    name: 'agl_gateway',
    statements: [
      // Agent Lightning v1 gateway rollouts (api/agl-gateway.ts): one row per change holding the whole v1
      // object (JSON); the newest row per rollout_id (highest version) is the state, a deletion included.
      `CREATE TABLE IF NOT EXISTS agl_gateway_rollouts (
    rollout_id String,
    generation String,
    created_seq UInt64,
    state LowCardinality(String),
    doc String CODEC(ZSTD(3)),
    resource String,
    queue_ids String,
    deleted UInt8,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY rollout_id`,
      // The append-only log of terminal transitions, numbered from 1: the terminal listing's cursor is a position in it.
      `CREATE TABLE IF NOT EXISTS agl_gateway_terminal (
    seq UInt64,
    rollout_id String,
    at DateTime64(3)
) ENGINE = MergeTree
ORDER BY seq`,
      // Events of each rollout attempt in write order (seq); a rollout created again under its id is a new generation.
      `CREATE TABLE IF NOT EXISTS agl_gateway_events (
    rollout_id String,
    generation String,
    attempt_id String,
    seq UInt64,
    event_type LowCardinality(String),
    timestamp Float64,
    data String CODEC(ZSTD(3))
) ENGINE = MergeTree
ORDER BY (rollout_id, generation, attempt_id, seq)`,
      // Registered model servers, upserted by (model, endpoint); a deletion is a row with deleted = 1.
      `CREATE TABLE IF NOT EXISTS agl_gateway_models (
    model String,
    endpoint String,
    model_version Int64,
    seq UInt64,
    deleted UInt8,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY (model, endpoint)`,
    ],
  },
  {
    id: 13,
    name: 'agl_store',
    statements: [
      // Agent Lightning's LightningStore API (queue/agl-store.ts, store/agl.ts). Its rollouts are the queue's: a
      // rollout's resources snapshot, and its creation order (Agent Lightning lists in insertion order).
      `ALTER TABLE rollouts ADD COLUMN IF NOT EXISTS resources_id String DEFAULT ''`,
      `ALTER TABLE rollouts ADD COLUMN IF NOT EXISTS created_seq UInt64 DEFAULT 0`,
      // Each span as Agent Lightning's JSON beside its otel_traces row, with its sequence id; a span id written
      // twice in one attempt (an exporter's retry) is read once, the first write (write_seq) winning.
      `CREATE TABLE IF NOT EXISTS agl_spans (
    rollout_id String,
    attempt_id String,
    span_id String,
    sequence_id UInt64,
    trace_id String,
    name String,
    span String CODEC(ZSTD(3)),
    write_seq UInt64
) ENGINE = MergeTree
ORDER BY (rollout_id, attempt_id, span_id)`,
      // Sequence ids handed out before their span arrived; the newest (largest) per rollout is kept.
      `CREATE TABLE IF NOT EXISTS agl_span_sequences (
    rollout_id String,
    sequence_id UInt64
) ENGINE = ReplacingMergeTree(sequence_id)
ORDER BY rollout_id`,
      // Workers, one row per change holding the whole worker (JSON); the newest row (highest version) is its state.
      `CREATE TABLE IF NOT EXISTS agl_workers (
    worker_id String,
    state String,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY worker_id`,
      // Resources snapshots: resources_id → the tracelight resource version of each named resource (pins, JSON);
      // one row per change, the newest (write_seq) is the state.
      `CREATE TABLE IF NOT EXISTS agl_resources (
    resources_id String,
    version UInt32,
    create_time Float64,
    update_time Float64,
    pins String,
    write_seq UInt64
) ENGINE = ReplacingMergeTree(write_seq)
ORDER BY resources_id`,
    ],
  },
  {
    id: 14,
    name: 'llm_call_usage_details',
    statements: [
      // Prompt-cache and reasoning token counts and the call's cost, where a convention reports them (normalize/usage.ts).
      'ALTER TABLE llm_calls ADD COLUMN IF NOT EXISTS cache_read_input_tokens Nullable(UInt32) AFTER output_tokens',
      'ALTER TABLE llm_calls ADD COLUMN IF NOT EXISTS cache_creation_input_tokens Nullable(UInt32) AFTER cache_read_input_tokens',
      'ALTER TABLE llm_calls ADD COLUMN IF NOT EXISTS reasoning_tokens Nullable(UInt32) AFTER cache_creation_input_tokens',
      'ALTER TABLE llm_calls ADD COLUMN IF NOT EXISTS cost_usd Nullable(Float64) AFTER reasoning_tokens',
    ],
  },
];

/** Tables the migrations runner itself keeps; created before any migration runs. */
export const MIGRATIONS_TABLE_DDL = `CREATE TABLE IF NOT EXISTS tracelight_migrations (
    id UInt32,
    name String,
    applied_at DateTime64(3) DEFAULT now64(3)
) ENGINE = ReplacingMergeTree(applied_at)
ORDER BY id`;
