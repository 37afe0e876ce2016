// The overview: what the receiver took in, activity over the window, calls per agent and model, the queue,
// its workers and the training runs, refreshed every few seconds.
import type { ReactNode } from 'react';
import { Link } from 'wouter';
import { api } from '../api';
import { Chart } from '../charts';
import { Empty, ErrorBox, Id, LinkRow, Live, Loading, PageHead, Section, SimBadge, SimBanner, Status } from '../components';
import { agentPattern, ago, int, score, span, time } from '../format';
import { useFilters, usePoll } from '../hooks';
import type { JobRun, Overview } from '../types';
import { ROLLOUT_STATUSES } from '../types';
import { RunsTable } from './runs';
import { RolloutsTable } from './rollouts';

const WINDOWS = [
  { minutes: 15, label: '15 minutes' },
  { minutes: 60, label: 'hour' },
  { minutes: 360, label: '6 hours' },
  { minutes: 1440, label: '24 hours' },
  { minutes: 10080, label: '7 days' },
];

const COUNTERS: { key: string; label: string; error?: boolean }[] = [
  { key: 'requests', label: 'requests' },
  { key: 'received_spans', label: 'spans received' },
  { key: 'accepted_spans', label: 'spans accepted' },
  { key: 'received_logs', label: 'logs received' },
  { key: 'accepted_logs', label: 'logs accepted' },
  { key: 'llm_calls', label: 'LLM calls' },
  { key: 'rewards', label: 'rewards' },
  { key: 'buffered_rows', label: 'rows buffered' },
  { key: 'rejected_requests', label: 'requests rejected', error: true },
  { key: 'rejected_spans', label: 'spans rejected', error: true },
  { key: 'rejected_logs', label: 'logs rejected', error: true },
  { key: 'normalize_errors', label: 'normalize errors', error: true },
  { key: 'store_errors', label: 'store errors', error: true },
];

function Counters({ ingest }: { ingest: Overview['ingest'] }): ReactNode {
  const known = new Set([...COUNTERS.map((c) => c.key), 'store_healthy']);
  const extra = Object.keys(ingest).filter((k) => !known.has(k) && typeof ingest[k] === 'number');
  const healthy = ingest.store_healthy !== false;
  return (
    <div className="tiles" data-section="ingest">
      <div className={`tile ${healthy ? 'ok' : 'err'}`} data-counter="store_healthy">
        <div className="tile-value">{healthy ? 'healthy' : 'failing'}</div>
        <div className="tile-label">store</div>
      </div>
      {[...COUNTERS.filter((c) => c.key in ingest), ...extra.map((k) => ({ key: k, label: k.replace(/_/g, ' '), error: /error|reject/.test(k) }))].map((c) => {
        const v = Number(ingest[c.key] ?? 0);
        return (
          <div key={c.key} className={`tile${c.error && v > 0 ? ' err' : ''}${c.error ? ' tile-error' : ''}`} data-counter={c.key} data-value={v}>
            <div className="tile-value">{int(v)}</div>
            <div className="tile-label">{c.label}</div>
          </div>
        );
      })}
    </div>
  );
}

