// Python virtual environments for the interop tests, created from PyPI on first use and reused while
// their requirements stay the same (a stamp file holds the requirements' hash).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './cli-process.js';

const run = promisify(execFile);

export const VENVS_DIR = join(REPO_ROOT, '.venvs');

/** Returns the venv's python, creating the venv and installing the pinned requirements if needed. */
export async function pythonEnv(name: string, requirements: readonly string[]): Promise<string> {
  const dir = join(VENVS_DIR, name);
  const python = join(dir, 'bin', 'python');
  const stamp = join(dir, '.requirements.sha256');
  const hash = createHash('sha256').update(requirements.join('\n')).digest('hex');
  if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return python;
  mkdirSync(VENVS_DIR, { recursive: true });
  await run('python3', ['-m', 'venv', '--clear', dir]);
  const reqFile = join(dir, 'requirements.txt');
  writeFileSync(reqFile, requirements.join('\n') + '\n');
  try {
    await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '-q', '-r', reqFile], { maxBuffer: 64 * 1024 * 1024, timeout: 900_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const lines = (e.stderr ?? e.message).split('\n').filter((l) => l.trim() && !l.startsWith('WARNING: Location'));
    throw new Error(`pip could not install the ${name} interop environment: ${lines.slice(-5).join(' | ')}`);
  }
  writeFileSync(stamp, hash);
  return python;
}
