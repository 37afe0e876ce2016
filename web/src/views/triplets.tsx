// Training triplets, (prompt, response, reward) per LLM call, with the CLI's filters (`tracelight triplets`),
// paged by cursor, and exported as JSONL exactly as shown.
import { useState, type FormEvent, type ReactNode } from 'react';
import { api, withQuery } from '../api';
import { Empty, ErrorBox, FilterButtons, Id, LinkRow, Loading, PageHead, Reward, SimBanner } from '../components';
import { clip, int, isSimulatedModel, nsToMs, plural, time } from '../format';
import { useDraft, useFilters, usePoll } from '../hooks';
import { textOf } from '../transcript';
import type { Triplet, TripletPage } from '../types';
import { REWARD_POLICIES } from '../types';

const KEYS = ['rollout', 'agent', 'since', 'policy', 'limit'] as const;

const POLICY_HELP: Record<string, string> = {
  final: "every call gets the rollout's primary reward",
  'last-call': 'each reward goes to the last call that ended before it',
  'per-span': 'each call gets the rewards that name its span',
};

/** The last user message of a prompt: the question a person scans for. */
function promptText(t: Triplet): string {
  const users = t.prompt.filter((m) => m.role === 'user');
  return textOf(users[users.length - 1] ?? t.prompt[t.prompt.length - 1]);
}

