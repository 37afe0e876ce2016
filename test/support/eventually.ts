// Polls until `fn` gives a truthy value (telemetry is exported and stored asynchronously), or fails naming what
// it waited for.
import { setTimeout as sleep } from 'node:timers/promises';

export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000, pollMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}
