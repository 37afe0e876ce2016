-- Run by the ClickHouse image on its first start (an empty data volume): tracelight's database, which
-- `tracelight migrate` fills, and the Collector's, where its clickhouse exporter creates otel_traces and otel_logs.
CREATE DATABASE IF NOT EXISTS tracelight;
CREATE DATABASE IF NOT EXISTS otel;
