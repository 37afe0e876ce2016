"""Records known metrics with the OpenTelemetry Python SDK and exports them once over OTLP (test/integration/otlp-metrics.test.ts).

Usage: otlp_metrics.py http/protobuf|grpc ENDPOINT SERVICE

Every instrument kind the SDK has: counter (int, inside a sampled span, so it carries an exemplar with the span's
ids), up-down counter, synchronous and observable gauges, an explicit-bucket histogram whose view keeps one
attribute (the dropped one goes into the exemplar's filtered attributes), an exponential histogram, and the GenAI
client token usage histogram. The exporter is wrapped so that what it sent (the SDK's MetricsData as OTLP JSON)
and whether it succeeded are printed as one JSON line, which the test compares with what tracelight stored.
"""
import json
import sys

from opentelemetry.metrics import Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

protocol, endpoint, service = sys.argv[1], sys.argv[2], sys.argv[3]
if protocol == "grpc":
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

    inner = OTLPMetricExporter(endpoint=endpoint, insecure=True)
else:
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    inner = OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics")


def exact(v):
    """Integers past 2^53 (nanosecond times) as strings, so that a JSON reader in JavaScript keeps every digit."""
    if isinstance(v, dict):
        return {k: exact(x) for k, x in v.items()}
    if isinstance(v, list):
        return [exact(x) for x in v]
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53:
        return str(v)
    return v


class Recording(MetricExporter):
    """Passes everything to the OTLP exporter, keeping what it exported and the results."""

    def __init__(self, exporter):
        super().__init__(preferred_temporality=exporter._preferred_temporality, preferred_aggregation=exporter._preferred_aggregation)
        self.exporter = exporter
        self.exported = []
        self.results = []

    def export(self, metrics_data, timeout_millis=10_000, **kwargs):
        self.exported.append(exact(json.loads(metrics_data.to_json())))
        result = self.exporter.export(metrics_data, timeout_millis=timeout_millis)
        self.results.append(result.name)
        return result

    def force_flush(self, timeout_millis=10_000):
        return True

    def shutdown(self, timeout_millis=30_000, **kwargs):
        self.exporter.shutdown()


recording = Recording(inner)
reader = PeriodicExportingMetricReader(recording, export_interval_millis=3_600_000)
provider = MeterProvider(
    resource=Resource.create({"service.name": service, "res.bool": True}),
    metric_readers=[reader],
    views=[
        View(instrument_name="py.latency", aggregation=ExplicitBucketHistogramAggregation(boundaries=[10.0, 100.0]), attribute_keys={"kept"}),
        View(instrument_name="py.exp", aggregation=ExponentialBucketHistogramAggregation(max_size=160)),
    ],
)
tracer = TracerProvider().get_tracer("py-metrics-test")
meter = provider.get_meter("py-metrics-test", "7.8.9")

requests = meter.create_counter("py.requests", unit="{request}", description="Requests")
depth = meter.create_up_down_counter("py.queue.depth")
temperature = meter.create_gauge("py.temperature", unit="Cel")
latency = meter.create_histogram("py.latency", unit="ms")
exp = meter.create_histogram("py.exp", unit="ms")
tokens = meter.create_histogram(
    "gen_ai.client.token.usage",
    unit="{token}",
    description="Number of input and output tokens used.",
    explicit_bucket_boundaries_advisory=[1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
)
meter.create_observable_gauge("py.observed", callbacks=[lambda options: [Observation(2.5, {"src": "cb"})]])

with tracer.start_as_current_span("measured") as span:
    ctx = span.get_span_context()
    requests.add(5, {"route": "/x"})
    latency.record(42.0, {"kept": "k", "dropped": "d"})
depth.add(3)
depth.add(-10)
temperature.set(19.5, {"room": "r1"})
for v in (0.0, 1.0, 3.0, 250.0):
    exp.record(v)
tokens.record(300, {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.token.type": "input"})

# Shutting down exports once (a flush first would export the cumulative points twice).
provider.shutdown()
print(
    json.dumps(
        {
            "results": recording.results,
            "exported": recording.exported,
            "trace_id": format(ctx.trace_id, "032x"),
            "span_id": format(ctx.span_id, "016x"),
        }
    )
)
