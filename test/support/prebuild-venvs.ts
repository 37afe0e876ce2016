// Builds every interop venv (test/interop/python/requirements/*.txt) a few at a time, so that CI can start it in
// the background before the suite and the builds (mostly downloads) overlap linting, compiling and the tests
// that need no Python. A test that reaches a venv still being built waits on its lock (python-env.ts).
//   npx tsx test/support/prebuild-venvs.ts [--concurrency 3]

import { readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { INTEROP_REQUIREMENTS_DIR, interopRequirements, pythonEnv } from './python-env.js';

const { values } = parseArgs({ options: { concurrency: { type: 'string', default: '3' } } });
const concurrency = Math.max(1, Number(values.concurrency) || 3);
const names = readdirSync(INTEROP_REQUIREMENTS_DIR)
  .filter((f) => f.endsWith('.txt'))
  .map((f) => f.slice(0, -4))
  .sort();

let failed = 0;
const queue = [...names];
async function worker(): Promise<void> {
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    const t0 = Date.now();
    try {
      await pythonEnv(name, interopRequirements(name));
      process.stdout.write(`venv ${name}: ready in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    } catch (err) {
      failed++;
      process.stdout.write(`venv ${name}: ${(err as Error).message.split('\n')[0]}\n`);
    }
  }
}
await Promise.all(Array.from({ length: Math.min(concurrency, names.length) }, worker));
process.exit(failed > 0 ? 1 : 0);
