// One training run: its configuration and metrics, then what its algorithm reported as it went. For APO the
// search curve (one point per round after the baseline), the candidates, critiques, the winner and what was
// written and promoted; for GRPO the mean reward per iteration; for SFT the training it did.
import type { ReactNode } from 'react';
import { Link } from 'wouter';
import { api, enc, withQuery } from '../api';
import { Chart } from '../charts';
import { Empty, ErrorBox, Json, KeyValues, Live, Loading, PageHead, Section, SimBanner, Status } from '../components';
import { int, nsToMs, param, plural, score, seconds, simulatedModelsIn, time } from '../format';
import { usePoll } from '../hooks';
import type { ApoReport, CandidateSummary, JobRun, RunEvent } from '../types';
import { runDuration } from './runs';

type Ev<T> = RunEvent & T;
type Baseline = Ev<{ validation: number; rollouts: number }>;
type RoundFinished = Ev<{ round: number; beam: { id: string; train: number | null }[]; validation: number | null; best_validation: number; rollouts: number }>;
type Critique = Ev<{ round: number; candidate: string; failures: number; critique: string }>;
type CandidateEvent = Ev<{ round: number; candidate: string; parent: string; status: string; reason?: string }>;
type Written = Ev<{ resource: string; versions: { candidate: string; version: number; parent: number | null }[]; labels: Record<string, number> }>;
type Iteration = Ev<{
  iteration: number;
  iterations: number;
  mean_reward: number | null;
  rollouts: number;
  samples: number;
  version: number | null;
  train?: Record<string, unknown>;
  update?: string;
  seconds?: Record<string, number>;
}>;

function events<T>(run: JobRun, name: string): (RunEvent & T)[] {
  return (run.events ?? []).filter((e) => e.event === name) as (RunEvent & T)[];
}

