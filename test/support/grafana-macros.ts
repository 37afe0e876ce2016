// The SQL macros of Grafana's ClickHouse data source (grafana-clickhouse-datasource v4), expanded the way the
// plugin's backend does before it sends a query, so dashboard SQL can be run against a store in a test:
// times become toDateTime(<unix seconds>) / fromUnixTimestamp64Milli(<ms>), dates toDate('YYYY-MM-DD'),
// $__timeInterval(c) toStartOfInterval(toDateTime(c), INTERVAL <s> second), $__interval_s the interval.
export interface MacroContext {
  from: Date;
  to: Date;
  /** The panel's interval in milliseconds (Grafana derives it from the range and the panel width). */
  intervalMs: number;
}

const dt = (d: Date): string => `toDateTime(${Math.floor(d.getTime() / 1000)})`;
const dt64 = (d: Date): string => `fromUnixTimestamp64Milli(${d.getTime()})`;
const date = (d: Date): string => `toDate('${d.toISOString().slice(0, 10)}')`;

type Macro = (args: string[], c: MacroContext) => string;

function oneArg(name: string, args: string[]): string {
  if (args.length !== 1) throw new Error(`$__${name}: expected 1 argument, received ${args.length}`);
  return args[0] as string;
}

const MACROS: Record<string, Macro> = {
  fromTime: (_, c) => dt(c.from),
  toTime: (_, c) => dt(c.to),
  fromTime_ms: (_, c) => dt64(c.from),
  toTime_ms: (_, c) => dt64(c.to),
  timeFilter: (a, c) => {
    const col = oneArg('timeFilter', a);
    return `${col} >= ${dt(c.from)} AND ${col} <= ${dt(c.to)}`;
  },
  timeFilter_ms: (a, c) => {
    const col = oneArg('timeFilter_ms', a);
    return `${col} >= ${dt64(c.from)} AND ${col} <= ${dt64(c.to)}`;
  },
  dateFilter: (a, c) => {
    const col = oneArg('dateFilter', a);
    return `${col} >= ${date(c.from)} AND ${col} <= ${date(c.to)}`;
  },
  timeInterval: (a, c) => `toStartOfInterval(toDateTime(${oneArg('timeInterval', a)}), INTERVAL ${Math.max(Math.floor(c.intervalMs / 1000), 1)} second)`,
  timeInterval_ms: (a, c) =>
    `toStartOfInterval(toDateTime64(${oneArg('timeInterval_ms', a)}, 3), INTERVAL ${Math.max(Math.floor(c.intervalMs), 1)} millisecond)`,
  interval_s: (_, c) => String(Math.max(Math.floor(c.intervalMs / 1000), 1)),
};

/** Expands every `$__name` / `$__name(args)` macro; an unknown macro is an error, as in the plugin. */
export function expandMacros(sql: string, c: MacroContext): string {
  return sql.replace(/\$__([A-Za-z_]+)(?:\(([^()]*)\))?/g, (_, name: string, args: string | undefined) => {
    const macro = MACROS[name];
    if (!macro) throw new Error(`unknown macro $__${name}`);
    const list = args === undefined || args.trim() === '' ? [] : args.split(',').map((s) => s.trim());
    return macro(list, c);
  });
}
