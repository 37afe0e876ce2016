// An export request nests its items resource → scope → item, the same way for traces, logs and metrics; only
// the field names differ. Keeping that walk in one place (instead of one hand-written copy per signal) is what
// makes every signal reject the same malformed nesting with the same paths and the same counts. A metric is one
// item of the walk that yields many (its data points): its reader adds them to the result itself. The
// protobuf decoder walks the same shape from the wire framing (pbDecodeNested in protobuf.ts), with the
// same names and item-reader signature; it stays there because it walks byte ranges, not JSON values.
import type { Attributes, Scope } from '../../schemas/telemetry.js';
import { Collector, ItemError, OtlpDecodeError, type Decoded } from './decoded.js';
import { asArray, asObject, asStringOr, field, jsonAttrs, jsonScope, type Json } from './json-values.js';

/** One signal's nesting: the request's name, and each level's field in lowerCamelCase (as paths spell it) and snake_case. */
export interface Nesting {
  request: string;
  resource: string;
  resourceSnake: string;
  scope: string;
  scopeSnake: string;
  item: string;
  itemSnake: string;
}

export const TRACES: Nesting = {
  request: 'ExportTraceServiceRequest',
  resource: 'resourceSpans',
  resourceSnake: 'resource_spans',
  scope: 'scopeSpans',
  scopeSnake: 'scope_spans',
  item: 'spans',
  itemSnake: 'spans',
};

export const LOGS: Nesting = {
  request: 'ExportLogsServiceRequest',
  resource: 'resourceLogs',
  resourceSnake: 'resource_logs',
  scope: 'scopeLogs',
  scopeSnake: 'scope_logs',
  item: 'logRecords',
  itemSnake: 'log_records',
};

export const METRICS: Nesting = {
  request: 'ExportMetricsServiceRequest',
  resource: 'resourceMetrics',
  resourceSnake: 'resource_metrics',
  scope: 'scopeMetrics',
  scopeSnake: 'scope_metrics',
  item: 'metrics',
  itemSnake: 'metrics',
};

/**
 * Reads one item from `src` (`at` locates it: a byte range's end, or a JSON path) under the resource and scope
 * it inherits, and returns it; or adds what it read to `out` itself and returns undefined (a metric's data
 * points, each accepted or rejected on its own). Throws ItemError to reject the item alone; anything else fails
 * the request.
 */
export type ItemReader<S, A, T> = (
  src: S,
  at: A,
  resource: Attributes,
  resourceSchemaUrl: string,
  scope: Scope,
  scopeSchemaUrl: string,
  out: Collector<T>,
) => T | undefined;

/**
 * The resource → scope → item walk of a parsed OTLP/JSON request, calling `item` with each item's object and
 * path. A resource or scope that cannot be read (not an object, bad attributes, children not an array) is
 * one rejection under its own path: unlike protobuf framing, JSON that is wrong at that level says nothing
 * reliable about how many items it meant to carry. A top-level field that is not an array fails the request.
 */
export function walkJson<T>(req: Json, n: Nesting, item: ItemReader<Json, string, T>): Decoded<T> {
  const out = new Collector<T>();
  topLevelArray(req, n).forEach((rv, i) => {
    const rp = `${n.resource}[${i}]`;
    let ro: Json, resource: Attributes, scopes: unknown[];
    try {
      ro = asObject(rv, rp);
      resource = jsonAttrs(asObject(ro.resource, `${rp}.resource`).attributes, `${rp}.resource.attributes`);
      scopes = asArray(field(ro, n.scope, n.scopeSnake), `${rp}.${n.scope}`);
    } catch (err) {
      if (!(err instanceof ItemError)) throw err;
      out.reject(rp, err);
      return;
    }
    const resourceSchemaUrl = asStringOr(field(ro, 'schemaUrl', 'schema_url'));
    scopes.forEach((sv, j) => {
      const sp = `${rp}.${n.scope}[${j}]`;
      let so: Json, scope: Scope, items: unknown[];
      try {
        so = asObject(sv, sp);
        scope = jsonScope(so.scope, `${sp}.scope`);
        items = asArray(field(so, n.item, n.itemSnake), `${sp}.${n.item}`);
      } catch (err) {
        if (!(err instanceof ItemError)) throw err;
        out.reject(sp, err);
        return;
      }
      const scopeSchemaUrl = asStringOr(field(so, 'schemaUrl', 'schema_url'));
      items.forEach((v, k) => {
        const p = `${sp}.${n.item}[${k}]`;
        try {
          const read = item(asObject(v, p), p, resource, resourceSchemaUrl, scope, scopeSchemaUrl, out);
          if (read !== undefined) out.items.push(read);
        } catch (err) {
          if (!(err instanceof ItemError)) throw err;
          out.reject(p, err);
        }
      });
    });
  });
  return out;
}

function topLevelArray(req: Json, n: Nesting): unknown[] {
  const v = field(req, n.resource, n.resourceSnake);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${n.request}.${n.resource} must be an array`);
  return v;
}
