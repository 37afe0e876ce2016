// The Grafana dashboards in deploy/grafana run against the data the demo leaves: every ClickHouse panel's SQL,
// with the data source's macros expanded as its backend does, runs in tracelight's SQL sandbox (what a
// read-only Grafana user gets) and returns the columns its panel type needs; every Prometheus panel asks for
// metrics tracelight's /metrics exposes; the panels' data sources are the provisioned ones.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startServer, type RunningServer } from '../../server/server.js';
import { CLI_PATH, cliBuilt, REPO_ROOT } from '../support/cli-process.js';
import { expandMacros } from '../support/grafana-macros.js';

const run = promisify(execFile);
const GRAFANA = join(REPO_ROOT, 'deploy', 'grafana');

interface Target {
  refId: string;
  datasource: { type: string; uid: string };
  rawSql?: string;
  expr?: string;
}
interface Panel {
  id: number;
  title: string;
  type: string;
  datasource: { type: string; uid: string };
  targets: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
}

const dashboards: Dashboard[] = readdirSync(join(GRAFANA, 'dashboards'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(GRAFANA, 'dashboards', f), 'utf8')) as Dashboard);

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-grafana-'));
  if (!cliBuilt()) return;
  await run(process.execPath, [CLI_PATH, 'demo', '--data', dir, '--format', 'jsonl'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
  server = await startServer({ port: 0, grpcPort: null, store: { dataDir: dir } });
}, 180_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(cliBuilt())('deploy/grafana dashboards', () => {
  it('are the four dashboards, on the provisioned data sources', () => {
    expect(dashboards.map((d) => d.uid).sort()).toEqual(['tracelight-agents', 'tracelight-ingest', 'tracelight-training-data', 'tracelight-training-runs']);
    const provisioned = parseYaml(readFileSync(join(GRAFANA, 'provisioning', 'datasources', 'tracelight.yaml'), 'utf8')) as {
      datasources: { uid: string; type: string }[];
    };
    const known = new Set(provisioned.datasources.map((d) => `${d.type}/${d.uid}`));
    for (const d of dashboards)
      for (const p of d.panels) for (const t of [p, ...p.targets]) expect(known, `${d.uid}: ${p.title}`).toContain(`${t.datasource.type}/${t.datasource.uid}`);
  });

  it('every ClickHouse panel returns rows from the demo’s data, with the columns its panel type needs', async () => {
    const to = new Date(Date.now() + 3_600_000);
    const from = new Date(Date.now() - 86_400_000);
    let checked = 0;
    for (const d of dashboards) {
      for (const p of d.panels) {
        for (const t of p.targets.filter((x) => x.rawSql !== undefined)) {
          const sql = expandMacros(t.rawSql!, { from, to, intervalMs: 60_000 });
          const what = `${d.uid} / ${p.title}`;
          let rows: Record<string, unknown>[];
          try {
            rows = await server.store.readOnlyQuery(sql);
          } catch (err) {
            throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
          }
          expect(rows.length, what).toBeGreaterThan(0);
          const first = rows[0]!;
          const numeric = Object.entries(first).filter(
            ([k, v]) => k !== 'time' && (typeof v === 'number' || (typeof v === 'string' && v !== '' && Number.isFinite(Number(v)))),
          );
          if (p.type === 'timeseries') {
            expect(Object.keys(first)[0], what).toBe('time');
            expect(Number.isNaN(Date.parse(String(first.time).replace(' ', 'T') + 'Z')), `${what}: time ${String(first.time)}`).toBe(false);
            expect(numeric.length, `${what}: a numeric field`).toBeGreaterThan(0);
          } else {
            expect(Object.keys(first).length, what).toBeGreaterThan(1);
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(12);
  });

  it('every Prometheus panel asks for metrics that /metrics exposes', async () => {
    const exposed = await (await fetch(`${server.httpUrl}/metrics`)).text();
    const types = new Set([...exposed.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const asked = dashboards.flatMap((d) =>
      d.panels.flatMap((p) => p.targets.flatMap((t) => [...(t.expr ?? '').matchAll(/\b(tracelight_[a-z_]+)/g)].map((m) => m[1]!))),
    );
    expect(asked.length).toBeGreaterThan(5);
    for (const name of asked) expect(types, name).toContain(name.replace(/_(bucket|sum|count)$/, ''));
  });
});
