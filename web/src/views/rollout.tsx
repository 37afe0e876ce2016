// One rollout: its state in the queue (attempts, timings, pinned resources) and its transcript, the LLM calls
// its traces hold with the rewards that judge them.
import type { ReactNode } from 'react';
import { Link } from 'wouter';
import { api, enc } from '../api';
import { Empty, ErrorBox, Id, Json, KeyValues, Live, Loading, PageHead, Reward, Section, SimBadge, SimBanner, Status } from '../components';
import { isSimulatedModel, nsToMs, param, plural, seconds, time } from '../format';
import { usePoll } from '../hooks';
import { buildTranscript, modelOf, type TranscriptStep } from '../transcript';
import type { Message, MessagePart, RolloutCalls, RolloutView, StoredReward } from '../types';
import { FINAL_STATUSES } from '../types';

const MAX_TEXT = 4000;

function Clipped({ text }: { text: string }): ReactNode {
  if (text.length <= MAX_TEXT) return <>{text}</>;
  return (
    <>
      {text.slice(0, MAX_TEXT)}
      <details className="more">
        <summary>{(text.length - MAX_TEXT).toLocaleString('en-US')} more characters</summary>
        {text.slice(MAX_TEXT)}
      </details>
    </>
  );
}

function jsonText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
}

function Part({ p }: { p: MessagePart }): ReactNode {
  const x = p as Record<string, unknown>;
  switch (p.type) {
    case 'text':
      return (
        <div className="part text">
          <Clipped text={String(x.content ?? '')} />
        </div>
      );
    case 'reasoning':
      return (
        <details className="part reasoning">
          <summary>reasoning</summary>
          <Clipped text={String(x.content ?? '')} />
        </details>
      );
    case 'tool_call':
      return (
        <div className="part tool-call">
          <span className="tool-arrow">→ tool call</span> <code>{String(x.name)}</code>
          {x.id ? <span className="muted mono small"> [{String(x.id)}]</span> : null}
          <pre className="json">{jsonText(x.arguments)}</pre>
        </div>
      );
    case 'tool_call_response':
      return (
        <div className="part tool-result">
          <span className="tool-arrow">← tool result</span>
          {x.id ? <span className="muted mono small"> [{String(x.id)}]</span> : null}
          <pre className="json">
            <Clipped text={jsonText(x.response)} />
          </pre>
        </div>
      );
    default:
      return (
        <div className="part other">
          <span className="muted">({p.type})</span>
          <pre className="json">{jsonText(p)}</pre>
        </div>
      );
  }
}

function MessageView({ m, output }: { m: Message; output?: boolean }): ReactNode {
  return (
    <div className={`msg role-${m.role}${output ? ' output' : ''}`} data-role={m.role} data-output={output ? 'true' : undefined}>
      <div className="msg-head">
        <span className="role">{m.role}</span>
        {m.name ? <span className="muted"> ({m.name})</span> : null}
        {m.finish_reason ? <span className="muted small"> finish: {m.finish_reason}</span> : null}
      </div>
      <div className="msg-body">{m.parts.length ? m.parts.map((p, i) => <Part key={i} p={p} />) : <span className="muted">(empty)</span>}</div>
    </div>
  );
}

function RewardLine({ w }: { w: StoredReward }): ReactNode {
  return (
    <div className="reward-line" data-reward-name={w.name} data-reward-value={w.value}>
      <span className="star" aria-hidden="true">
        ★
      </span>{' '}
      reward <strong>{w.name}</strong> = <Reward value={w.value} />
      {w.label ? <span className="muted"> ({w.label})</span> : null}
      <span className="muted small"> source {w.source}</span>
      {w.explanation ? <div className="explanation">{w.explanation}</div> : null}
    </div>
  );
}

