// Summarises a V8 .cpuprofile (what `node --cpu-prof` writes): self time by function and by file, and
// inclusive time for the project's own functions. Only the main JS thread is profiled; native work on
// libuv/engine threads (chDB inserts, merges) shows up in the per-thread CPU table of the ingest bench.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  ms: number;
  pct: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  gcMs: number;
  selfByFunction: HotSpot[];
  selfByFile: HotSpot[];
  inclusiveProject: HotSpot[];
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  let u = url.startsWith('file://') ? url.slice(7) : url;
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + '/node_modules/'.length);
  const d = u.lastIndexOf('/dist/');
  if (d >= 0) u = u.slice(d + '/dist/'.length);
  return u;
}

function key(f: CallFrame): string {
  const name = f.functionName || '(anonymous)';
  if (!f.url) return name;
  return `${name} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
}

const isProject = (url: string): boolean => url.includes('/dist/') && !url.includes('/node_modules/');

export function summariseProfile(path: string, top = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) byId.set(n.id, n);
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const file = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let gc = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0) / 1000; // µs -> ms, delta until the next sample
    const node = byId.get(p.samples[i] as number);
    if (!node) continue;
    total += dt;
    const fn = node.callFrame.functionName;
    if (fn === '(idle)') {
      idle += dt;
      continue;
    }
    if (fn === '(garbage collector)') gc += dt;
    const k = key(node.callFrame);
    self.set(k, (self.get(k) ?? 0) + dt);
    const fk = node.callFrame.url ? shortUrl(node.callFrame.url) : fn || '(native)';
    file.set(fk, (file.get(fk) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const cf = byId.get(id)?.callFrame;
      if (!cf || !isProject(cf.url)) continue;
      const ik = key(cf);
      if (seen.has(ik)) continue;
      seen.add(ik);
      incl.set(ik, (incl.get(ik) ?? 0) + dt);
    }
  }
  const busy = total - idle;
  const rank = (m: Map<string, number>): HotSpot[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), pct: busy > 0 ? Math.round((1000 * ms) / busy) / 10 : 0 }));
  return {
    totalMs: Math.round(total),
    idleMs: Math.round(idle),
    gcMs: Math.round(gc),
    selfByFunction: rank(self),
    selfByFile: rank(file),
    inclusiveProject: rank(incl),
  };
}

export function formatProfile(s: ProfileSummary): string {
  const busy = s.totalMs - s.idleMs;
  const lines = [
    `main thread: ${s.totalMs} ms profiled, ${busy} ms busy (${s.totalMs > 0 ? Math.round((100 * busy) / s.totalMs) : 0}%), GC ${s.gcMs} ms; percentages are of busy time`,
  ];
  const table = (title: string, rows: HotSpot[]): void => {
    lines.push('', title);
    for (const r of rows) lines.push(`  ${String(r.pct.toFixed(1)).padStart(5)}%  ${String(r.ms).padStart(7)} ms  ${r.name}`);
  };
  table('self time by function:', s.selfByFunction);
  table('self time by file / package:', s.selfByFile);
  table('inclusive time, project functions (dist/):', s.inclusiveProject);
  return lines.join('\n');
}

// `node dist/bench/cpuprofile.js FILE.cpuprofile [top]`
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node dist/bench/cpuprofile.js FILE.cpuprofile [top]\n');
    process.exit(2);
  }
  process.stdout.write(formatProfile(summariseProfile(file, Number(process.argv[3] ?? 25))) + '\n');
}