function download(rows: Triplet[]): void {
  // One JSON object per line, the rows as the API gave them: what `tracelight triplets --format jsonl` prints.
  const blob = new Blob([rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '')], { type: 'application/x-ndjson' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `triplets-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function TripletsPage(): ReactNode {
  const { values, apply } = useFilters(KEYS);
  const [draft, set] = useDraft(values);
  const query = { rollout: values.rollout, agent: values.agent, since: values.since, policy: values.policy || 'final', limit: values.limit || 100 };
  const path = withQuery('/triplets', query);
  const first = usePoll((signal) => api<TripletPage>(path, { signal }), path, null);
  // Pages loaded by "load more", kept for the filter they belong to.
  const [more, setMore] = useState<{ path: string; rows: Triplet[]; cursor: string | null; error: string | null; busy: boolean }>({
    path,
    rows: [],
    cursor: null,
    error: null,
    busy: false,
  });
  const extra = more.path === path ? more : { path, rows: [], cursor: null, error: null, busy: false };
  const rows = [...(first.data?.triplets ?? []), ...extra.rows];
  const cursor = extra.rows.length || extra.cursor ? extra.cursor : (first.data?.next_cursor ?? null);

  const loadMore = async (): Promise<void> => {
    if (!cursor) return;
    setMore({ ...extra, busy: true, error: null });
    try {
      const page = await api<TripletPage>(withQuery('/triplets', { ...query, cursor }));
      setMore({ path, rows: [...extra.rows, ...page.triplets], cursor: page.next_cursor, error: null, busy: false });
    } catch (err) {
      setMore({ ...extra, error: (err as Error).message, busy: false });
    }
  };
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    apply({ ...draft, policy: draft.policy === 'final' ? '' : draft.policy });
  };
  const simModels = [...new Set(rows.map((r) => r.model).filter(isSimulatedModel))];
  const filtered = KEYS.some((k) => k !== 'limit' && values[k]);
  const rollouts = new Set(rows.map((r) => r.rollout_id)).size;

  return (
    <div className="page" data-view="triplets">
      <PageHead
        title="Triplets"
        sub="(prompt, response, reward) per LLM call, grouped by rollout"
        extra={
          <button
            type="button"
            onClick={() => download(rows)}
            disabled={rows.length === 0}
            data-action="export-jsonl"
            title="download the rows shown, one JSON object per line"
          >
            Export JSONL ({rows.length})
          </button>
        }
      />
      <form className="filters" onSubmit={submit} aria-label="filter triplets">
        <label>
          rollout
          <input value={draft.rollout} onChange={(e) => set({ rollout: e.target.value })} placeholder="rollout id" size={24} />
        </label>
        <label>
          agent
          <input data-search type="search" value={draft.agent} onChange={(e) => set({ agent: e.target.value })} placeholder="RE2, e.g. ^support" />
        </label>
        <label>
          since
          <input value={draft.since} onChange={(e) => set({ since: e.target.value })} placeholder="1h, 7d or ISO time" size={14} />
        </label>
        <label>
          reward policy
          <select value={draft.policy || 'final'} onChange={(e) => set({ policy: e.target.value })} title={POLICY_HELP[draft.policy || 'final']}>
            {REWARD_POLICIES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          traces per page
          <input value={draft.limit} onChange={(e) => set({ limit: e.target.value })} placeholder="100" inputMode="numeric" size={5} />
        </label>
        <FilterButtons filtered={filtered} onClear={() => apply({})} />
      </form>
      <p className="muted small">
        policy <strong>{query.policy}</strong>: {POLICY_HELP[query.policy]}
      </p>
      <ErrorBox error={first.error} what="triplets" />
      <SimBanner models={simModels} />
      {first.data === undefined ? (
        first.error ? null : (
          <Loading />
        )
      ) : rows.length === 0 ? (
        <Empty>{filtered ? 'No triplet matches these filters.' : 'No LLM call is stored yet.'}</Empty>
      ) : (
        <>
          <p className="muted small" data-count={rows.length}>
            {plural(rows.length, 'triplet')} from {plural(rollouts, 'rollout')}
            {cursor ? ' · more pages' : ' · all shown'}
          </p>
          <table className="data" data-table="triplets">
            <thead>
              <tr>
                <th>rollout</th>
                <th className="num">step</th>
                <th>agent</th>
                <th>model</th>
                <th>prompt (last user message)</th>
                <th>response</th>
                <th className="num">reward</th>
                <th className="num">tokens</th>
                <th>finish</th>
                <th>time</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t) => (
                <LinkRow key={`${t.trace_id}/${t.span_id}/${t.rollout_id}`} to={`/rollouts/${encodeURIComponent(t.rollout_id)}`} data-span={t.span_id}>
                  <td>
                    <Id id={t.rollout_id} to={`/rollouts/${encodeURIComponent(t.rollout_id)}`} />
                  </td>
                  <td className="num">{t.step}</td>
                  <td className="small nowrap">{t.agent}</td>
                  <td className="small nowrap">
                    <span className="mono">{t.model}</span>
                    {isSimulatedModel(t.model) ? (
                      <span className="sim-dot" title={`${t.model} is the simulated model`} aria-label="simulated model" data-simulated="true" />
                    ) : null}
                  </td>
                  <td className="clip" title={promptText(t)}>
                    {clip(promptText(t), 70)}
                  </td>
                  <td className="clip" title={textOf(t.response)}>
                    {clip(textOf(t.response), 70)}
                  </td>
                  <td className="num" title={t.reward_name ?? undefined}>
                    <Reward value={t.reward} />
                  </td>
                  <td className="num small">
                    {int(t.usage.input_tokens)}/{int(t.usage.output_tokens)}
                  </td>
                  <td className="small">{t.finish_reason ?? '–'}</td>
                  <td className="small nowrap" title={time(nsToMs(t.start_time_unix_nano))}>
                    {time(nsToMs(t.start_time_unix_nano)).slice(11)}
                  </td>
                </LinkRow>
              ))}
            </tbody>
          </table>
          <div className="more-row">
            {cursor ? (
              <button type="button" onClick={() => void loadMore()} disabled={extra.busy} data-action="load-more">
                {extra.busy ? 'loading…' : 'load more'}
              </button>
            ) : (
              <span className="muted small">end of the data</span>
            )}
            {extra.error ? <ErrorBox error={new Error(extra.error)} /> : null}
          </div>
        </>
      )}
      <p className="muted small">
        The same rows from the command line: <code>tracelight triplets --format jsonl</code>
        {values.rollout ? <code> --rollout {values.rollout}</code> : null}
        {values.agent ? <code> --agent '{values.agent}'</code> : null}
        {values.since ? <code> --since {values.since}</code> : null}
        {query.policy !== 'final' ? <code> --policy {query.policy}</code> : null}. The API serves no SFT export: <code>tracelight export sft</code> writes chat
        JSONL from the best rollouts of each task.
      </p>
    </div>
  );
}
