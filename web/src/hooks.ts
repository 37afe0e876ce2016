// Data loading and URL state shared by the views: a poll that sleeps while the tab is hidden, and filters that
// live in the query string so any filtered list is a link.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'wouter';
import { ApiError } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  /** When the data last arrived (ms), for "updated …" hints. */
  at: number | null;
  reload: () => void;
}

/**
 * Loads `fetcher` when `key` changes and again every `interval(data)` ms (null: no polling), never two at a time.
 * A hidden tab stops polling and loads once when it is shown again, so a forgotten tab costs the server nothing.
 */
export function usePoll<T>(
  fetcher: (signal: AbortSignal) => Promise<T>,
  key: string,
  interval: number | null | ((data: T | undefined) => number | null) = null,
): Loaded<T> {
  const [state, setState] = useState<{ key: string; data: T | undefined; error: ApiError | null; loading: boolean; at: number | null }>({
    key,
    data: undefined,
    error: null,
    loading: true,
    at: null,
  });
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  const intervalRef = useRef(interval);
  intervalRef.current = interval;
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  // A new key shows no stale data of the previous one.
  if (state.key !== key) setState({ key, data: undefined, error: null, loading: true, at: null });

  useEffect(() => {
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight = false;
    let last: T | undefined;
    const next = (): number | null => {
      const i = intervalRef.current;
      return typeof i === 'function' ? i(last) : i;
    };
    const schedule = (): void => {
      clearTimeout(timer);
      const ms = next();
      if (ms !== null && !document.hidden) timer = setTimeout(run, ms);
    };
    const run = (): void => {
      if (inFlight || ac.signal.aborted) return;
      inFlight = true;
      setState((s) => (s.loading ? s : { ...s, loading: true }));
      fetcherRef
        .current(ac.signal)
        .then((data) => {
          if (ac.signal.aborted) return;
          last = data;
          setState({ key, data, error: null, loading: false, at: Date.now() });
        })
        .catch((err: unknown) => {
          if (ac.signal.aborted) return;
          const e = err instanceof ApiError ? err : new ApiError(0, (err as Error).message);
          setState((s) => ({ ...s, error: e, loading: false }));
        })
        .finally(() => {
          inFlight = false;
          if (!ac.signal.aborted) schedule();
        });
    };
    const onVisibility = (): void => {
      if (document.hidden) clearTimeout(timer);
      else if (next() !== null) run();
    };
    document.addEventListener('visibilitychange', onVisibility);
    run();
    return () => {
      ac.abort();
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [key, tick]);

  return { data: state.key === key ? state.data : undefined, error: state.error, loading: state.loading, at: state.at, reload };
}

/**
 * Filters from the query string: `values` as the URL has them, `apply` replaces them all (empty ones dropped) as
 * a new history entry, so Back returns to the previous filter.
 */
export function useFilters<K extends string>(keys: readonly K[]): { values: Record<K, string>; apply: (v: Partial<Record<K, string>>) => void } {
  const [params, setParams] = useSearchParams();
  const values = Object.fromEntries(keys.map((k) => [k, params.get(k) ?? ''])) as Record<K, string>;
  const apply = (v: Partial<Record<K, string>>): void => {
    const next = new URLSearchParams();
    for (const k of keys) {
      const s = (v[k] ?? '').trim();
      if (s) next.set(k, s);
    }
    setParams(next);
  };
  return { values, apply };
}

/** The state of form inputs seeded from the URL, re-seeded when the URL changes (Back, a link). */
export function useDraft<T extends Record<string, string>>(fromUrl: T): [T, (patch: Partial<T>) => void] {
  const [draft, setDraft] = useState(fromUrl);
  const sig = JSON.stringify(fromUrl);
  const [seenSig, setSeenSig] = useState(sig);
  if (sig !== seenSig) {
    setSeenSig(sig);
    setDraft(fromUrl);
  }
  return [draft, (patch) => setDraft((d) => ({ ...d, ...patch }))];
}