function ActivityCharts({ o }: { o: Overview }): ReactNode {
  const x = o.series.map((b) => Date.parse(b.t) / 1000);
  const bucket = span(o.bucket_seconds);
  const means = o.series.map((b) => b.reward_mean).filter((v): v is number => v !== null);
  const hasRewards = means.length > 0;
  // Rewards are mostly 0..1: a fixed axis keeps a single bucket's mean from filling the chart.
  const unit = means.every((v) => v >= 0 && v <= 1);
  return (
    <div className="grid2">
      <Section title={`Spans and LLM calls per ${bucket}`}>
        <Chart
          name="activity"
          time
          x={x}
          xLabel="time"
          summary={`spans, LLM calls and LLM errors per ${bucket} over the last ${o.minutes} minutes`}
          series={[
            { label: 'LLM calls', values: o.series.map((b) => b.llm_calls), color: '#2f6fde', kind: 'bars' },
            { label: 'LLM errors', values: o.series.map((b) => b.llm_errors), color: '#d64545', kind: 'bars' },
            ...(o.raw === false ? [] : [{ label: 'spans', values: o.series.map((b) => b.spans), color: '#7a8494', kind: 'step' as const }]),
          ]}
          format={(v) => int(v)}
        />
        {o.raw === false ? <p className="muted small">This server stores no raw spans (serve --no-raw): only LLM calls are counted.</p> : null}
      </Section>
      <Section
        title={`Reward mean per ${bucket}`}
        extra={
          <>
            <span className="muted small">
              window mean {score(mean(o.series.filter((b) => b.reward_mean !== null).map((b) => [b.reward_mean as number, b.rewards])))}
            </span>
            {o.simulated ? <SimBadge /> : null}
          </>
        }
      >
        <Chart
          name="rewards"
          time
          x={x}
          summary={`mean reward per ${bucket} over the last ${o.minutes} minutes`}
          series={[
            { label: 'reward mean', values: o.series.map((b) => b.reward_mean), color: '#1f9d6a' },
            {
              label: 'rewards',
              values: o.series.map((b) => (b.rewards > 0 ? b.rewards : null)),
              color: '#c9a227',
              kind: 'points',
              scale: 'right',
              pointSize: 5,
            },
          ]}
          rightLabel="count"
          xLabel="time"
          yRange={unit ? [0, 1.05] : undefined}
        />
        {hasRewards ? null : <p className="muted small">No rewards in this window.</p>}
      </Section>
    </div>
  );
}

function CallsTable({ o }: { o: Overview }): ReactNode {
  if (o.calls.length === 0) return <Empty>No LLM calls in this window.</Empty>;
  return (
    <table className="data" data-table="calls">
      <thead>
        <tr>
          <th>agent</th>
          <th>model</th>
          <th className="num">calls</th>
          <th className="num">errors</th>
          <th className="num">input tokens</th>
          <th className="num">output tokens</th>
        </tr>
      </thead>
      <tbody>
        {o.calls.map((c) => (
          <LinkRow
            key={`${c.agent}/${c.model}`}
            to={`/rollouts?agent=${encodeURIComponent(agentPattern(c.agent))}`}
            data-agent={c.agent}
            data-model={c.model}
            data-calls={String(c.calls)}
          >
            <td>
              <Link href={`/rollouts?agent=${encodeURIComponent(agentPattern(c.agent))}`} title="this agent's rollouts">
                {c.agent || '(none)'}
              </Link>{' '}
              <Link href={`/triplets?agent=${encodeURIComponent(agentPattern(c.agent))}`} className="small muted-link" title="this agent's triplets">
                triplets
              </Link>
            </td>
            <td>
              <span className="mono">{c.model || '?'}</span> {c.simulated ? <SimBadge model={c.model} /> : null}
            </td>
            <td className="num" data-cell="calls">
              {int(c.calls)}
            </td>
            <td className={`num${c.errors > 0 ? ' bad' : ''}`}>{int(c.errors)}</td>
            <td className="num">{int(c.input_tokens)}</td>
            <td className="num">{int(c.output_tokens)}</td>
          </LinkRow>
        ))}
      </tbody>
    </table>
  );
}

function RolloutCounts({ counts }: { counts: Record<string, number> }): ReactNode {
  const statuses = [...ROLLOUT_STATUSES.filter((s) => s in counts), ...Object.keys(counts).filter((s) => !(ROLLOUT_STATUSES as readonly string[]).includes(s))];
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return (
    <div className="tiles small-tiles" data-section="rollout-counts">
      <Link href="/rollouts" className="tile" data-status-count="all" data-value={total}>
        <div className="tile-value">{int(total)}</div>
        <div className="tile-label">all rollouts</div>
      </Link>
      {statuses.map((s) => (
        <Link key={s} href={`/rollouts?status=${s}`} className={`tile tile-status-${s}`} data-status-count={s} data-value={counts[s]}>
          <div className="tile-value">{int(counts[s])}</div>
          <div className="tile-label">{s}</div>
        </Link>
      ))}
    </div>
  );
}

