// Python virtual environments for the interop tests, created from PyPI on first use and reused while
// their requirements stay the same (a stamp file holds the requirements' hash). Creation is serialized by a
// lock directory, so two test runs on the same checkout (or two files wanting the same venv) never build it at
// the same time and never see a half-built one.
import { createHash } from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { REPO_ROOT } from './cli-process.js';

const run = promisify(execFile);

export const VENVS_DIR = join(REPO_ROOT, '.venvs');

/** Where the interop suite's pinned requirements live: requirements/<name>.txt, one venv each. */
export const INTEROP_REQUIREMENTS_DIR = join(REPO_ROOT, 'test', 'interop', 'python', 'requirements');

/** The pinned requirements of one interop venv: requirements/<name>.txt without comments. */
export function interopRequirements(name: string): string[] {
  return readFileSync(join(INTEROP_REQUIREMENTS_DIR, `${name}.txt`), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

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

export interface PythonEnvOptions {
  /** The interpreter the venv is made from (default python3). */
  interpreter?: string;
  /** Install exactly the requirements listed (`pip --no-deps`): they must be the whole closure, pinned. */
  noDeps?: boolean;
}

function minorOf(python: string): number | null {
  try {
    const out = execFileSync(python, ['-c', 'import sys; print(sys.version_info[0], sys.version_info[1])'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const [major, minor] = out.trim().split(' ').map(Number);
    return major === 3 && minor !== undefined && Number.isInteger(minor) ? minor : null;
  } catch {
    return null;
  }
}

/**
 * A Python 3 interpreter of at least 3.`minMinor`: python3 itself, python3.N on PATH, else one that pyenv installed
 * (a package may need a newer Python than the machine's default). Null when there is none.
 */
export function findPython(minMinor: number): string | null {
  const candidates = ['python3', ...[14, 13, 12].filter((m) => m >= minMinor).map((m) => `python3.${m}`)];
  const pyenvRoot = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv');
  try {
    for (const v of readdirSync(join(pyenvRoot, 'versions')).sort().reverse()) candidates.push(join(pyenvRoot, 'versions', v, 'bin', 'python3'));
  } catch {
    // no pyenv here
  }
  for (const c of candidates) {
    const minor = minorOf(c);
    if (minor !== null && minor >= minMinor) return c;
  }
  return null;
}

/** Returns the venv's python, creating the venv and installing the pinned requirements if needed. */
export async function pythonEnv(name: string, requirements: readonly string[], options: PythonEnvOptions = {}): Promise<string> {
  const dir = join(VENVS_DIR, name);
  const python = join(dir, 'bin', 'python');
  const stamp = join(dir, '.requirements.sha256');
  // Without options the stamp is what it always was, so existing venvs stay valid.
  const extra = options.interpreter || options.noDeps ? `\n# ${options.interpreter ?? 'python3'}${options.noDeps ? ' --no-deps' : ''}` : '';
  const hash = createHash('sha256')
    .update(requirements.join('\n') + extra)
    .digest('hex');
  const ready = (): boolean => existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash;
  if (ready()) return python;
  mkdirSync(VENVS_DIR, { recursive: true });
  const unlock = await lock(dir);
  try {
    if (ready()) return python; // built by another process while this one waited
    await run(options.interpreter ?? 'python3', ['-m', 'venv', '--clear', dir]);
    const reqFile = join(dir, 'requirements.txt');
    writeFileSync(reqFile, requirements.join('\n') + '\n');
    try {
      const noDeps = options.noDeps ? ['--no-deps'] : [];
      await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '-q', ...noDeps, '-r', reqFile], {
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
