// Scoped keys configured the three ways an operator would: on the command line, in the environment and in
// the serve config file (with the key itself read from the environment), against the built CLI over HTTP.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startCliServer, type CliServer } from '../support/cli-process.js';

const dir = mkdtempSync(join(tmpdir(), 'tl-cli-keys-'));
let server: CliServer | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('serves keys from --api-key, TRACELIGHT_API_KEYS and the config file, each with its scopes only', async () => {
  const config = join(dir, 'serve.yaml');
  writeFileSync(config, 'api_keys:\n  - key_env: AGENT_INGEST_KEY\n    scopes: [ingest]\n  - key: "file-reader-key"\n    scopes: [read]\n');
  server = await startCliServer({
    dataDir: join(dir, 'data'),
    args: ['--api-key', 'worker:flag-worker-key', '--config', config],
    env: { TRACELIGHT_API_KEYS: 'env-admin-key', AGENT_INGEST_KEY: 'env-ingest-key' },
  });
  expect(server.stdout()).toMatch(/auth\s+API key required \(4 keys\)/);
  const status = async (method: string, path: string, key: string, body?: unknown): Promise<number> =>
    (
      await fetch(`${server!.httpUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      })
    ).status;
  const query = { sql: 'SELECT 1' };
  expect(await status('POST', '/api/v1/query', 'file-reader-key', query)).toBe(200);
  expect(await status('POST', '/api/v1/query', 'env-ingest-key', query)).toBe(403);
  expect(await status('POST', '/api/v1/query', 'flag-worker-key', query)).toBe(403);
  expect(await status('POST', '/api/v1/query', 'env-admin-key', query)).toBe(200);
  expect(await status('POST', '/api/v1/rewards', 'env-ingest-key', { name: 'x', value: 1, trace_id: 'f'.repeat(32) })).not.toBe(403);
  expect(await status('GET', '/api/v1/resources', 'flag-worker-key')).toBe(200);
  expect(await status('POST', '/api/v1/query', 'AGENT_INGEST_KEY', query)).toBe(401);
});

it('refuses a config file whose key entry names no key, saying which entry', async () => {
  const config = join(dir, 'bad.yaml');
  writeFileSync(config, 'api_keys:\n  - key_env: NOT_SET_ANYWHERE_42\n    scopes: [read]\n');
  await expect(startCliServer({ dataDir: join(dir, 'data2'), args: ['--config', config], startTimeoutMs: 20_000 })).rejects.toThrow(
    /api_keys\.0\.key_env: the environment variable NOT_SET_ANYWHERE_42 is not set/,
  );
});

it('refuses a scoped key whose key part is empty, instead of starting with auth off', async () => {
  await expect(startCliServer({ dataDir: join(dir, 'data3'), args: ['--api-key', 'ingest:'], startTimeoutMs: 20_000 })).rejects.toThrow(
    /the API key for scopes ingest is empty/,
  );
});
