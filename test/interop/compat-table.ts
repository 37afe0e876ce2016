// Writes the README's compatibility table from the rows the interop suite recorded in its last run
// (test-artifacts/compat/): `npm run compat:table` after `npx vitest run test/interop`.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/cli-process.js';
import { compatTable, recordedRows, withTable } from './compat.js';

const rows = recordedRows();
if (rows.length === 0) {
  process.stderr.write('compat:table: no rows in test-artifacts/compat; run the interop suite first (npx vitest run test/interop)\n');
  process.exit(1);
}
const file = join(REPO_ROOT, 'README.md');
writeFileSync(file, withTable(readFileSync(file, 'utf8'), compatTable(rows)));
process.stdout.write(`README.md: compatibility table with ${rows.length} rows\n`);
