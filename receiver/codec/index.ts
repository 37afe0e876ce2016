// The OTLP codec's public face: decodes export requests (protobuf or OTLP/JSON) into flat SpanRecord /
// LogRecordRecord / MetricPointRecord lists and encodes the Export*ServiceResponse. Items that break the data model (bad ids,
// impossible timestamps, over-deep values) are rejected one by one and reported through partial_success, as
// the OTLP spec asks; a payload that cannot be parsed at all raises OtlpDecodeError (HTTP 400 / gRPC
// INVALID_ARGUMENT). Importers use this module only, so the layers behind it can move freely.
export { MAX_VALUE_DEPTH, OtlpDecodeError, type Decoded } from './decoded.js';
export { countProtoItems, decodeLogsProto, decodeTracesProto } from './protobuf.js';
export { decodeLogsJson, decodeTracesJson } from './json.js';
export { countMetricPoints, decodeMetricsProto } from './metrics-protobuf.js';
export { decodeMetricsJson } from './metrics-json.js';
export {
  decodeMetricsResponse,
  decodeRpcStatus,
  decodeTraceResponse,
  encodeLogsResponse,
  encodeMetricsResponse,
  encodeRpcStatus,
  encodeTraceResponse,
  logsResponseJson,
  metricsResponseJson,
  partialSuccessOf,
  traceResponseJson,
  type PartialSuccess,
} from './responses.js';
