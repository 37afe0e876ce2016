// The README's compatibility table says what the interop suite proved in this run: it runs after the main suite
// (vitest.quickstarts.config.ts), when every interop file has recorded its row (test/interop/compat.ts).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compatTable, README_END, README_START, recordedRows } from '../interop/compat.js';
import { REPO_ROOT } from '../support/cli-process.js';

describe('README compatibility table', () => {
  it('is the table the interop suite just proved', () => {
    const rows = recordedRows();
    expect(rows.length, 'no interop rows recorded: run the interop suite (npx vitest run test/interop) first').toBeGreaterThan(0);
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf(README_START) + README_START.length, readme.indexOf(README_END)).trim();
    expect(section, 'README.md compatibility table is stale: run npm run compat:table').toBe(compatTable(rows));
  });
});