function meanOf(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/** One point per round, the baseline first: what the APO chart and its table show. */
function apoPoints(run: JobRun): { label: string; rollouts: number; validation: number | null; best: number; train: number | null; beam: string }[] {
  const baseline = events<Baseline>(run, 'baseline')[0];
  const rounds = events<RoundFinished>(run, 'round_finished');
  if (!baseline) {
    // A run recorded before events were kept: its report's curve is all there is.
    const curve = (run.report as ApoReport | null)?.curve ?? [];
    return curve.map((p, i) => ({
      label: i === 0 ? 'baseline' : `point ${i}`,
      rollouts: p.rollouts,
      validation: null,
      best: p.best_validation,
      train: null,
      beam: '',
    }));
  }
  return [
    { label: 'baseline', rollouts: baseline.rollouts, validation: baseline.validation, best: baseline.validation, train: null, beam: 'c0' },
    ...rounds.map((r) => ({
      label: `round ${r.round}`,
      rollouts: r.rollouts,
      validation: r.validation,
      best: r.best_validation,
      train: meanOf(r.beam.map((m) => m.train)),
      beam: r.beam.map((m) => `${m.id} ${score(m.train)}`).join(', '),
    })),
  ];
}

function ApoChart({ run }: { run: JobRun }): ReactNode {
  const pts = apoPoints(run);
  if (pts.length === 0) return <Empty>The run reported no validation yet.</Empty>;
  return (
    <>
      <Chart
        name="apo-curve"
        x={pts.map((p) => p.rollouts)}
        xLabel="rollouts spent"
        yLabel="reward"
        yRange={[0, 1.05]}
        height={240}
        summary={`best validation reward per round against rollouts spent: ${pts.map((p) => `${p.label} ${score(p.best)} at ${p.rollouts}`).join('; ')}`}
        series={[
          { label: 'best validation', values: pts.map((p) => p.best), color: '#2f6fde', kind: 'step' },
          { label: 'round validation', values: pts.map((p) => p.validation), color: '#1f9d6a', kind: 'points', pointSize: 9 },
          { label: 'mean beam train', values: pts.map((p) => p.train), color: '#c9a227', dash: [5, 4] },
          { label: 'baseline', values: pts.map((p, i) => (i === 0 ? p.best : null)), color: '#d64545', kind: 'points', pointSize: 13 },
        ]}
      />
      <table className="data compact" data-table="rounds">
        <thead>
          <tr>
            <th>point</th>
            <th className="num">rollouts</th>
            <th className="num">validation</th>
            <th className="num">best validation</th>
            <th className="num">mean beam train</th>
            <th>beam (train)</th>
          </tr>
        </thead>
        <tbody>
          {pts.map((p, i) => (
            <tr key={i} className={i === 0 ? 'is-baseline' : ''}>
              <td>{p.label}</td>
              <td className="num">{int(p.rollouts)}</td>
              <td className="num">{p.validation === null ? <span className="muted">not validated</span> : score(p.validation)}</td>
              <td className="num">
                <strong>{score(p.best)}</strong>
              </td>
              <td className="num">{score(p.train)}</td>
              <td className="small mono">{p.beam}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function resourceOf(run: JobRun): string | null {
  const w = events<Written>(run, 'resources_written')[0];
  if (w) return w.resource;
  const c = run.config as { resource?: unknown; model?: unknown } | null;
  if (typeof c?.resource === 'string') return c.resource;
  const r = run.resources as { resource?: unknown } | null;
  return typeof r?.resource === 'string' ? r.resource : null;
}

function Apo({ run }: { run: JobRun }): ReactNode {
  const report = (run.report ?? null) as ApoReport | null;
  const resource = resourceOf(run);
  const candidates: CandidateSummary[] = report?.candidates ?? [];
  const startVersion = report?.start_version ?? run.metrics.start_version;
  const bestVersion = report?.best_version ?? run.metrics.best_version;
  const winner = candidates.find((c) => c.version !== undefined && c.version === bestVersion) ?? null;
  const written = events<Written>(run, 'resources_written')[0];
  const critiques = events<Critique>(run, 'critique');
  const rejected = events<CandidateEvent>(run, 'candidate').filter((c) => c.status === 'rejected');
  const stopped = events<{ reason: string; rollouts: number }>(run, 'stopped')[0];
  const versionLink = (v: number): string => withQuery(`/resources/${enc(resource ?? '')}`, { v });
  const diffLink =
    startVersion !== undefined && bestVersion !== undefined && bestVersion !== null
      ? withQuery(`/resources/${enc(resource ?? '')}`, { a: startVersion, b: bestVersion })
      : null;

  return (
    <>
      <Section
        title="Search"
        id="search"
        extra={stopped || report?.stop_reason ? <span className="small">stopped: {stopped?.reason ?? report?.stop_reason}</span> : null}
      >
        <ApoChart run={run} />
      </Section>
      <Section title="Winner" id="winner">
        {winner || bestVersion !== undefined ? (
          <p className="winner" data-winner={winner?.id ?? ''} data-winner-version={bestVersion ?? ''}>
            {winner ? (
              <>
                Candidate <strong className="mono">{winner.id}</strong>
                {winner.parent ? (
                  <span className="muted">
                    {' '}
                    (from {winner.parent}, round {winner.round})
                  </span>
                ) : null}
                {', '}
              </>
            ) : null}
            {resource && bestVersion !== undefined && bestVersion !== null ? (
              <Link href={versionLink(bestVersion)} className="mono">
                {resource} v{bestVersion}
              </Link>
            ) : null}
            {': validation '}
            <strong>{score(run.metrics.best ?? winner?.validation ?? null)}</strong> against the baseline's <strong>{score(run.metrics.baseline)}</strong>
            {winner?.id === 'c0' ? <span className="muted"> — no candidate beat the start prompt</span> : null}
            {diffLink && startVersion !== bestVersion ? (
              <>
                {' · '}
                <Link href={diffLink}>
                  diff v{startVersion} → v{bestVersion}
                </Link>
              </>
            ) : null}
          </p>
        ) : (
          <Empty>{run.status === 'running' ? 'The search is still running.' : 'This run named no winner.'}</Empty>
        )}
      </Section>
      <Section
        title={`Candidates (${candidates.length})`}
        id="candidates"
        extra={rejected.length ? <span className="small muted">{plural(rejected.length, 'child', 'children')} rejected</span> : null}
      >
        {candidates.length === 0 ? (
          <Empty>{run.status === 'running' ? 'Candidates are listed when the run ends.' : 'The run reported no candidates.'}</Empty>
        ) : (
          <table className="data" data-table="candidates">
            <thead>
              <tr>
                <th>candidate</th>
                <th>parent</th>
                <th className="num">round</th>
                <th className="num">train (n)</th>
                <th className="num">validation</th>
                <th>version</th>
              </tr>
            </thead>
            <tbody>
              {candidates.map((c) => (
                <tr key={c.id} data-candidate={c.id} className={c.id === winner?.id ? 'is-winner' : ''}>
                  <td className="mono">
                    {c.id}
                    {c.id === winner?.id ? <span className="label label-production">winner</span> : null}
                  </td>
                  <td className="mono">{c.parent ?? <span className="muted">start</span>}</td>
                  <td className="num">{c.round}</td>
                  <td className="num">
                    {score(c.train)} <span className="muted small">({c.train_n})</span>
                  </td>
                  <td className="num">{c.validation === null ? <span className="muted">–</span> : score(c.validation)}</td>
                  <td>
                    {c.version !== undefined && resource ? (
                      <>
                        <Link href={versionLink(c.version)} className="mono">
                          v{c.version}
                        </Link>
                        {startVersion !== undefined && c.version !== startVersion ? (
                          <Link href={withQuery(`/resources/${enc(resource)}`, { a: startVersion, b: c.version })} className="small muted-link">
                            {' '}
                            diff
                          </Link>
                        ) : null}
                      </>
                    ) : (
                      <span className="muted">–</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {rejected.length ? (
          <details>
            <summary>rejected children</summary>
            <ul className="small">
              {rejected.map((c, i) => (
                <li key={i}>
                  round {c.round}, from {c.parent}: {c.reason}
                </li>
              ))}
            </ul>
          </details>
        ) : null}
      </Section>
      <Section title={`Critiques (${critiques.length})`} id="critiques">
        {critiques.length === 0 ? (
          <Empty>{run.status === 'running' ? 'No critique yet.' : 'No critique was asked for (no failures on a minibatch).'}</Empty>
        ) : (
          critiques.map((c, i) => (
            <div key={i} className="critique" data-critique-round={c.round}>
              <div className="small">
                round {c.round}, critique of <strong className="mono">{c.candidate}</strong> from {plural(c.failures, 'failure')}
              </div>
              <pre className="prose">{c.critique}</pre>
            </div>
          ))
        )}
      </Section>
      <Section title="Written and promoted" id="written">
        {written ? (
          <>
            <p>
              {plural(written.versions.length, 'version')} of{' '}
              <Link href={`/resources/${enc(written.resource)}`} className="mono">
                {written.resource}
              </Link>
              {written.versions.length ? ': ' : ''}
              {written.versions.map((v, i) => (
                <span key={v.version}>
                  {i ? ', ' : ''}
                  <Link href={versionLink(v.version)} className="mono">
                    v{v.version}
                  </Link>{' '}
                  <span className="muted small">({v.candidate})</span>
                </span>
              ))}
            </p>
            <p>
              labels moved:{' '}
              {Object.keys(written.labels).length ? (
                Object.entries(written.labels).map(([l, v]) => (
                  <span key={l} className={`label${l === 'production' ? ' label-production' : ''}`} data-label={l}>
                    {l} → v{v}
                  </span>
                ))
              ) : (
                <span className="muted">none</span>
              )}
              {written.labels.production === undefined ? (
                <span className="muted small"> · production did not move (promote it on the resource's page)</span>
              ) : null}
            </p>
            {diffLink ? (
              <p>
                <Link href={diffLink}>
                  Compare the start prompt v{startVersion} with the best v{bestVersion}
                </Link>
              </p>
            ) : null}
          </>
        ) : (
          <Empty>{run.status === 'running' ? 'Nothing is written until the search ends.' : 'The run wrote no version.'}</Empty>
        )}
      </Section>
    </>
  );
}

function Grpo({ run }: { run: JobRun }): ReactNode {
  const its = events<Iteration>(run, 'iteration');
  const resource = resourceOf(run);
  if (its.length === 0) return <Empty>{run.status === 'running' ? 'No iteration has finished yet.' : 'The run reported no iteration.'}</Empty>;
  return (
    <Section title="Mean reward per iteration" id="iterations">
      <Chart
        name="grpo-reward"
        x={its.map((i) => i.iteration)}
        xLabel="iteration"
        yLabel="mean reward"
        height={220}
        summary={`mean reward per iteration: ${its.map((i) => `${i.iteration}: ${score(i.mean_reward)}`).join(', ')}`}
        series={[{ label: 'mean reward', values: its.map((i) => i.mean_reward), color: '#2f6fde' }]}
      />
      <table className="data compact" data-table="iterations">
        <thead>
          <tr>
            <th className="num">iteration</th>
            <th className="num">mean reward</th>
            <th className="num">rollouts</th>
            <th className="num">samples</th>
            <th>version</th>
            <th>update</th>
            <th className="num">seconds</th>
          </tr>
        </thead>
        <tbody>
          {its.map((i) => (
            <tr key={i.iteration}>
              <td className="num">
                {i.iteration}/{i.iterations}
              </td>
              <td className="num">{score(i.mean_reward)}</td>
              <td className="num">{i.rollouts}</td>
              <td className="num">{i.samples}</td>
              <td>
                {i.version !== null && resource ? (
                  <Link href={withQuery(`/resources/${enc(resource)}`, { v: i.version })} className="mono">
                    v{i.version}
                  </Link>
                ) : (
                  <span className="muted">–</span>
                )}
              </td>
              <td className="small">
                {i.update ??
                  (i.train
                    ? Object.entries(i.train)
                        .map(([k, v]) => `${k} ${typeof v === 'number' ? score(v) : String(v)}`)
                        .join(', ')
                    : '')}
              </td>
              <td className="num small">{i.seconds ? seconds(Object.values(i.seconds).reduce((a, b) => a + b, 0)) : '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

function Sft({ run }: { run: JobRun }): ReactNode {
  const t = events<{ examples: number; version: number; train: Record<string, unknown> }>(run, 'trained')[0];
  const resource = resourceOf(run);
  return (
    <Section title="Training" id="sft">
      {t ? (
        <>
          <p>
            Trained on {plural(t.examples, 'example')}, published as{' '}
            {resource ? (
              <Link href={withQuery(`/resources/${enc(resource)}`, { v: t.version })} className="mono">
                {resource} v{t.version}
              </Link>
            ) : (
              `v${t.version}`
            )}
            .
          </p>
          <Json value={t.train} />
        </>
      ) : (
        <Empty>{run.status === 'running' ? 'Training has not finished yet.' : 'The run reported no training.'}</Empty>
      )}
    </Section>
  );
}

export function RunPage({ id }: { id: string }): ReactNode {
  const runId = param(id);
  const q = usePoll(
    (signal) => api<JobRun>(`/training/runs/${enc(runId)}`, { signal }),
    runId,
    (d) => (d === undefined || d.status === 'running' ? 3000 : null),
  );
  const run = q.data;
  const sim = run ? [...simulatedModelsIn(run.config)] : [];
  const known = new Set(['baseline', 'best', 'rollouts', 'improvement']);
  return (
    <div className="page" data-view="run" data-run={runId}>
      <PageHead
        title={
          <>
            Run <span className="mono">{runId}</span>
          </>
        }
        sub={
          run ? (
            <>
              <Status status={run.status} /> {run.algorithm} · job {run.job} · {run.trigger} · started {time(run.started_at)} · {seconds(runDuration(run))}
              {run.status === 'running' ? ' so far' : ''}{' '}
              <Link href={withQuery('/runs', { job: run.job })} className="small">
                runs of this job
              </Link>
            </>
          ) : null
        }
        extra={<Live at={q.at} polling={run?.status === 'running'} />}
      />
      <ErrorBox error={q.error} what="run" />
      {!run ? (
        q.error ? null : (
          <Loading />
        )
      ) : (
        <>
          {run.error ? <div className="error-box">{run.error}</div> : null}
          <SimBanner models={sim}>The rewards and prompts of this run</SimBanner>
          <div className="tiles small-tiles">
            {run.metrics.baseline !== undefined ? (
              <div className="tile">
                <div className="tile-value">{score(run.metrics.baseline)}</div>
                <div className="tile-label">baseline</div>
              </div>
            ) : null}
            {run.metrics.best !== undefined ? (
              <div className="tile ok">
                <div className="tile-value">{score(run.metrics.best)}</div>
                <div className="tile-label">best</div>
              </div>
            ) : null}
            {run.metrics.improvement !== undefined ? (
              <div className="tile">
                <div className="tile-value">
                  {run.metrics.improvement >= 0 ? '+' : ''}
                  {score(run.metrics.improvement)}
                </div>
                <div className="tile-label">improvement</div>
              </div>
            ) : null}
            {run.metrics.rollouts !== undefined ? (
              <div className="tile">
                <div className="tile-value">{int(run.metrics.rollouts)}</div>
                <div className="tile-label">rollouts</div>
              </div>
            ) : null}
          </div>
          {run.algorithm === 'apo' ? <Apo run={run} /> : run.algorithm === 'grpo' ? <Grpo run={run} /> : run.algorithm === 'sft' ? <Sft run={run} /> : null}
          <div className="grid2">
            <Section title="Metrics" id="metrics">
              {Object.keys(run.metrics).length ? (
                <KeyValues
                  rows={Object.entries(run.metrics)
                    .filter(([k]) => !known.has(k))
                    .map(([k, v]) => [
                      k,
                      <span key={k} className="mono">
                        {Number.isInteger(v) ? int(v) : score(v)}
                      </span>,
                    ])}
                />
              ) : (
                <Empty>No metrics yet.</Empty>
              )}
              <KeyValues
                rows={[
                  [
                    'data window',
                    run.window_start_ns === '0'
                      ? `until ${time(nsToMs(run.window_end_ns))}`
                      : `${time(nsToMs(run.window_start_ns))} – ${time(nsToMs(run.window_end_ns))}`,
                  ],
                  ['ended', time(run.ended_at)],
                ]}
              />
              {run.algorithm !== 'apo' && run.resources ? (
                <details>
                  <summary>resources written</summary>
                  <Json value={run.resources} />
                </details>
              ) : null}
            </Section>
            <Section title="Configuration" id="config">
              <Json value={run.config} />
            </Section>
          </div>
          <Section title={`Events (${run.events?.length ?? 0})`} id="events">
            <details>
              <summary>every milestone the algorithm reported, in order</summary>
              <ol className="events mono small">
                {(run.events ?? []).map((e, i) => (
                  <li key={i}>{JSON.stringify(e)}</li>
                ))}
              </ol>
            </details>
          </Section>
        </>
      )}
    </div>
  );
}