function Workers({ o }: { o: Overview }): ReactNode {
  if (o.workers.length === 0) return <Empty>No worker started or heartbeat an attempt in this window.</Empty>;
  return (
    <table className="data" data-table="workers">
      <thead>
        <tr>
          <th>worker</th>
          <th>last attempt</th>
          <th>rollout</th>
          <th className="num">attempts</th>
          <th>last seen</th>
        </tr>
      </thead>
      <tbody>
        {o.workers.map((w) => {
          const seen = w.last_seen_at ?? w.last_heartbeat_at ?? null;
          return (
            <tr key={w.worker_id}>
              <td className="mono">{w.worker_id}</td>
              <td>
                <Status status={w.status} />
              </td>
              <td>
                <Id id={w.rollout_id} to={`/rollouts/${encodeURIComponent(w.rollout_id)}`} />
              </td>
              <td className="num">{w.attempts === undefined ? '–' : int(w.attempts)}</td>
              <td title={time(seen)}>{ago(seen)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function OverviewPage(): ReactNode {
  const { values, apply } = useFilters(['minutes'] as const);
  const minutes = WINDOWS.some((w) => String(w.minutes) === values.minutes) ? Number(values.minutes) : 60;
  const q = usePoll((signal) => api<Overview>(`/overview?minutes=${minutes}`, { signal }), String(minutes), 3000);
  const o = q.data;
  const running: JobRun[] = o?.training.running ?? [];
  return (
    <div className="page" data-view="overview">
      <PageHead
        title="Overview"
        sub={o ? `last ${WINDOWS.find((w) => w.minutes === minutes)?.label} · ${span(o.bucket_seconds)} buckets · as of ${time(o.now)}` : null}
        extra={
          <>
            <label className="inline">
              window{' '}
              <select value={String(minutes)} onChange={(e) => apply({ minutes: e.target.value === '60' ? '' : e.target.value })} data-search>
                {WINDOWS.map((w) => (
                  <option key={w.minutes} value={w.minutes}>
                    last {w.label}
                  </option>
                ))}
              </select>
            </label>
            <Live at={q.at} polling />
          </>
        }
      />
      <ErrorBox error={q.error} what="overview" />
      {!o ? (
        q.error ? null : (
          <Loading />
        )
      ) : (
        <>
          <SimBanner models={o.calls.filter((c) => c.simulated).map((c) => c.model)}>The model output and rewards in this window</SimBanner>
          <Section title="Ingest" extra={<span className="muted small">counters since the server started</span>}>
            <Counters ingest={o.ingest} />
          </Section>
          <ActivityCharts o={o} />
          <Section title="LLM calls by agent and model" extra={<span className="muted small">in the window</span>}>
            <CallsTable o={o} />
          </Section>
          <div className="grid2">
            <Section title="Rollouts" extra={<span className="muted small">all stored, by status</span>}>
              <RolloutCounts counts={o.rollouts.counts} />
              <h3>Active</h3>
              {o.rollouts.active.length ? (
                <RolloutsTable rollouts={o.rollouts.active} compact />
              ) : (
                <Empty>No rollout is being prepared, running or requeued.</Empty>
              )}
            </Section>
            <Section title="Workers" extra={<span className="muted small">seen in the window</span>}>
              <Workers o={o} />
            </Section>
          </div>
          <Section title="Training runs" extra={<Link href="/runs">all runs</Link>}>
            <h3>Running</h3>
            {running.length ? <RunsTable runs={running} /> : <Empty>No training run is running.</Empty>}
            <h3>Recent</h3>
            {o.training.recent.length ? <RunsTable runs={o.training.recent} /> : <Empty>No training run is recorded yet.</Empty>}
          </Section>
        </>
      )}
    </div>
  );
}

function mean(pairs: [number, number][]): number | null {
  const n = pairs.reduce((a, [, w]) => a + w, 0);
  return n === 0 ? null : pairs.reduce((a, [v, w]) => a + v * w, 0) / n;
}
