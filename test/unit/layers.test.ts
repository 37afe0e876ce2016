// The layer table is enforced by the linter: an import that climbs the layers (store/ → server/, receiver/ →
// api/) fails, one that goes down (receiver/ → store/) passes. Runs the project's own lint config on a
// throwaway tree with the same folder names.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tl-layers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lint(file: string, source: string): { ok: boolean; output: string } {
  const path = join(dir, file);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, source);
  copyFileSync(join(root, '.oxlintrc.json'), join(dir, '.oxlintrc.json'));
  try {
    const output = execFileSync(join(root, 'node_modules', '.bin', 'oxlint'), ['-c', '.oxlintrc.json', file], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    return { ok: true, output };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('the layer table in the linter', () => {
  it('fails an import that climbs the layers, naming what the folder may import', () => {
    const up = lint('store/probe.ts', "import { startServer } from '../server/server.js';\nexport const f = startServer;\n");
    expect(up.ok).toBe(false);
    expect(up.output).toMatch(/store\/ may import only schemas/);
    const nested = lint('receiver/codec/probe.ts', "import { installAuth } from '../../api/auth.js';\nexport const f = installAuth;\n");
    expect(nested.ok).toBe(false);
    expect(nested.output).toMatch(/receiver\/ may import only schemas, normalize, store/);
    expect(lint('normalize/probe.ts', "import { Store } from '../store/index.js';\nexport const f = Store;\n").ok).toBe(false);
    const web = lint('web/src/probe.tsx', "import { TL } from '../../schemas/genai.js';\nexport const f = TL;\n");
    expect(web.ok).toBe(false);
    expect(web.output).toMatch(/web\/ talks to the server over its REST API only/);
  });

  it('passes imports that go down the table', () => {
    expect(
      lint('receiver/probe.ts', "import { Store } from '../store/index.js';\nimport { TL } from '../schemas/genai.js';\nexport const f = [Store, TL];\n"),
    ).toMatchObject({ ok: true });
    expect(lint('cli/probe.ts', "import { startServer } from '../server/server.js';\nexport const f = startServer;\n")).toMatchObject({ ok: true });
  });
});
