// Training runs (APO, GRPO, SFT), newest first; running ones refresh live.
import { type FormEvent, type ReactNode } from 'react';
import { api, withQuery } from '../api';
import { Empty, ErrorBox, Id, LinkRow, Live, Loading, PageHead, Status } from '../components';
import { ago, int, score, seconds, time } from '../format';
import { useDraft, useFilters, usePoll } from '../hooks';
import type { JobRun } from '../types';

export function runDuration(r: JobRun, now = Date.now()): number {
  return ((r.ended_at ?? now) - r.started_at) / 1000;
}

export function RunsTable({ runs }: { runs: JobRun[] }): ReactNode {
  return (
    <table className="data" data-table="runs">
      <thead>
        <tr>
          <th>run</th>
          <th>job</th>
          <th>algorithm</th>
          <th>trigger</th>
          <th>status</th>
          <th>started</th>
          <th className="num">duration</th>
          <th className="num">baseline → best</th>
          <th className="num">rollouts</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <LinkRow key={r.run_id} to={`/runs/${encodeURIComponent(r.run_id)}`} data-run={r.run_id}>
            <td>
              <Id id={r.run_id} to={`/runs/${encodeURIComponent(r.run_id)}`} keep={40} />
            </td>
            <td>{r.job}</td>
            <td>{r.algorithm}</td>
            <td className="small">{r.trigger}</td>
            <td>
              <Status status={r.status} />
              {r.error ? (
                <span className="bad small" title={r.error}>
                  {' '}
                  error
                </span>
              ) : null}
            </td>
            <td title={time(r.started_at)}>{ago(r.started_at)}</td>
            <td className="num">{seconds(runDuration(r))}</td>
            <td className="num">
              {r.metrics.baseline !== undefined || r.metrics.best !== undefined ? (
                <>
                  {score(r.metrics.baseline)} → <strong>{score(r.metrics.best)}</strong>
                </>
              ) : (
                <span className="muted">–</span>
              )}
            </td>
            <td className="num">{int(r.metrics.rollouts)}</td>
          </LinkRow>
        ))}
      </tbody>
    </table>
  );
}

export function RunsPage(): ReactNode {
  const { values, apply } = useFilters(['job', 'limit'] as const);
  const [draft, set] = useDraft(values);
  const path = withQuery('/training/runs', { job: values.job, limit: values.limit || 50 });
  const q = usePoll(
    (signal) => api<{ runs: JobRun[] }>(path, { signal }),
    path,
    (d) => (d?.runs.some((r) => r.status === 'running') ? 3000 : 15000),
  );
  const runs = q.data?.runs ?? [];
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    apply(draft);
  };
  return (
    <div className="page" data-view="runs">
      <PageHead title="Training runs" sub="APO prompt optimization, GRPO and SFT runs, newest first" extra={<Live at={q.at} polling />} />
      <form className="filters" onSubmit={submit} aria-label="filter runs">
        <label>
          job
          <input data-search type="search" value={draft.job} onChange={(e) => set({ job: e.target.value })} placeholder="job name" />
        </label>
        <label>
          limit
          <input value={draft.limit} onChange={(e) => set({ limit: e.target.value })} placeholder="50" inputMode="numeric" size={5} />
        </label>
        <div className="filter-buttons">
          <button type="submit">apply</button>
        </div>
      </form>
      <ErrorBox error={q.error} what="runs" />
      {q.data === undefined ? (
        q.error ? null : (
          <Loading />
        )
      ) : runs.length === 0 ? (
        <Empty>{values.job ? `No run of job ${values.job} is recorded.` : 'No training run is recorded yet: run tracelight demo or tracelight train.'}</Empty>
      ) : (
        <RunsTable runs={runs} />
      )}
    </div>
  );
}
