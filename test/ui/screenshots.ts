// The README's screenshots, from the demo's data: `npx tsx test/ui/screenshots.ts` (after npm run build) runs the
// demo into a temporary directory, serves it with an admin key, and writes docs/images/tracelight-ui.png (the
// overview), tracelight-run.png (an APO run's page) and tracelight-diff.png (the prompt the run found, diffed).
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, startCliServer } from '../support/cli-process.js';
import { ADMIN_KEY, RESOURCE, checkPrerequisites, launchBrowser, openPage, runDemo } from './harness.js';

const OUT = join(REPO_ROOT, 'docs', 'images');

async function main(): Promise<void> {
  checkPrerequisites();
  mkdirSync(OUT, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'tl-shots-'));
  const data = join(dir, 'store');
  const demo = await runDemo(data, { train: 12, validation: 12, budget: 200, rounds: 3 });
  const server = await startCliServer({ dataDir: data, args: ['--api-key', ADMIN_KEY] });
  const browser = await launchBrowser();
  try {
    const page = await openPage(browser, ADMIN_KEY);
    const shots: [string, string, string][] = [
      ['tracelight-ui.png', '/?minutes=15', '[data-table="calls"] tbody tr'],
      ['tracelight-run.png', `/runs/${demo.run_id}`, '[data-chart="apo-curve"] canvas'],
      ['tracelight-diff.png', `/resources/${RESOURCE}?a=${demo.start_version}&b=${demo.best_version}`, '.diff'],
    ];
    for (const [file, path, ready] of shots) {
      await page.goto(`${server.httpUrl}${path}`);
      await page.locator(ready).first().waitFor();
      // Let the charts settle on their final size before the picture.
      await page.waitForTimeout(500);
      const out = join(OUT, file);
      await page.screenshot({ path: out, scale: 'css' });
      console.log(`${out}  ${Math.round(statSync(out).size / 1024)} KB`);
    }
  } finally {
    await browser.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exitCode = 1;
});
