/**
 * Runs the chDB-backed ClickHouse HTTP test server in its own process, for tests that also need chDB
 * in-process (chDB binds one data directory per process):
 *
 *   npx tsx test/support/clickhouse-http-server-main.ts --data DIR [--port N] [--host H] [--user U] [--password P]
 *
 * Prints `listening http://HOST:PORT` once ready and shuts down cleanly on SIGTERM or SIGINT.
 */
import { parseArgs } from 'node:util';
import { startClickHouseHttpServer } from './clickhouse-http-server.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      user: { type: 'string' },
      password: { type: 'string' },
    },
    strict: true,
  });
  if (values.data === undefined) {
    process.stderr.write('usage: clickhouse-http-server-main.ts --data DIR [--port N] [--host H] [--user U] [--password P]\n');
    process.exit(2);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`invalid --port ${values.port}\n`);
    process.exit(2);
  }

  const server = await startClickHouseHttpServer({
    dataDir: values.data,
    port,
    host: values.host,
    ...(values.user !== undefined ? { username: values.user } : {}),
    ...(values.password !== undefined ? { password: values.password } : {}),
  });
  process.stdout.write(`listening ${server.url}\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`error while closing: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