function CallView({ s }: { s: TranscriptStep }): ReactNode {
  const c = s.call;
  const model = modelOf(c);
  const startMs = nsToMs(c.start_ns);
  const durMs = nsToMs(c.end_ns) - startMs;
  const finish = c.finish_reasons[0] ?? c.output[0]?.finish_reason ?? null;
  return (
    <article className="call" data-call={s.index} aria-label={`call ${s.index + 1}`}>
      <header className="call-head">
        <strong>call {s.index + 1}</strong>
        <span title={c.start_ns}>{time(startMs)}</span>
        <span>
          agent <strong>{c.agent || '?'}</strong>
        </span>
        <span>
          model <span className="mono">{model || '?'}</span> {isSimulatedModel(model) ? <SimBadge model={model} /> : null}
        </span>
        {c.input_tokens !== null || c.output_tokens !== null ? (
          <span>
            tokens {c.input_tokens ?? '?'} in / {c.output_tokens ?? '?'} out
          </span>
        ) : null}
        {finish ? <span>finish {finish}</span> : null}
        {Number.isFinite(durMs) ? <span>{seconds(durMs / 1000)}</span> : null}
        {c.status === 'error' ? <Status status="failed" /> : null}
        <span className="grow" />
        {Object.entries(c.resources).map(([name, v]) => (
          <Link key={name} href={`/resources/${enc(name)}`} className="res-ref mono small" title={`resource ${name}, version ${v}`}>
            {name} v{v}
          </Link>
        ))}
        <Link href={`/traces/${c.trace_id}`} className="small" title={`span ${c.span_id} of trace ${c.trace_id}`}>
          trace ›
        </Link>
      </header>
      {s.repeated > 0 ? <p className="muted small repeated">({plural(s.repeated, 'earlier message')} not repeated)</p> : null}
      {s.fresh.map((m, i) => (
        <MessageView key={`in${i}`} m={m} />
      ))}
      {c.output.map((m, i) => (
        <MessageView key={`out${i}`} m={m} output />
      ))}
      {c.output.length === 0 && c.status !== 'error' ? <p className="muted small">(no response content was captured)</p> : null}
      {c.status === 'error' ? <div className="error-box">ERROR {c.error}</div> : null}
      {c.tools.length ? (
        <details className="tools">
          <summary>{plural(c.tools.length, 'tool')} offered to the model</summary>
          <Json value={c.tools} />
        </details>
      ) : null}
      {s.rewards.map((w) => (
        <RewardLine key={w.reward_id} w={w} />
      ))}
    </article>
  );
}

