// The Native format as a client of a given protocol revision reads it. A ClickHouse server writes Native for the
// `client_protocol_version` a request names (HTTPHandler sets it on the query's context): from revision 1 each
// block opens with its BlockInfo, and from 54454 each column's type is followed by a "custom serialization" flag.
// clickhouse-go (Grafana's data source) asks for its own revision and decodes blocks in that layout; clickhouse-
// connect asks for 54405 once it has seen the server honour it. The embedded engine writes revision 0 only (it
// has no protocol context), so its blocks are re-laid here. Column data is the same in every revision; it is
// walked, never decoded, to find where one column ends and the next begins.

/** From this revision on, a column's type is followed by a one-byte "has custom serialization" flag. */
const CUSTOM_SERIALIZATION_REVISION = 54454;

/** BlockInfo as the server writes it: field 1 is_overflows = false, field 2 bucket_num = -1, then 0. */
const BLOCK_INFO = Buffer.from([0x01, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00]);

export class NativeLayoutError extends Error {}

/** Rewrites revision-0 Native blocks for a client of `revision` (0 returns them as they are). */
export function nativeForRevision(data: Buffer, revision: number): Buffer {
  if (revision <= 0 || data.length === 0) return data;
  const r = new Reader(data);
  const out: Buffer[] = [];
  while (r.pos < data.length) {
    out.push(BLOCK_INFO);
    const blockStart = r.pos;
    const columns = r.varint();
    const rows = r.varint();
    out.push(data.subarray(blockStart, r.pos));
    for (let c = 0; c < columns; c++) {
      const headerStart = r.pos;
      const name = r.string();
      const typeName = r.string();
      out.push(data.subarray(headerStart, r.pos));
      if (revision >= CUSTOM_SERIALIZATION_REVISION) out.push(Buffer.of(0));
      const dataStart = r.pos;
      // Zero rows are zero bytes of data, state prefixes included (NativeWriter writes nothing for them).
      if (rows > 0) {
        let type: TypeNode;
        try {
          type = parseType(typeName);
          skipPrefix(r, type);
          skipData(r, type, rows);
        } catch (err) {
          if (err instanceof NativeLayoutError) throw new NativeLayoutError(`column ${name} (${typeName}): ${err.message}`);
          throw err;
        }
      }
      out.push(data.subarray(dataStart, r.pos));
    }
  }
  return Buffer.concat(out);
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  need(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0 || this.pos + n > this.buf.length) throw new NativeLayoutError('the engine’s Native output ended early');
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  varint(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      this.need(1);
      const byte = this.buf[this.pos++] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
      shift += 7;
      if (shift > 63) throw new NativeLayoutError('a length in the Native output is malformed');
    }
  }

  uint64(): number {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new NativeLayoutError('a count in the Native output is too large');
    return Number(v);
  }

  uint64At(pos: number): number {
    const v = this.buf.readBigUInt64LE(pos);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new NativeLayoutError('a count in the Native output is too large');
    return Number(v);
  }

  string(): string {
    const n = this.varint();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}

interface TypeNode {
  name: string;
  args: string[];
}

const FIXED_SIZE: Readonly<Record<string, number>> = {
  UInt8: 1,
  Int8: 1,
  Bool: 1,
  Enum8: 1,
  Nothing: 1,
  UInt16: 2,
  Int16: 2,
  Date: 2,
  Enum16: 2,
  BFloat16: 2,
  UInt32: 4,
  Int32: 4,
  Float32: 4,
  Date32: 4,
  DateTime: 4,
  IPv4: 4,
  Time: 4,
  Decimal32: 4,
  UInt64: 8,
  Int64: 8,
  Float64: 8,
  DateTime64: 8,
  Time64: 8,
  Decimal64: 8,
  UInt128: 16,
  Int128: 16,
  UUID: 16,
  IPv6: 16,
  Decimal128: 16,
  UInt256: 32,
  Int256: 32,
  Decimal256: 32,
};

/** Geo types are names for nested tuples and arrays of Float64. */
const ALIASES: Readonly<Record<string, string>> = {
  Point: 'Tuple(Float64, Float64)',
  Ring: 'Array(Point)',
  LineString: 'Array(Point)',
  MultiLineString: 'Array(Ring)',
  Polygon: 'Array(Ring)',
  MultiPolygon: 'Array(Polygon)',
};

const parsed = new Map<string, TypeNode>();

function parseType(text: string): TypeNode {
  const key = text.trim();
  let node = parsed.get(key);
  if (!node) {
    const open = key.indexOf('(');
    if (open < 0) {
      const alias = ALIASES[key];
      node = alias ? parseType(alias) : { name: key, args: [] };
    } else {
      if (!key.endsWith(')')) throw new NativeLayoutError(`cannot read the type ${key}`);
      node = { name: key.slice(0, open).trim(), args: splitArgs(key.slice(open + 1, -1)) };
    }
    if (parsed.size < 10_000) parsed.set(key, node);
  }
  return node;
}

