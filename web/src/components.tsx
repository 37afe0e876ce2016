// Small pieces every view uses: badges, status pills, error boxes, rows that are links, JSON blocks.
import type { MouseEvent, ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import type { ApiError } from './api';
import { ago, clip, pretty } from './format';

/** Marks what the simulated model produced, so nobody mistakes it for a real LLM's output or reward. */
export function SimBadge({ model }: { model?: string }): ReactNode {
  return (
    <span className="badge sim" data-simulated="true" title={`${model ? `${model} is ` : ''}the simulated model: a stand-in for an LLM, not a real model`}>
      simulated model
    </span>
  );
}

export function SimBanner({ models, children }: { models: readonly string[]; children?: ReactNode }): ReactNode {
  if (models.length === 0) return null;
  return (
    <div className="banner sim" role="note" data-simulated="true">
      <SimBadge />
      <span>
        {children ?? 'The model output and rewards here'} come from the simulated model ({models.join(', ')}): a deterministic stand-in for an LLM, not a real
        model.
      </span>
    </div>
  );
}

export function Status({ status }: { status: string }): ReactNode {
  return <span className={`status status-${status}`}>{status}</span>;
}

export function ErrorBox({ error, what }: { error: ApiError | Error | null | undefined; what?: string }): ReactNode {
  if (!error) return null;
  return (
    <div className="error-box" role="alert">
      {what ? <strong>{what}: </strong> : null}
      {error.message}
    </div>
  );
}

export function Loading({ what = 'loading' }: { what?: string }): ReactNode {
  return <p className="muted loading">{what}…</p>;
}

/** "live" while polling, with the time of the last answer. */
export function Live({ at, polling }: { at: number | null; polling: boolean }): ReactNode {
  if (!polling) return at ? <span className="live off">loaded {ago(at)}</span> : null;
  return (
    <span className="live on" title="refreshes every few seconds while this tab is visible">
      <span className="dot" aria-hidden="true" />
      live
    </span>
  );
}

/**
 * A table row that opens `to`: the row's first link is the keyboard target (Tab, then Enter), and a click anywhere
 * else on the row follows it too; links and buttons inside the row keep their own targets.
 */
export function LinkRow({
  to,
  children,
  className,
  ...rest
}: {
  to: string;
  children: ReactNode;
  className?: string;
  [data: `data-${string}`]: string;
}): ReactNode {
  const [, navigate] = useLocation();
  const onClick = (e: MouseEvent<HTMLTableRowElement>): void => {
    const target = e.target as HTMLElement;
    if (target.closest('a, button, input, select, textarea, label, summary') || window.getSelection()?.toString()) return;
    if (e.metaKey || e.ctrlKey) window.open(to, '_blank', 'noopener');
    else navigate(to);
  };
  return (
    <tr className={`link-row${className ? ` ${className}` : ''}`} onClick={onClick} {...rest}>
      {children}
    </tr>
  );
}

export function Id({ id, to, keep = 14 }: { id: string; to?: string; keep?: number }): ReactNode {
  const text = id.length > keep + 1 ? `${id.slice(0, keep)}…` : id;
  return to ? (
    <Link href={to} className="mono id" title={id}>
      {text}
    </Link>
  ) : (
    <span className="mono id" title={id}>
      {text}
    </span>
  );
}

export function Json({ value, max }: { value: unknown; max?: number }): ReactNode {
  const text = pretty(value);
  return <pre className="json">{max ? clip(text, max) : text}</pre>;
}

export function Section({ title, extra, children, id }: { title: ReactNode; extra?: ReactNode; children: ReactNode; id?: string }): ReactNode {
  return (
    <section className="card" aria-labelledby={id}>
      <header className="card-head">
        <h2 id={id}>{title}</h2>
        {extra ? <div className="card-extra">{extra}</div> : null}
      </header>
      {children}
    </section>
  );
}

export function PageHead({ title, sub, extra }: { title: ReactNode; sub?: ReactNode; extra?: ReactNode }): ReactNode {
  return (
    <div className="page-head">
      <div>
        <h1>{title}</h1>
        {sub ? <div className="sub">{sub}</div> : null}
      </div>
      {extra ? <div className="page-extra">{extra}</div> : null}
    </div>
  );
}

export function KeyValues({ rows }: { rows: [ReactNode, ReactNode][] }): ReactNode {
  return (
    <dl className="kv">
      {rows.map(([k, v], i) => (
        <div key={i}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Empty({ children }: { children: ReactNode }): ReactNode {
  return <p className="empty">{children}</p>;
}

export function Reward({ value }: { value: number | null | undefined }): ReactNode {
  if (value === null || value === undefined) return <span className="muted">–</span>;
  const cls = value >= 1 ? 'good' : value <= 0 ? 'bad' : 'mid';
  return (
    <span className={`reward reward-${cls}`} data-reward={value}>
      {Number.isInteger(value) ? value : value.toFixed(3)}
    </span>
  );
}

/** A filter form's buttons: apply, and clear once a filter is set. */
export function FilterButtons({ filtered, onClear }: { filtered: boolean; onClear: () => void }): ReactNode {
  return (
    <div className="filter-buttons">
      <button type="submit">apply</button>
      {filtered ? (
        <button type="button" className="ghost" onClick={onClear}>
          clear
        </button>
      ) : null}
    </div>
  );
}
