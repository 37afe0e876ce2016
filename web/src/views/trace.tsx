// A trace as its span tree beside a timeline: each bar placed by its start and length relative to the trace
// (plain CSS widths), every subtree collapsible, a span's attributes and events shown when it is picked.
import { useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { api } from '../api';
import { Empty, ErrorBox, Loading, PageHead, Section, SimBanner } from '../components';
import { isSimulatedModel, nsDuration, nsToMs, plural, time } from '../format';
import { usePoll } from '../hooks';
import type { TraceSpan, TraceView } from '../types';

const TRACE_ID = /^[0-9a-fA-F]{32}$/;

export function TraceSearchPage(): ReactNode {
  const [, navigate] = useLocation();
  const [id, setId] = useState('');
  const valid = TRACE_ID.test(id.trim());
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (valid) navigate(`/traces/${id.trim().toLowerCase()}`);
  };
  return (
    <div className="page" data-view="traces">
      <PageHead title="Traces" sub="open a trace's span tree by its id" />
      <form className="card narrow" onSubmit={submit} aria-label="open a trace">
        <label htmlFor="trace-id">trace id (32 hex characters)</label>
        <input
          id="trace-id"
          data-search
          className="mono"
          value={id}
          onChange={(e) => setId(e.target.value)}
          placeholder="4bf92f3577b34da6a3ce929d0e0e4736"
          size={36}
          autoComplete="off"
        />
        {id && !valid ? <p className="bad small">a trace id is 32 hex characters</p> : null}
        <button type="submit" disabled={!valid}>
          open trace
        </button>
        <p className="muted small">
          Every LLM call in a <Link href="/rollouts">rollout's</Link> transcript links to its trace.
        </p>
      </form>
    </div>
  );
}

interface Node {
  span: TraceSpan;
  children: Node[];
  depth: number;
  startOffset: number;
  duration: number;
}

function buildTree(spans: TraceSpan[]): { roots: Node[]; t0: bigint; total: number } {
  if (spans.length === 0) return { roots: [], t0: 0n, total: 1 };
  const starts = spans.map((s) => BigInt(s.start_ns));
  const t0 = starts.reduce((a, b) => (b < a ? b : a));
  const tEnd = spans.reduce((m, s) => {
    const e = BigInt(s.start_ns) + BigInt(s.duration_ns);
    return e > m ? e : m;
  }, t0);
  const total = Math.max(1, Number(tEnd - t0));
  const nodes = new Map<string, Node>();
  for (const s of spans)
    nodes.set(s.span_id, { span: s, children: [], depth: 0, startOffset: Number(BigInt(s.start_ns) - t0), duration: Number(BigInt(s.duration_ns)) });
  const roots: Node[] = [];
  for (const n of nodes.values()) {
    const parent = n.span.parent_span_id ? nodes.get(n.span.parent_span_id) : undefined;
    // A span whose parent is not stored (yet, or in another service's store) is shown as a root.
    if (parent && parent !== n) parent.children.push(n);
    else roots.push(n);
  }
  const order = (a: Node, b: Node): number => a.startOffset - b.startOffset;
  const walk = (ns: Node[], depth: number, seen: Set<Node>): void => {
    ns.sort(order);
    for (const n of ns) {
      if (seen.has(n)) continue;
      seen.add(n);
      n.depth = depth;
      walk(n.children, depth + 1, seen);
    }
  };
  walk(roots, 0, new Set());
  return { roots, t0, total };
}

function flatten(roots: Node[], collapsed: ReadonlySet<string>): Node[] {
  const out: Node[] = [];
  const seen = new Set<Node>();
  const visit = (n: Node): void => {
    if (seen.has(n)) return;
    seen.add(n);
    out.push(n);
    if (!collapsed.has(n.span.span_id)) n.children.forEach(visit);
  };
  roots.forEach(visit);
  return out;
}

function countBelow(n: Node): number {
  return n.children.reduce((a, c) => a + 1 + countBelow(c), 0);
}

