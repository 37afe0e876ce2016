// Versioned resources: every name with its labels; one name's history (labels, metrics, lineage), a
// side-by-side diff of any two versions (?a=V&b=W), and moving a label (`production` by default) to a version.
import { useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'wouter';
import { api, enc, withQuery } from '../api';
import { SideBySideDiff, resourceText } from '../diff';
import { Empty, ErrorBox, LinkRow, Loading, PageHead, Section } from '../components';
import { ago, param, plural, score, time } from '../format';
import { usePoll } from '../hooks';
import { useSession } from '../session';
import type { ApoReport, JobRun, LabelMove, ResourceHistory, ResourceSummary, ResourceVersion } from '../types';

const PRODUCTION = 'production';

function LabelChips({ labels }: { labels: Record<string, number> | string[] }): ReactNode {
  const entries = Array.isArray(labels)
    ? labels.map((l) => [l, null] as const)
    : Object.entries(labels).sort(([a], [b]) => (a === PRODUCTION ? -1 : b === PRODUCTION ? 1 : a.localeCompare(b)));
  return (
    <span className="labels">
      {entries.map(([l, v]) => (
        <span key={l} className={`label${l === PRODUCTION ? ' label-production' : ''}`} data-label={l}>
          {l}
          {v !== null ? <span className="label-v"> v{v}</span> : null}
        </span>
      ))}
    </span>
  );
}

export function ResourcesPage(): ReactNode {
  const q = usePoll((signal) => api<{ resources: ResourceSummary[] }>('/resources', { signal }), 'resources', 10000);
  const list = q.data?.resources ?? [];
  return (
    <div className="page" data-view="resources">
      <PageHead title="Resources" sub="versioned prompt templates, LLM endpoints, models and JSON that agents fetch" />
      <ErrorBox error={q.error} what="resources" />
      {q.data === undefined ? (
        q.error ? null : (
          <Loading />
        )
      ) : list.length === 0 ? (
        <Empty>No resource is stored yet: create one with POST /api/v1/resources/NAME/versions or tracelight resources put.</Empty>
      ) : (
        <table className="data" data-table="resources">
          <thead>
            <tr>
              <th>name</th>
              <th>kind</th>
              <th className="num">latest</th>
              <th className="num">versions</th>
              <th>labels</th>
              <th>updated</th>
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <LinkRow key={r.name} to={`/resources/${enc(r.name)}`} data-resource={r.name}>
                <td>
                  <Link href={`/resources/${enc(r.name)}`} className="mono">
                    {r.name}
                  </Link>
                </td>
                <td>
                  <span className="kind">{r.kind}</span>
                </td>
                <td className="num">v{r.latest_version}</td>
                <td className="num">{r.versions}</td>
                <td>
                  <LabelChips labels={r.labels} />
                </td>
                <td title={time(r.updated_at)}>{ago(r.updated_at)}</td>
              </LinkRow>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

interface RunInfo {
  run: JobRun;
  /** The run's scores of the version it wrote, from its report (APO candidates). */
  scores: Map<number, { candidate: string; train: number | null; validation: number | null }>;
}

/** The history plus, for each author that is a training run, the run (its report scores the versions it wrote). */
async function loadHistory(name: string, signal: AbortSignal): Promise<{ history: ResourceHistory; runs: Map<string, RunInfo> }> {
  const history = await api<ResourceHistory>(`/resources/${enc(name)}/versions?limit=1000`, { signal });
  const authors = new Set(history.versions.map((v) => v.author).filter((a): a is string => !!a));
  // Only authors the run record knows are fetched: a person's name would answer 404.
  const recorded = authors.size ? (await api<{ runs: JobRun[] }>('/training/runs?limit=1000', { signal })).runs.filter((r) => authors.has(r.run_id)) : [];
  const runs = new Map<string, RunInfo>();
  await Promise.all(
    recorded.map(async ({ run_id }) => {
      const run = await api<JobRun>(`/training/runs/${enc(run_id)}`, { signal });
      const report = run.report as ApoReport | null | undefined;
      const scores = new Map<number, { candidate: string; train: number | null; validation: number | null }>();
      for (const c of Array.isArray(report?.candidates) ? report.candidates : [])
        if (c.version !== undefined) scores.set(c.version, { candidate: c.id, train: c.train, validation: c.validation });
      runs.set(run_id, { run, scores });
    }),
  );
  return { history, runs };
}

function Metrics({ v, run }: { v: ResourceVersion; run: RunInfo | undefined }): ReactNode {
  const m = Object.entries(v.metrics);
  const s = run?.scores.get(v.version);
  if (m.length === 0 && !s) return <span className="muted">–</span>;
  return (
    <span className="metrics">
      {m.map(([k, x]) => (
        <span key={k} className="metric" data-metric={k}>
          {k} <strong>{score(x)}</strong>
        </span>
      ))}
      {s ? (
        <span className="metric run-score" title={`scores of candidate ${s.candidate} in run ${run?.run.run_id}`}>
          {s.candidate}: train <strong>{score(s.train)}</strong> · val <strong>{score(s.validation)}</strong>
        </span>
      ) : null}
    </span>
  );
}

function Promote({
  name,
  v,
  label,
  canAdmin,
  current,
  onMoved,
}: {
  name: string;
  v: ResourceVersion;
  label: string;
  canAdmin: boolean;
  current: number | undefined;
  onMoved: (m: LabelMove) => void;
}): ReactNode {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (current === v.version) return <span className="muted small">{label} is here</span>;
  const title = label === PRODUCTION ? 'Promote to production' : `Move ${label} here`;
  if (!canAdmin)
    return (
      <button type="button" className="small" disabled data-action="promote" data-version={v.version} title={`${title}: promoting needs an admin key`}>
        promoting needs an admin key
      </button>
    );
  const move = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const m = await api<LabelMove>(`/resources/${enc(name)}/labels/${enc(label)}`, { method: 'POST', body: { version: v.version } });
      setConfirming(false);
      onMoved(m);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  if (!confirming)
    return (
      <button type="button" className="small" data-action="promote" data-version={v.version} onClick={() => setConfirming(true)} disabled={!label}>
        {title}
      </button>
    );
  return (
    <span className="confirm" role="group" aria-label={`confirm moving ${label}`}>
      <span className="small">
        Move <strong>{label}</strong> {current !== undefined ? `from v${current} ` : ''}to v{v.version}?
      </span>{' '}
      <button type="button" className="small primary" data-action="confirm-promote" onClick={() => void move()} disabled={busy} autoFocus>
        {busy ? 'moving…' : 'yes, move it'}
      </button>{' '}
      <button type="button" className="small ghost" onClick={() => setConfirming(false)} disabled={busy}>
        cancel
      </button>
      {error ? <ErrorBox error={new Error(error)} /> : null}
    </span>
  );
}

export function ResourcePage({ name: rawName }: { name: string }): ReactNode {
  const name = param(rawName);
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const [label, setLabel] = useState(PRODUCTION);
  const [moved, setMoved] = useState<LabelMove | null>(null);
  const q = usePoll((signal) => loadHistory(name, signal), name, null);
  const a = Number(params.get('a')) || null;
  const b = Number(params.get('b')) || null;
  const shown = Number(params.get('v')) || null;

  const h = q.data?.history;
  const runs = q.data?.runs ?? new Map<string, RunInfo>();
  const byVersion = new Map((h?.versions ?? []).map((v) => [v.version, v]));
  // Versions a deep link names but the history page does not hold are fetched on their own.
  const missing = [a, b, shown].filter((x): x is number => x !== null && h !== undefined && !byVersion.has(x));
  const extra = usePoll(
    async (signal) => Promise.all(missing.map((n) => api<ResourceVersion>(`/resources/${enc(name)}/versions/${n}`, { signal }))),
    `${name}:${missing.join(',')}`,
    null,
  );
  for (const v of extra.data ?? []) byVersion.set(v.version, v);

  const pick = (which: 'a' | 'b' | 'v', version: number | null): void => {
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (version === null) next.delete(which);
        else next.set(which, String(version));
        return next;
      },
      { replace: true },
    );
  };
  const compare = (x: number, y: number): string => withQuery(`/resources/${enc(name)}`, { a: x, b: y });
  const current = h?.labels[label];
  const va = a !== null ? byVersion.get(a) : undefined;
  const vb = b !== null ? byVersion.get(b) : undefined;
  const latest = h?.versions[0];
  const view = (shown !== null ? byVersion.get(shown) : undefined) ?? (a === null && b === null ? latest : undefined);

  return (
    <div className="page" data-view="resource" data-resource={name}>
      <PageHead
        title={
          <>
            <span className="mono">{name}</span> {h ? <span className="kind">{h.kind}</span> : null}
          </>
        }
        sub={
          h ? (
            <>
              {plural(h.versions.length, 'version')} · <LabelChips labels={h.labels} />{' '}
              <Link href="/resources" className="small">
                all resources
              </Link>
            </>
          ) : null
        }
      />
      <ErrorBox error={q.error} what="resource" />
      {!h ? (
        q.error ? null : (
          <Loading />
        )
      ) : (
        <>
          {a !== null || b !== null ? (
            <Section
              title={
                <>
                  Diff v{a ?? '?'} → v{b ?? '?'}
                </>
              }
              id="diff"
              extra={
                <>
                  {a !== null && b !== null ? (
                    <Link href={compare(b, a)} className="small">
                      swap
                    </Link>
                  ) : null}{' '}
                  <Link href={`/resources/${enc(name)}`} className="small">
                    close
                  </Link>
                </>
              }
            >
              {va && vb ? (
                <SideBySideDiff
                  a={resourceText(va.kind, va.content)}
                  b={resourceText(vb.kind, vb.content)}
                  titleA={<VersionTitle v={va} />}
                  titleB={<VersionTitle v={vb} />}
                />
              ) : extra.error ? (
                <ErrorBox error={extra.error} what="version" />
              ) : a === null || b === null ? (
                <p className="muted">Pick {a === null ? 'A' : 'B'} in the table below.</p>
              ) : (
                <Loading />
              )}
            </Section>
          ) : null}

          <Section
            title="Versions"
            id="versions"
            extra={
              <label className="inline small">
                label to move{' '}
                <input
                  value={label}
                  onChange={(e) => setLabel(e.target.value.trim())}
                  size={12}
                  pattern="[A-Za-z0-9][A-Za-z0-9._\-]{0,63}"
                  aria-label="label to move"
                  data-field="label"
                />
              </label>
            }
          >
            {can('admin') ? null : (
              <p className="muted small" data-note="needs-admin">
                This key has no admin scope: promoting needs an admin key.
              </p>
            )}
            {moved ? (
              <p className="notice" role="status">
                {moved.label} moved {moved.previous !== null ? `from v${moved.previous} ` : ''}to v{moved.version}.
              </p>
            ) : null}
            <table className="data versions" data-table="versions">
              <thead>
                <tr>
                  <th title="left side of the diff">A</th>
                  <th title="right side of the diff">B</th>
                  <th>version</th>
                  <th>labels</th>
                  <th>parent</th>
                  <th>author</th>
                  <th>created</th>
                  <th>metrics</th>
                  <th>{label === PRODUCTION ? 'promote' : `move ${label}`}</th>
                </tr>
              </thead>
              <tbody>
                {h.versions.map((v) => {
                  const run = v.author ? runs.get(v.author) : undefined;
                  return (
                    <tr
                      key={v.version}
                      data-version={v.version}
                      className={`${v.labels.includes(PRODUCTION) ? 'is-production' : ''}${view?.version === v.version ? ' is-shown' : ''}`}
                    >
                      <td>
                        <input
                          type="radio"
                          name="diff-a"
                          aria-label={`diff A: v${v.version}`}
                          checked={a === v.version}
                          onChange={() => pick('a', v.version)}
                        />
                      </td>
                      <td>
                        <input
                          type="radio"
                          name="diff-b"
                          aria-label={`diff B: v${v.version}`}
                          checked={b === v.version}
                          onChange={() => pick('b', v.version)}
                        />
                      </td>
                      <td>
                        <button type="button" className="link mono" onClick={() => pick('v', v.version)} title="show this version's content">
                          v{v.version}
                        </button>
                      </td>
                      <td>
                        <LabelChips labels={v.labels} />
                      </td>
                      <td>
                        {v.parent !== null ? (
                          <Link href={compare(v.parent, v.version)} title={`diff v${v.parent} → v${v.version}`} className="mono">
                            v{v.parent}
                          </Link>
                        ) : (
                          <span className="muted">–</span>
                        )}
                      </td>
                      <td className="small">
                        {run ? (
                          <Link href={`/runs/${enc(run.run.run_id)}`} className="mono" title={`training run ${run.run.run_id} (${run.run.algorithm})`}>
                            {run.run.run_id}
                          </Link>
                        ) : (
                          (v.author ?? <span className="muted">–</span>)
                        )}
                      </td>
                      <td className="small" title={time(v.created_at)}>
                        {time(v.created_at)}
                      </td>
                      <td className="small">
                        <Metrics v={v} run={run} />
                      </td>
                      <td>
                        <Promote
                          name={name}
                          v={v}
                          label={label}
                          canAdmin={can('admin')}
                          current={current}
                          onMoved={(m) => {
                            setMoved(m);
                            q.reload();
                          }}
                        />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </Section>

          {view ? (
            <Section
              title={<VersionTitle v={view} />}
              id="content"
              extra={
                view.parent !== null ? (
                  <Link href={compare(view.parent, view.version)} className="small">
                    diff with parent v{view.parent}
                  </Link>
                ) : null
              }
            >
              <pre className="content" data-content-version={view.version}>
                {resourceText(view.kind, view.content)}
              </pre>
            </Section>
          ) : null}
        </>
      )}
    </div>
  );
}

function VersionTitle({ v }: { v: ResourceVersion }): ReactNode {
  return (
    <span>
      v{v.version} <LabelChips labels={v.labels} /> <span className="muted small">{time(v.created_at)}</span>
    </span>
  );
}