/** Splits type arguments at top-level commas, outside parentheses and quotes. */
function splitArgs(text: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '`' || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  args.push(text.slice(start).trim());
  return args.filter((a) => a !== '');
}

/** The type of a tuple element, which may be named (`name Type`, `` `a name` Type ``). */
function elementType(arg: string): TypeNode {
  if (arg.startsWith('`')) {
    for (let i = 1; i < arg.length; i++) {
      if (arg[i] === '\\') i++;
      else if (arg[i] === '`') return parseType(arg.slice(i + 1));
    }
  }
  const named = /^[A-Za-z_][A-Za-z0-9_]*\s+(\S[\s\S]*)$/.exec(arg);
  return parseType(named ? (named[1] as string) : arg);
}

function only(t: TypeNode, i: number): TypeNode {
  const arg = t.args[i];
  if (arg === undefined) throw new NativeLayoutError(`cannot read the type ${t.name} without its arguments`);
  return parseType(arg);
}

function fixedSize(t: TypeNode): number | undefined {
  const size = FIXED_SIZE[t.name];
  if (size !== undefined) return size;
  if (t.name.startsWith('Interval')) return 8;
  if (t.name === 'Decimal') {
    const precision = Number(t.args[0]);
    return precision <= 9 ? 4 : precision <= 18 ? 8 : precision <= 38 ? 16 : 32;
  }
  if (t.name === 'FixedString') {
    const n = Number(t.args[0]);
    if (!Number.isInteger(n) || n <= 0) throw new NativeLayoutError(`cannot read the type FixedString(${t.args[0]})`);
    return n;
  }
  return undefined;
}

/** Per-column state written before the data of every row (LowCardinality's key version, at any depth). */
function skipPrefix(r: Reader, t: TypeNode): void {
  switch (t.name) {
    case 'LowCardinality':
      r.skip(8);
      return;
    case 'Nullable':
    case 'Array':
      skipPrefix(r, only(t, 0));
      return;
    case 'SimpleAggregateFunction':
      skipPrefix(r, only(t, 1));
      return;
    case 'Map':
      skipPrefix(r, only(t, 0));
      skipPrefix(r, only(t, 1));
      return;
    case 'Tuple':
    case 'Nested':
      for (const a of t.args) skipPrefix(r, elementType(a));
      return;
    default:
      return;
  }
}

const LC_HAS_ADDITIONAL_KEYS = 1 << 9;
const LC_NEEDS_GLOBAL_DICTIONARY = 1 << 8;
const LC_INDEX_SIZES = [1, 2, 4, 8];

function skipData(r: Reader, t: TypeNode, rows: number): void {
  if (rows === 0) return;
  const size = fixedSize(t);
  if (size !== undefined) {
    r.skip(size * rows);
    return;
  }
  switch (t.name) {
    case 'String':
      for (let i = 0; i < rows; i++) r.skip(r.varint());
      return;
    case 'Nullable':
      r.skip(rows);
      skipData(r, only(t, 0), rows);
      return;
    case 'SimpleAggregateFunction':
      skipData(r, only(t, 1), rows);
      return;
    case 'Array':
      skipData(r, only(t, 0), skipOffsets(r, rows));
      return;
    case 'Map': {
      const total = skipOffsets(r, rows);
      skipData(r, only(t, 0), total);
      skipData(r, only(t, 1), total);
      return;
    }
    case 'Nested': {
      const total = skipOffsets(r, rows);
      for (const a of t.args) skipData(r, elementType(a), total);
      return;
    }
    case 'Tuple':
      for (const a of t.args) skipData(r, elementType(a), rows);
      return;
    case 'LowCardinality': {
      const inner = only(t, 0);
      const keys = inner.name === 'Nullable' ? only(inner, 0) : inner;
      for (let read = 0; read < rows;) {
        const flags = r.uint64();
        if (flags & LC_NEEDS_GLOBAL_DICTIONARY) throw new NativeLayoutError('a LowCardinality column with a shared dictionary cannot be re-laid');
        const indexSize = LC_INDEX_SIZES[flags & 0xff];
        if (indexSize === undefined) throw new NativeLayoutError('a LowCardinality column has an unknown index type');
        if (flags & LC_HAS_ADDITIONAL_KEYS) skipData(r, keys, r.uint64());
        const here = r.uint64();
        if (here === 0) throw new NativeLayoutError('a LowCardinality column holds an empty granule');
        r.skip(here * indexSize);
        read += here;
      }
      return;
    }
    default:
      throw new NativeLayoutError(`the type ${t.name} cannot be sent to this client's protocol revision; cast the column (toString) or ask for another format`);
  }
}

/** Array offsets are cumulative: the last one is the number of nested values. */
function skipOffsets(r: Reader, rows: number): number {
  r.need(8 * rows);
  const total = r.uint64At(r.pos + 8 * (rows - 1));
  r.skip(8 * rows);
  return total;
}