/** An attribute name that may wrap at its dots, never inside a word. */
function AttrKey({ k }: { k: string }): ReactNode {
  const parts = k.split('.');
  return (
    <>
      {parts.map((p, i) => (
        <span key={i}>
          {p}
          {i < parts.length - 1 ? (
            <>
              .<wbr />
            </>
          ) : null}
        </span>
      ))}
    </>
  );
}

/** A span's or an event's attributes, by key. */
function AttrTable({ attributes }: { attributes: Record<string, string> }): ReactNode {
  return (
    <table className="data compact attrs">
      <tbody>
        {Object.entries(attributes)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => (
            <tr key={k}>
              <td className="mono small">
                <AttrKey k={k} />
              </td>
              <td className="mono small wrap">{v}</td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}

function SpanDetails({ span, t0 }: { span: TraceSpan; t0: bigint }): ReactNode {
  const start = BigInt(span.start_ns);
  const rollout = span.attributes['tracelight.rollout.id'] ?? span.attributes['tracelight.rollout_id'];
  return (
    <div className="span-details" data-selected-span={span.span_id}>
      <h3>{span.name}</h3>
      <dl className="kv">
        <div>
          <dt>span</dt>
          <dd className="mono">{span.span_id}</dd>
        </div>
        <div>
          <dt>parent</dt>
          <dd className="mono">{span.parent_span_id || '–'}</dd>
        </div>
        <div>
          <dt>service</dt>
          <dd>{span.service || '–'}</dd>
        </div>
        <div>
          <dt>kind</dt>
          <dd>{span.kind}</dd>
        </div>
        <div>
          <dt>status</dt>
          <dd className={span.status_code === 'Error' ? 'bad' : ''}>
            {span.status_code}
            {span.status_message ? `: ${span.status_message}` : ''}
          </dd>
        </div>
        <div>
          <dt>start</dt>
          <dd>
            {time(nsToMs(span.start_ns))} (+{nsDuration(Number(start - t0))})
          </dd>
        </div>
        <div>
          <dt>duration</dt>
          <dd>{nsDuration(Number(span.duration_ns))}</dd>
        </div>
        {rollout ? (
          <div>
            <dt>rollout</dt>
            <dd>
              <Link href={`/rollouts/${encodeURIComponent(rollout)}`} className="mono">
                {rollout}
              </Link>
            </dd>
          </div>
        ) : null}
      </dl>
      <h4>Attributes ({Object.keys(span.attributes).length})</h4>
      {Object.keys(span.attributes).length ? <AttrTable attributes={span.attributes} /> : <p className="muted small">none</p>}
      <h4>Events ({span.events.length})</h4>
      {span.events.length ? (
        span.events.map((e, i) => (
          <div key={i} className="span-event">
            <div>
              <strong>{e.name}</strong> <span className="muted small">+{nsDuration(Number(BigInt(e.time_ns) - start))} into the span</span>
            </div>
            <AttrTable attributes={e.attributes} />
          </div>
        ))
      ) : (
        <p className="muted small">none</p>
      )}
    </div>
  );
}

export function TracePage({ traceId }: { traceId: string }): ReactNode {
  const id = traceId.toLowerCase();
  const valid = TRACE_ID.test(id);
  const q = usePoll((signal) => api<TraceView>(`/traces/${id}`, { signal }), id, null);
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [selected, setSelected] = useState<string | null>(null);
  const tree = useMemo(() => buildTree(q.data?.spans ?? []), [q.data]);
  const rows = flatten(tree.roots, collapsed);
  const spans = q.data?.spans ?? [];
  const pick = selected ? spans.find((s) => s.span_id === selected) : spans[0];
  const models = [
    ...new Set(
      spans
        .flatMap((s) => [s.attributes['gen_ai.response.model'], s.attributes['gen_ai.request.model']])
        .filter((m): m is string => typeof m === 'string' && isSimulatedModel(m)),
    ),
  ];
  const toggle = (spanId: string): void =>
    setCollapsed((c) => {
      const next = new Set(c);
      if (next.has(spanId)) next.delete(spanId);
      else next.add(spanId);
      return next;
    });

  return (
    <div className="page" data-view="trace" data-trace={id}>
      <PageHead
        title={
          <>
            Trace <span className="mono">{id}</span>
          </>
        }
        sub={
          q.data ? (
            <>
              {plural(spans.length, 'span')} · {nsDuration(tree.total)} · from {q.data.source}{' '}
              <Link href="/traces" className="small">
                another trace
              </Link>
            </>
          ) : null
        }
      />
      {!valid ? <div className="error-box">A trace id is 32 hex characters.</div> : <ErrorBox error={q.error} what="trace" />}
      {q.data?.source === 'llm_calls' ? (
        <div className="banner" role="note" data-source="llm_calls">
          This server stores no raw spans (<code>serve --no-raw</code>): the tree shows only the LLM calls normalized out of this trace, not its other spans,
          attributes or events.
        </div>
      ) : null}
      {q.data?.truncated ? <div className="banner">This trace has more spans than one view reads; the first {spans.length} are shown.</div> : null}
      <SimBanner models={models}>The model spans of this trace</SimBanner>
      {!q.data ? (
        q.error || !valid ? null : (
          <Loading />
        )
      ) : spans.length === 0 ? (
        <Empty>No span of this trace is stored.</Empty>
      ) : (
        <div className="trace-layout">
          <Section
            title="Spans"
            extra={
              <>
                <button type="button" className="small ghost" onClick={() => setCollapsed(new Set())}>
                  expand all
                </button>{' '}
                <button
                  type="button"
                  className="small ghost"
                  onClick={() => setCollapsed(new Set(spans.filter((s) => spans.some((c) => c.parent_span_id === s.span_id)).map((s) => s.span_id)))}
                >
                  collapse all
                </button>
              </>
            }
          >
            <div className="trace-tree" role="tree" aria-label="span tree">
              <div className="trace-scale" aria-hidden="true">
                <span />
                <span className="ticks">
                  <span>0</span>
                  <span>{nsDuration(tree.total / 2)}</span>
                  <span>{nsDuration(tree.total)}</span>
                </span>
              </div>
              {rows.map((n) => {
                const s = n.span;
                const hasKids = n.children.length > 0;
                const open = !collapsed.has(s.span_id);
                const left = (n.startOffset / tree.total) * 100;
                const width = Math.max(0.4, (n.duration / tree.total) * 100);
                return (
                  <div
                    key={s.span_id}
                    className={`trace-row${pick?.span_id === s.span_id ? ' selected' : ''}${s.status_code === 'Error' ? ' error' : ''}`}
                    role="treeitem"
                    aria-level={n.depth + 1}
                    aria-expanded={hasKids ? open : undefined}
                    aria-selected={pick?.span_id === s.span_id}
                    data-span={s.span_id}
                    data-parent={s.parent_span_id}
                    data-depth={n.depth}
                  >
                    <span className="trace-name" style={{ paddingLeft: `${n.depth * 16}px` }}>
                      {hasKids ? (
                        <button
                          type="button"
                          className="toggle"
                          onClick={() => toggle(s.span_id)}
                          aria-label={`${open ? 'collapse' : 'expand'} ${s.name}`}
                          title={open ? 'collapse' : `expand (${countBelow(n)} spans)`}
                        >
                          {open ? '▾' : '▸'}
                        </button>
                      ) : (
                        <span className="toggle-space" />
                      )}
                      <button type="button" className="span-name link" onClick={() => setSelected(s.span_id)} title={`${s.name} (${s.service})`}>
                        {s.name}
                      </button>
                      <span className="muted small service">{s.service}</span>
                    </span>
                    <span className="trace-bar-track">
                      <span
                        className={`trace-bar kind-${s.kind.toLowerCase()}`}
                        style={{ left: `${left}%`, width: `${width}%` }}
                        title={`${nsDuration(n.duration)} at +${nsDuration(n.startOffset)}`}
                      />
                      <span className="trace-dur small" style={{ left: `${left + width}%` }}>
                        {nsDuration(n.duration)}
                      </span>
                    </span>
                  </div>
                );
              })}
            </div>
          </Section>
          <Section title="Span">{pick ? <SpanDetails span={pick} t0={tree.t0} /> : <Empty>Pick a span.</Empty>}</Section>
        </div>
      )}
    </div>
  );
}
