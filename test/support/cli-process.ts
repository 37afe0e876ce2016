// Runs the BUILT CLI (`node dist/cli/main.js serve ...`) as a child process, the way a user runs it:
// waits for its "tracelight listening" banner, reads the URL it printed, and stops it with a signal.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI_PATH = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export function cliBuilt(): boolean {
  return existsSync(CLI_PATH);
}

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CliServer {
  proc: ChildProcess;
  pid: number;
  httpUrl: string;
  grpcPort: number | null;
  /** Resolves when the process has exited (never rejects). */
  exited: Promise<CliExit>;
  stdout(): string;
  stderr(): string;
  /** Sends the signal (if still running) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<CliExit>;
}

export interface StartCliOptions {
  dataDir: string;
  /** Extra `serve` arguments. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
}

/** Spawns `tracelight serve` on free ports (0) and resolves once it is listening. */
export async function startCliServer(opts: StartCliOptions): Promise<CliServer> {
  const proc = spawn(
    process.execPath,
    [CLI_PATH, 'serve', '--host', '127.0.0.1', '--port', '0', '--grpc-port', '0', '--data', opts.dataDir, ...(opts.args ?? [])],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  proc.stdout?.setEncoding('utf8').on('data', (c: string) => (out += c));
  proc.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<CliExit>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));

  const started = await new Promise<{ httpUrl: string; grpcPort: number | null }>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      proc.kill('SIGKILL');
      reject(new Error(`tracelight serve did not print "tracelight listening" within ${opts.startTimeoutMs ?? 60_000} ms\nstdout:\n${out}\nstderr:\n${err}`));
    }, opts.startTimeoutMs ?? 60_000);
    const onData = (): void => {
      // The banner is written in one piece; wait until the OTLP/gRPC line (after the URL) is there too.
      if (!out.includes('tracelight listening')) return;
      const http = /OTLP\/HTTP\s+(http:\/\/\S+)/.exec(out);
      const grpc = /OTLP\/gRPC\s+(\S+)/.exec(out);
      if (!http || !grpc) return;
      cleanup();
      const grpcPort = grpc[1] === 'off' ? null : Number(grpc[1]?.split(':').pop());
      resolve({ httpUrl: http[1] as string, grpcPort });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      reject(new Error(`tracelight serve exited before listening (code ${code}, signal ${signal})\nstdout:\n${out}\nstderr:\n${err}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      proc.stdout?.off('data', onData);
      proc.off('exit', onExit);
    };
    proc.stdout?.on('data', onData);
    proc.once('exit', onExit);
  });

  return {
    proc,
    pid: proc.pid as number,
    ...started,
    exited,
    stdout: () => out,
    stderr: () => err,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Read-only SQL through the server's `POST /api/v1/query` (what `tracelight sql --server` uses). */
export async function queryServer<T = Record<string, unknown>>(httpUrl: string, sql: string, params: Record<string, string | number> = {}): Promise<T[]> {
  const res = await fetch(`${httpUrl}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql, params }),
  });
  const body = (await res.json()) as { rows?: T[]; error?: string };
  if (!res.ok) throw new Error(`query failed with HTTP ${res.status}: ${body.error ?? JSON.stringify(body)}`);
  return body.rows ?? [];
}
