// A small reader of ClickHouse's Native format as a client of a given protocol revision reads it (clickhouse-go's
// block decoder: BlockInfo from revision 1, a custom-serialization flag per column from 54454), decoding the values
// of the types dashboards and tests use. It is written apart from the server's re-layout so each checks the other.
export interface NativeColumn {
  name: string;
  type: string;
  values: unknown[];
}

export function decodeNative(data: Uint8Array, revision: number): NativeColumn[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = buf[pos++];
      if (b === undefined) throw new Error('Native data ended inside a varint');
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
  };
  const str = (): string => {
    const n = varint();
    const s = buf.toString('utf8', pos, pos + n);
    pos += n;
    return s;
  };
  const u64 = (): bigint => {
    const v = buf.readBigUInt64LE(pos);
    pos += 8;
    return v;
  };
  const inner = (type: string, prefix: string): string => type.slice(prefix.length + 1, -1);

  const prefixOf = (type: string): void => {
    if (type.startsWith('LowCardinality(')) {
      if (u64() !== 1n) throw new Error('LowCardinality key version is not 1');
    } else if (type.startsWith('Nullable(')) prefixOf(inner(type, 'Nullable'));
    else if (type.startsWith('Array(')) prefixOf(inner(type, 'Array'));
  };

  const read = (type: string, rows: number): unknown[] => {
    const out: unknown[] = [];
    const fixed = (size: number, get: (at: number) => unknown): unknown[] => {
      for (let i = 0; i < rows; i++) out.push(get(pos + i * size));
      pos += rows * size;
      return out;
    };
    if (type === 'String') {
      for (let i = 0; i < rows; i++) out.push(str());
      return out;
    }
    if (type === 'UInt8' || type === 'Bool') return fixed(1, (at) => buf.readUInt8(at));
    if (type === 'UInt16') return fixed(2, (at) => buf.readUInt16LE(at));
    if (type === 'UInt32') return fixed(4, (at) => buf.readUInt32LE(at));
    if (type === 'UInt64') return fixed(8, (at) => buf.readBigUInt64LE(at).toString());
    if (type === 'Int32') return fixed(4, (at) => buf.readInt32LE(at));
    if (type === 'Int64') return fixed(8, (at) => buf.readBigInt64LE(at).toString());
    if (type === 'Float32') return fixed(4, (at) => buf.readFloatLE(at));
    if (type === 'Float64') return fixed(8, (at) => buf.readDoubleLE(at));
    if (type === 'Date') return fixed(2, (at) => new Date(buf.readUInt16LE(at) * 86_400_000).toISOString().slice(0, 10));
    if (type === 'DateTime' || type.startsWith('DateTime(')) return fixed(4, (at) => new Date(buf.readUInt32LE(at) * 1000).toISOString());
    if (type.startsWith('DateTime64(')) {
      const scale = Number(/^DateTime64\((\d+)/.exec(type)?.[1] ?? 3);
      return fixed(8, (at) => new Date(Number(buf.readBigInt64LE(at) / 10n ** BigInt(Math.max(0, scale - 3)))).toISOString());
    }
    if (type.startsWith('Nullable(')) {
      const nulls = [...buf.subarray(pos, pos + rows)];
      pos += rows;
      return read(inner(type, 'Nullable'), rows).map((v, i) => (nulls[i] ? null : v));
    }
    if (type.startsWith('Array(')) {
      const offsets: number[] = [];
      for (let i = 0; i < rows; i++) offsets.push(Number(u64()));
      const values = read(inner(type, 'Array'), offsets[offsets.length - 1] ?? 0);
      return offsets.map((end, i) => values.slice(offsets[i - 1] ?? 0, end));
    }
    if (type.startsWith('LowCardinality(')) {
      const of = inner(type, 'LowCardinality');
      const nullable = of.startsWith('Nullable(');
      const keyType = nullable ? inner(of, 'Nullable') : of;
      while (out.length < rows) {
        const flags = Number(u64());
        const keys = flags & (1 << 9) ? read(keyType, Number(u64())) : [];
        const n = Number(u64());
        const size = [1, 2, 4, 8][flags & 0xff] as number;
        for (let i = 0; i < n; i++) {
          const at = pos + i * size;
          const k = size === 1 ? buf.readUInt8(at) : size === 2 ? buf.readUInt16LE(at) : size === 4 ? buf.readUInt32LE(at) : Number(buf.readBigUInt64LE(at));
          out.push(nullable && k === 0 ? null : keys[k]);
        }
        pos += n * size;
      }
      return out;
    }
    throw new Error(`the test decoder does not read ${type}`);
  };

  const columns: NativeColumn[] = [];
  while (pos < buf.length) {
    if (revision > 0) {
      // field 1 (is_overflows), field 2 (bucket_num), end
      if (varint() !== 1) throw new Error('BlockInfo field 1 missing');
      pos += 1;
      if (varint() !== 2) throw new Error('BlockInfo field 2 missing');
      pos += 4;
      if (varint() !== 0) throw new Error('BlockInfo does not end after field 2');
    }
    const ncols = varint();
    const nrows = varint();
    for (let c = 0; c < ncols; c++) {
      const name = str();
      const type = str();
      if (revision >= 54454 && buf[pos++] !== 0) throw new Error(`column ${name} claims a custom serialization`);
      const values = nrows > 0 ? (prefixOf(type), read(type, nrows)) : [];
      const existing = columns[c];
      if (existing) existing.values.push(...values);
      else columns.push({ name, type, values });
    }
  }
  return columns;
}
