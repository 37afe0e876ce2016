// Who the user is to the API: GET /api/v1/session (open) says whether a key is needed and what the key sent may
// do. Without a usable key the app shows the key form and nothing else, so no view ever renders a 401.
import { createContext, useCallback, useContext, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { api, ApiError, forgetKey, storedKey, storeKey } from './api';
import { ErrorBox } from './components';
import type { Scope, Session } from './types';

interface SessionState {
  session: Session;
  /** Whether a key of the user's is in use (auth on). */
  hasKey: boolean;
  can: (scope: Scope) => boolean;
  forget: () => void;
}

const Ctx = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const s = useContext(Ctx);
  if (!s) throw new Error('useSession outside SessionGate');
  return s;
}

type Phase = { kind: 'checking' } | { kind: 'ready'; session: Session } | { kind: 'need-key'; rejected: boolean } | { kind: 'down'; error: ApiError };

export function SessionGate({ children, header }: { children: ReactNode; header: (s: SessionState | null) => ReactNode }): ReactNode {
  const [phase, setPhase] = useState<Phase>({ kind: 'checking' });

  const check = useCallback(async () => {
    try {
      const s = await api<Session>('/session');
      if (s.auth && s.scopes.length === 0) setPhase({ kind: 'need-key', rejected: storedKey() !== null });
      else setPhase({ kind: 'ready', session: s });
    } catch (err) {
      setPhase({ kind: 'down', error: err instanceof ApiError ? err : new ApiError(0, (err as Error).message) });
    }
  }, []);

  useEffect(() => {
    void check();
    // A key revoked while the page is open: the next 401 brings the form back.
    const on401 = (): void => void check();
    window.addEventListener('tracelight:unauthorized', on401);
    return () => window.removeEventListener('tracelight:unauthorized', on401);
  }, [check]);

  const forget = useCallback(() => {
    forgetKey();
    void check();
  }, [check]);

  if (phase.kind === 'ready') {
    const scopes = new Set(phase.session.scopes);
    const state: SessionState = {
      session: phase.session,
      hasKey: phase.session.auth && storedKey() !== null,
      can: (scope) => scopes.has('admin') || scopes.has(scope),
      forget,
    };
    return (
      <Ctx.Provider value={state}>
        {header(state)}
        {children}
      </Ctx.Provider>
    );
  }
  return (
    <>
      {header(null)}
      <main className="gate" id="main">
        {phase.kind === 'checking' ? <p className="muted">connecting…</p> : null}
        {phase.kind === 'down' ? (
          <div className="card narrow">
            <h1>tracelight is not answering</h1>
            <ErrorBox error={phase.error} />
            <button type="button" onClick={() => void check()}>
              try again
            </button>
          </div>
        ) : null}
        {phase.kind === 'need-key' ? <KeyForm rejected={phase.rejected} onAccepted={(s) => setPhase({ kind: 'ready', session: s })} /> : null}
      </main>
    </>
  );
}

function KeyForm({ rejected, onAccepted }: { rejected: boolean; onAccepted: (s: Session) => void }): ReactNode {
  const [key, setKey] = useState('');
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState<string | null>(rejected ? 'the key stored in this browser is not accepted any more' : null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const k = key.trim();
    if (!k) return;
    setBusy(true);
    try {
      // Ask with the key before keeping it: a wrong key is said here, not by every view.
      const s = await api<Session>('/session', { key: k });
      if (s.auth && s.scopes.length === 0) {
        setError('the server does not accept this key');
        return;
      }
      storeKey(k, remember);
      onAccepted(s);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card narrow key-form" onSubmit={(e) => void submit(e)} aria-labelledby="key-title">
      <h1 id="key-title">API key needed</h1>
      <p>
        This tracelight server requires an API key (<code>serve --api-key</code>). A key with the <code>read</code> scope shows everything; promoting a version
        needs <code>admin</code>.
      </p>
      <label htmlFor="api-key">API key</label>
      <input
        id="api-key"
        name="api-key"
        type="password"
        autoComplete="off"
        autoFocus
        value={key}
        onChange={(e) => {
          setKey(e.target.value);
          setError(null);
        }}
      />
      <label className="check">
        <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} /> remember on this browser
      </label>
      {error ? <ErrorBox error={new Error(error)} /> : null}
      <button type="submit" disabled={busy || !key.trim()}>
        {busy ? 'checking…' : 'use this key'}
      </button>
      <p className="muted small">The key stays in this tab (sessionStorage) unless you tick the box (localStorage). It is sent only to this server.</p>
    </form>
  );
}
