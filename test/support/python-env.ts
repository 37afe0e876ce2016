// Python virtual environments for the interop tests, created from PyPI on first use and reused while
// their requirements stay the same (a stamp file holds the requirements' hash). Creation is serialized by a
// lock directory, so two test runs on the same checkout (or two files wanting the same venv) never build it at
// the same time and never see a half-built one.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { REPO_ROOT } from './cli-process.js';

const run = promisify(execFile);

export const VENVS_DIR = join(REPO_ROOT, '.venvs');

/** Longest a venv build may take before a waiting process gives up. */
const LOCK_WAIT_MS = 900_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `<venv>.lock` (mkdir is atomic), breaking it when the process that holds it is gone. */
async function lock(dir: string): Promise<() => void> {
  const lockDir = `${dir}.lock`;
  const owner = join(lockDir, 'pid');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(owner, String(process.pid));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(owner, 'utf8'));
    } catch {
      // Just created, pid not written yet.
    }
    if (Number.isInteger(holder) && holder > 0 && !alive(holder)) rmSync(lockDir, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir} (held by process ${holder})`);
    else await sleep(250);
  }
}

/** Returns the venv's python, creating the venv and installing the pinned requirements if needed. */
export async function pythonEnv(name: string, requirements: readonly string[]): Promise<string> {
  const dir = join(VENVS_DIR, name);
  const python = join(dir, 'bin', 'python');
  const stamp = join(dir, '.requirements.sha256');
  const hash = createHash('sha256').update(requirements.join('\n')).digest('hex');
  const ready = (): boolean => existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash;
  if (ready()) return python;
  mkdirSync(VENVS_DIR, { recursive: true });
  const unlock = await lock(dir);
  try {
    if (ready()) return python; // built by another process while this one waited
    await run('python3', ['-m', 'venv', '--clear', dir]);
    const reqFile = join(dir, 'requirements.txt');
    writeFileSync(reqFile, requirements.join('\n') + '\n');
    try {
      await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '-q', '-r', reqFile], {
        maxBuffer: 64 * 1024 * 1024,
        timeout: 900_000,
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      const lines = (e.stderr ?? e.message).split('\n').filter((l) => l.trim() && !l.startsWith('WARNING: Location'));
      throw new Error(`pip could not install the ${name} interop environment: ${lines.slice(-5).join(' | ')}`);
    }
    writeFileSync(stamp, hash);
    return python;
  } finally {
    unlock();
  }
}
