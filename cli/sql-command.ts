// `tracelight sql`: read-only SQL through a running server, or directly on the store.
import { CliError } from './output.js';
import { callServer, resolveTarget, withStore, type TargetFlags } from './target.js';

export async function runSql(sql: string, params: Record<string, string>, flags: TargetFlags): Promise<Record<string, unknown>[]> {
  const target = await resolveTarget(flags);
  if (target.kind === 'store') return withStore(target.config, (store) => store.readOnlyQuery(sql, params));
  const res = await callServer<{ rows?: Record<string, unknown>[]; error?: string }>(target, 'POST', '/api/v1/query', { sql, params });
  if (res.status === 404) throw new CliError(res.body.error ?? 'the server has no query API');
  return res.body.rows ?? [];
}
