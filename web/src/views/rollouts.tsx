// The rollout queue's rollouts, newest first, filtered by status, mode, agent, age and reward (all in the URL).
import { type FormEvent, type ReactNode } from 'react';
import { Link } from 'wouter';
import { api, withQuery } from '../api';
import { Empty, ErrorBox, FilterButtons, Id, LinkRow, Live, Loading, PageHead, Reward, SimBanner, Status } from '../components';
import { ago, clip, plural, seconds, time } from '../format';
import { useDraft, useFilters, usePoll } from '../hooks';
import type { Overview, RolloutView } from '../types';
import { FINAL_STATUSES, ROLLOUT_MODES, ROLLOUT_STATUSES } from '../types';

const KEYS = ['status', 'mode', 'agent', 'since', 'min_reward', 'max_reward', 'limit'] as const;

/** What a person reads of a rollout's input: its question or prompt when it has one, else its JSON. */
function inputText(input: unknown): string {
  if (typeof input === 'string') return input;
  if (input && typeof input === 'object') {
    for (const k of ['question', 'prompt', 'task', 'query', 'input', 'text']) {
      const v = (input as Record<string, unknown>)[k];
      if (typeof v === 'string') return v;
    }
  }
  return JSON.stringify(input);
}

export function RolloutsTable({ rollouts, compact = false }: { rollouts: RolloutView[]; compact?: boolean }): ReactNode {
  return (
    <table className="data" data-table="rollouts">
      <thead>
        <tr>
          <th>rollout</th>
          <th>status</th>
          {compact ? null : <th>mode</th>}
          <th className="num">reward</th>
          {compact ? null : <th>agents</th>}
          <th>input</th>
          {compact ? null : <th className="num">attempts</th>}
          <th>enqueued</th>
          <th className="num">ran</th>
          {compact ? null : <th>resources</th>}
        </tr>
      </thead>
      <tbody>
        {rollouts.map((r) => (
          <LinkRow key={r.rollout_id} to={`/rollouts/${encodeURIComponent(r.rollout_id)}`} data-rollout={r.rollout_id}>
            <td>
              <Id id={r.rollout_id} to={`/rollouts/${encodeURIComponent(r.rollout_id)}`} keep={16} />
            </td>
            <td>
              <Status status={r.status} />
            </td>
            {compact ? null : <td>{r.mode ?? <span className="muted">–</span>}</td>}
            <td className="num">
              <Reward value={r.reward} />
            </td>
            {compact ? null : <td className="small">{(r.agents ?? []).join(', ') || <span className="muted">–</span>}</td>}
            <td className="clip" title={inputText(r.input)}>
              {clip(inputText(r.input), compact ? 60 : 90)}
            </td>
            {compact ? null : <td className="num">{r.attempt_count}</td>}
            <td title={time(r.timings.enqueued_at)}>{ago(r.timings.enqueued_at)}</td>
            <td className="num">{seconds(r.timings.run_seconds)}</td>
            {compact ? null : (
              <td className="small mono">
                {Object.entries(r.resources).map(([name, p]) => (
                  <Link key={name} href={`/resources/${encodeURIComponent(name)}`} className="res-ref">
                    {name} v{p.version}
                  </Link>
                ))}
              </td>
            )}
          </LinkRow>
        ))}
      </tbody>
    </table>
  );
}

export function RolloutsPage(): ReactNode {
  const { values, apply } = useFilters(KEYS);
  const [draft, set] = useDraft(values);
  const statuses = new Set(draft.status.split(',').filter(Boolean));
  const path = withQuery('/rollouts', { ...values, limit: values.limit || 100 });
  const q = usePoll(
    (signal) => api<{ rollouts: RolloutView[] }>(path, { signal }),
    path,
    (d) => (d?.rollouts.some((r) => !FINAL_STATUSES.has(r.status)) ? 3000 : 10000),
  );
  // Rollout rows carry rewards but no model: the overview of the past week says whether the simulated model made them.
  const sim = usePoll((signal) => api<Overview>('/overview?minutes=10080', { signal }), 'sim', null);
  const simModels = sim.data?.calls.filter((c) => c.simulated).map((c) => c.model) ?? [];

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    apply(draft);
  };
  const toggle = (s: string): void => {
    const next = new Set(statuses);
    if (next.has(s)) next.delete(s);
    else next.add(s);
    set({ status: ROLLOUT_STATUSES.filter((x) => next.has(x)).join(',') });
  };
  const list = q.data?.rollouts ?? [];
  const filtered = KEYS.some((k) => k !== 'limit' && values[k]);

  return (
    <div className="page" data-view="rollouts">
      <PageHead title="Rollouts" sub="newest first" extra={<Live at={q.at} polling />} />
      <form className="filters" onSubmit={submit} aria-label="filter rollouts">
        <fieldset className="statuses">
          <legend>status</legend>
          {ROLLOUT_STATUSES.map((s) => (
            <label key={s} className="check">
              <input type="checkbox" checked={statuses.has(s)} onChange={() => toggle(s)} /> {s}
            </label>
          ))}
        </fieldset>
        <label>
          mode
          <select value={draft.mode} onChange={(e) => set({ mode: e.target.value })}>
            <option value="">any</option>
            {ROLLOUT_MODES.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
        <label>
          agent
          <input data-search type="search" value={draft.agent} placeholder="RE2, e.g. ^support" onChange={(e) => set({ agent: e.target.value })} />
        </label>
        <label>
          since
          <input value={draft.since} placeholder="1h, 7d or ISO time" onChange={(e) => set({ since: e.target.value })} size={14} />
        </label>
        <label>
          reward ≥
          <input value={draft.min_reward} inputMode="decimal" onChange={(e) => set({ min_reward: e.target.value })} size={5} />
        </label>
        <label>
          reward ≤
          <input value={draft.max_reward} inputMode="decimal" onChange={(e) => set({ max_reward: e.target.value })} size={5} />
        </label>
        <label>
          limit
          <input value={draft.limit} inputMode="numeric" placeholder="100" onChange={(e) => set({ limit: e.target.value })} size={5} />
        </label>
        <FilterButtons filtered={filtered} onClear={() => apply({})} />
      </form>
      <ErrorBox error={q.error} what="rollouts" />
      <SimBanner models={simModels}>The answers behind these rewards</SimBanner>
      {q.data === undefined ? (
        q.error ? null : (
          <Loading />
        )
      ) : list.length === 0 ? (
        <Empty>
          {filtered ? 'No rollout matches these filters.' : 'No rollout is stored yet: enqueue one with POST /api/v1/rollouts or run tracelight demo.'}
        </Empty>
      ) : (
        <>
          <p className="muted small" data-count={list.length}>
            {plural(list.length, 'rollout')}
            {list.length >= Number(values.limit || 100) ? ' (the limit: raise it to see more)' : ''}
          </p>
          <RolloutsTable rollouts={list} />
        </>
      )}
    </div>
  );
}