function RewardsTable({ rewards, primary }: { rewards: StoredReward[]; primary: StoredReward | null }): ReactNode {
  return (
    <table className="data" data-table="rewards">
      <thead>
        <tr>
          <th>name</th>
          <th className="num">value</th>
          <th>source</th>
          <th>explanation</th>
          <th>judges</th>
          <th>time</th>
        </tr>
      </thead>
      <tbody>
        {rewards.map((w) => (
          <tr key={w.reward_id} data-reward-name={w.name} data-reward-value={w.value}>
            <td>
              {w.name}
              {w.reward_id === primary?.reward_id ? <span className="label label-primary">primary</span> : null}
              {w.label ? <span className="muted"> ({w.label})</span> : null}
            </td>
            <td className="num">
              <Reward value={w.value} />
            </td>
            <td className="small">{w.source}</td>
            <td>{w.explanation || <span className="muted">–</span>}</td>
            <td className="small mono">{w.span_id ? `span ${w.span_id}` : 'the rollout'}</td>
            <td className="small">{time(nsToMs(w.time_ns))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Transcript({ r }: { r: RolloutCalls }): ReactNode {
  const t = buildTranscript(r);
  const simModels = [...new Set(r.calls.map(modelOf).filter(isSimulatedModel))];
  return (
    <>
      <SimBanner models={simModels} />
      <Section
        title="Transcript"
        id="transcript"
        extra={
          <span className="muted small">
            {plural(r.calls.length, 'LLM call')}, {plural(r.rewards.length, 'reward')} · {plural(r.trace_ids.length, 'trace')}
          </span>
        }
      >
        {t.steps.length === 0 ? (
          <Empty>No LLM call of this rollout is stored (only rewards).</Empty>
        ) : (
          t.steps.map((s) => <CallView key={`${s.call.trace_id}/${s.call.span_id}`} s={s} />)
        )}
      </Section>
      <Section
        title="Rewards"
        id="rewards"
        extra={
          t.primary ? (
            <span>
              primary <strong>{t.primary.name}</strong> = <Reward value={t.primary.value} />
            </span>
          ) : null
        }
      >
        {r.rewards.length ? <RewardsTable rewards={r.rewards} primary={t.primary} /> : <Empty>No reward is stored for this rollout.</Empty>}
      </Section>
    </>
  );
}

function Attempts({ r }: { r: RolloutView }): ReactNode {
  return (
    <table className="data" data-table="attempts">
      <thead>
        <tr>
          <th>#</th>
          <th>attempt</th>
          <th>status</th>
          <th>worker</th>
          <th>started</th>
          <th>ended</th>
          <th>last heartbeat</th>
          <th>error</th>
        </tr>
      </thead>
      <tbody>
        {r.attempts.map((a) => (
          <tr key={a.attempt_id}>
            <td className="num">{a.sequence}</td>
            <td>
              <Id id={a.attempt_id} keep={16} />
            </td>
            <td>
              <Status status={a.status} />
            </td>
            <td className="mono small">{a.worker_id}</td>
            <td>{time(a.started_at)}</td>
            <td>{time(a.ended_at)}</td>
            <td>{time(a.last_heartbeat_at)}</td>
            <td className={a.error ? 'bad' : ''}>{a.error ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Queued({ r }: { r: RolloutView }): ReactNode {
  const runId = typeof r.metadata.run_id === 'string' ? r.metadata.run_id : typeof r.metadata.run === 'string' ? r.metadata.run : null;
  return (
    <div className="grid2">
      <Section title="In the queue">
        <KeyValues
          rows={[
            ['status', <Status key="s" status={r.status} />],
            ['mode', r.mode ?? '–'],
            ['enqueued', time(r.timings.enqueued_at)],
            ['started', time(r.timings.started_at)],
            ['ended', time(r.timings.ended_at)],
            ['queued for', seconds(r.timings.queued_seconds)],
            ['ran for', seconds(r.timings.run_seconds)],
            [
              'resources',
              Object.keys(r.resources).length ? (
                Object.entries(r.resources).map(([name, p]) => (
                  <Link key={name} href={`/resources/${enc(name)}`} className="res-ref mono">
                    {name} v{p.version}
                    {String(p.ref) !== String(p.version) ? ` (${p.ref})` : ''}
                  </Link>
                ))
              ) : (
                <span className="muted">none pinned</span>
              ),
            ],
            ...(runId
              ? [
                  [
                    'training run',
                    <Link key="r" href={`/runs/${enc(runId)}`} className="mono">
                      {runId}
                    </Link>,
                  ] as [ReactNode, ReactNode],
                ]
              : []),
          ]}
        />
        {Object.keys(r.metadata).length ? (
          <details>
            <summary>metadata</summary>
            <Json value={r.metadata} />
          </details>
        ) : null}
        <details>
          <summary>retry config</summary>
          <Json value={r.config} />
        </details>
      </Section>
      <Section title="Input">
        <Json value={r.input} max={20000} />
      </Section>
    </div>
  );
}

export function RolloutPage({ id }: { id: string }): ReactNode {
  const rid = param(id);
  const live = (status: string | undefined): number | null => (status && !FINAL_STATUSES.has(status) ? 3000 : null);
  const queued = usePoll(
    (signal) => api<RolloutView>(`/rollouts/${enc(rid)}`, { signal }),
    rid,
    (d) => live(d?.status),
  );
  const running = queued.data ? !FINAL_STATUSES.has(queued.data.status) : false;
  const calls = usePoll(
    (signal) => api<RolloutCalls>(`/rollouts/${enc(rid)}/calls`, { signal }),
    rid,
    () => (running ? 3000 : null),
  );
  const r = queued.data;
  const primary = calls.data ? buildTranscript(calls.data).primary : null;
  const reward = primary?.value ?? null;
  return (
    <div className="page" data-view="rollout" data-rollout={rid}>
      <PageHead
        title={
          <>
            Rollout <span className="mono">{rid}</span>
          </>
        }
        sub={
          <>
            {r ? <Status status={r.status} /> : null}{' '}
            {reward !== null ? (
              <>
                reward <Reward value={reward} />
              </>
            ) : null}{' '}
            <Link href="/rollouts" className="small">
              all rollouts
            </Link>
          </>
        }
        extra={<Live at={queued.at} polling={running} />}
      />
      {queued.error?.status === 404 ? (
        <p className="muted">The rollout queue has no rollout {rid}: its id comes from its spans (an agent outside the queue).</p>
      ) : (
        <ErrorBox error={queued.error} what="rollout" />
      )}
      {r ? <Queued r={r} /> : queued.loading && !queued.error ? <Loading /> : null}
      {calls.data ? (
        <Transcript r={calls.data} />
      ) : calls.error?.status === 404 ? (
        <Section title="Transcript">
          <Empty>
            {running
              ? 'No LLM call or reward of this rollout is stored yet; this page refreshes while it runs.'
              : 'No LLM call or reward is stored for this rollout.'}
          </Empty>
        </Section>
      ) : calls.error ? (
        <ErrorBox error={calls.error} what="transcript" />
      ) : (
        <Loading what="loading the transcript" />
      )}
      {r && r.attempts.length ? (
        <Section title={`Attempts (${r.attempt_count})`}>
          <Attempts r={r} />
        </Section>
      ) : null}
    </div>
  );
}
