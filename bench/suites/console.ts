import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { bundleConsoleScript } from '../../src/console/assets.js';
import { messageOf } from '../../src/errors.js';
import { chromiumMissing, launchBrowser } from '../../test/console/browser.js';
import { startLocalGroup } from '../local-group.js';
import { type BenchSuite, type FigureSpec, type Outcome, unmeasured } from '../types.js';

/**
 * The console's figures:
 * - `console.bundle.gzip.kB`: what the page loads (HTML, CSS and the minified script), gzipped;
 * - `console.replacement.shown.p50.ms`: in local mode, from SIGKILLing an instance process to the
 *   open group page (real headless Chromium, no reload) listing its replacement and no longer the
 *   killed one, over a few kills. The page polls every second, so this is about that interval plus
 *   the heal (`local.heal.p50.s`).
 */

const BUNDLE: FigureSpec = { name: 'console.bundle.gzip.kB', unit: 'kB', goal: '<= 150' };
const SHOWN: FigureSpec = { name: 'console.replacement.shown.p50.ms', unit: 'ms', goal: '<= 2000' };
const KILLS = 5;
const GROUP = 'bench-console';

async function bundleKb(): Promise<number> {
  const app = new URL('../../src/console/app/', import.meta.url);
  const files = [
    await bundleConsoleScript(),
    await readFile(new URL('index.html', app)),
    await readFile(new URL('console.css', app)),
  ];
  return files.reduce((sum, f) => sum + gzipSync(f, { level: 9 }).length, 0) / 1000;
}

async function replacementShownMs(): Promise<number> {
  const { controller, close } = await startLocalGroup('console', GROUP, 2);
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.goto(`${controller.url}/#/groups/${GROUP}`);
    const shown = () =>
      page
        .locator('#instances tr[data-instance]')
        .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-instance')));
    /** Polls the page (every 10 ms, without reloading it) until the shown instance ids satisfy `ok`. */
    const waitShown = async (ok: (ids: (string | null)[]) => boolean) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const ids = await shown();
        if (ok(ids)) return ids;
        if (Date.now() > deadline) throw new Error(`the page did not settle: ${ids.join(', ')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const samples: number[] = [];
    for (let i = 0; i < KILLS; i++) {
      const before = await waitShown((ids) => ids.length === 2);
      const instances = (await controller.engine.status(GROUP))?.instances ?? [];
      const victim = instances.find((x) => x.id === before[0]);
      if (!victim) throw new Error('the page shows an instance the controller does not know');
      const started = performance.now();
      process.kill(Number(victim.details?.pid), 'SIGKILL');
      await waitShown(
        (ids) => ids.length === 2 && !ids.includes(victim.id) && ids.some((id) => !before.includes(id)),
      );
      samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
  } finally {
    await browser.close();
    await close();
  }
}

export const suite: BenchSuite = {
  name: 'console',
  figures: [BUNDLE, SHOWN],
  async run() {
    const outcomes: Outcome[] = [{ ...BUNDLE, value: await bundleKb() }];
    let missing: string | undefined;
    try {
      missing = chromiumMissing();
    } catch (err) {
      missing = messageOf(err);
    }
    if (missing) outcomes.push(unmeasured(SHOWN, missing));
    else outcomes.push({ ...SHOWN, value: await replacementShownMs() });
    return outcomes;
  },
};
