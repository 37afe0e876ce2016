// Argument parsers the commands share, so a flag's error reads the same everywhere: `--port must be an
// integer from 0 to 65535`.
import { InvalidArgumentError } from 'commander';
import { DEFAULT_LABEL, LABEL_NAME_PATTERN, RESOURCE_NAME_PATTERN } from '../schemas/resources.js';

export function intArg(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

export function numberArg(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a number from ${min} to ${max}`);
    return n;
  };
}

/** `NAME`, `NAME@LABEL` or `NAME@VERSION`: a resource as a rollout pins it (by default its production label). */
export function resourceRefArg(name: string) {
  return (v: string): { name: string; ref: string | number } => {
    const at = v.lastIndexOf('@');
    const resource = at < 0 ? v : v.slice(0, at);
    const ref = at < 0 ? DEFAULT_LABEL : v.slice(at + 1);
    if (!RESOURCE_NAME_PATTERN.test(resource)) throw new InvalidArgumentError(`${name}: "${resource}" is not a resource name ([A-Za-z0-9._-], up to 128)`);
    if (/^\d+$/.test(ref)) return { name: resource, ref: Number(ref) };
    if (!LABEL_NAME_PATTERN.test(ref)) throw new InvalidArgumentError(`${name}: "${ref}" after @ is neither a version number nor a label name`);
    return { name: resource, ref };
  };
}

/**
 * Stops gracefully on SIGTERM / SIGINT: says what it is finishing, then exits 0 once `close` resolves (1, with the
 * error, when it fails). A second signal while stopping is ignored.
 */
export function stopOnSignals(finishing: string, close: () => Promise<unknown>): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: ${finishing}…\n`);
    close().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`tracelight: error while stopping: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
