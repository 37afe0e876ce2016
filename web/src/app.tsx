// The frame around every page: the navigation, the key's scopes, the keyboard shortcuts and the routes.
import { useEffect, type ReactNode } from 'react';
import { Link, Route, Switch, useLocation } from 'wouter';
import { SessionGate } from './session';
import { OverviewPage } from './views/overview';
import { RolloutsPage } from './views/rollouts';
import { RolloutPage } from './views/rollout';
import { TripletsPage } from './views/triplets';
import { ResourcePage, ResourcesPage } from './views/resources';
import { RunsPage } from './views/runs';
import { RunPage } from './views/run';
import { TracePage, TraceSearchPage } from './views/trace';

const NAV = [
  { to: '/', label: 'Overview', key: 'o' },
  { to: '/rollouts', label: 'Rollouts', key: 'r' },
  { to: '/triplets', label: 'Triplets', key: 't' },
  { to: '/resources', label: 'Resources', key: 's' },
  { to: '/runs', label: 'Training runs', key: 'n' },
  { to: '/traces', label: 'Traces', key: '' },
] as const;

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

/** `/` focuses the page's search box; `g` then a letter goes to a section (as in many web apps). */
function useShortcuts(): void {
  const [, navigate] = useLocation();
  useEffect(() => {
    let pendingG = 0;
    const onKey = (e: KeyboardEvent): void => {
      if (e.metaKey || e.ctrlKey || e.altKey || isTyping(e.target)) return;
      if (e.key === '/') {
        const box =
          document.querySelector<HTMLElement>('[data-search]') ?? document.querySelector<HTMLElement>('main input:not([type=hidden]):not([disabled])');
        if (box) {
          e.preventDefault();
          box.focus();
        }
        return;
      }
      if (e.key === 'g') {
        pendingG = Date.now();
        return;
      }
      if (Date.now() - pendingG < 1500) {
        const to = NAV.find((n) => n.key && n.key === e.key);
        pendingG = 0;
        if (to) {
          e.preventDefault();
          navigate(to.to);
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navigate]);
}

function Header({ scopes, auth, hasKey, forget }: { scopes: string[] | null; auth: boolean; hasKey: boolean; forget?: () => void }): ReactNode {
  const [location] = useLocation();
  const active = (to: string): boolean => (to === '/' ? location === '/' : location === to || location.startsWith(`${to}/`));
  return (
    <header className="top">
      <a className="skip" href="#main">
        skip to content
      </a>
      <Link href="/" className="brand" aria-label="tracelight overview">
        <span className="logo" aria-hidden="true" />
        tracelight
      </Link>
      {scopes ? (
        <nav aria-label="sections">
          {NAV.map((n) => (
            <Link
              key={n.to}
              href={n.to}
              className={active(n.to) ? 'active' : ''}
              aria-current={active(n.to) ? 'page' : undefined}
              title={n.key ? `g ${n.key}` : undefined}
            >
              {n.label}
            </Link>
          ))}
        </nav>
      ) : (
        <span className="grow" />
      )}
      <div className="who">
        {scopes ? (
          <>
            <span className="muted small">{auth ? 'key scopes' : 'auth off'}</span>
            <span className="scopes" data-scopes={scopes.join(',')}>
              {scopes.map((s) => (
                <span key={s} className={`scope scope-${s}`}>
                  {s}
                </span>
              ))}
            </span>
            {auth && hasKey && forget ? (
              <button type="button" className="small ghost" onClick={forget}>
                forget key
              </button>
            ) : null}
          </>
        ) : null}
      </div>
    </header>
  );
}

export function App(): ReactNode {
  useShortcuts();
  return (
    <SessionGate header={(s) => <Header scopes={s ? s.session.scopes : null} auth={s?.session.auth ?? true} hasKey={s?.hasKey ?? false} forget={s?.forget} />}>
      <main id="main" tabIndex={-1}>
        <Switch>
          <Route path="/" component={OverviewPage} />
          <Route path="/rollouts" component={RolloutsPage} />
          <Route path="/rollouts/:id">{(p) => <RolloutPage id={p.id} />}</Route>
          <Route path="/triplets" component={TripletsPage} />
          <Route path="/resources" component={ResourcesPage} />
          <Route path="/resources/:name">{(p) => <ResourcePage name={p.name} />}</Route>
          <Route path="/runs" component={RunsPage} />
          <Route path="/runs/:id">{(p) => <RunPage id={p.id} />}</Route>
          <Route path="/traces" component={TraceSearchPage} />
          <Route path="/traces/:traceId">{(p) => <TracePage traceId={p.traceId} />}</Route>
          <Route>
            <div className="card narrow">
              <h1>No such page</h1>
              <p>
                <Link href="/">Go to the overview</Link>
              </p>
            </div>
          </Route>
        </Switch>
      </main>
      <footer className="foot muted small">
        keys: <kbd>/</kbd> search · <kbd>g</kbd> <kbd>o</kbd> overview · <kbd>g</kbd> <kbd>r</kbd> rollouts · <kbd>g</kbd> <kbd>t</kbd> triplets · <kbd>g</kbd>{' '}
        <kbd>s</kbd> resources · <kbd>g</kbd> <kbd>n</kbd> runs
      </footer>
    </SessionGate>
  );
}
