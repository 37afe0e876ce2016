// Argument parsers the commands share, so a flag's error reads the same everywhere: `--port must be an
// integer from 0 to 65535`.
import { InvalidArgumentError } from 'commander';

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
