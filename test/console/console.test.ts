import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfrakitClient } from '../../src/cli/client.js';
import { type ConsoleProxy, startConsoleProxy } from '../../src/cli/console.js';
import {
  type ControllerProcess,
  cli,
  rawRequest,
  useControllers,
  writeProcessSpec,
} from '../local/harness.js';
import { type Browser, chromiumMissing, launchBrowser, SCREENSHOTS } from './browser.js';

/**
 * The console in real headless Chromium against a real local controller (a child process running
 * `npm start`'s code with process instances): the list, a group's live view across a killed
 * instance, the spec editor's validation and pretend plan, a save and a rollback, all without
 * reloading the page; then the same page through `infrakit console`'s proxy.
 */

const missing = chromiumMissing();
if (missing) console.warn(missing);

/** Generous: the machine is shared; the 2 s goal of the issue is a bench figure, not a timeout. */
const UI_TIMEOUT = 30_000;

describe.skipIf(missing !== undefined)('web console in Chromium', () => {
  const fx = useControllers('console');
  let controller: ControllerProcess;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    controller = await fx.start(['--port', '0', '--sweep-interval', '30']);
    const spec = await writeProcessSpec(fx.dir(), 'web', fx.marker, { size: 2 });
    expect((await cli(controller.url, 'group', 'commit', spec)).code).toBe(0);
    expect((await cli(controller.url, 'group', 'watch', 'web', '--timeout', '60')).code).toBe(0);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.setDefaultTimeout(UI_TIMEOUT);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** `expect.poll` with the generous timeout (its default, 1 s, is no bound on a shared machine). */
  const poll = <T>(read: () => Promise<T> | T, interval = 250) =>
    expect.poll(read, { timeout: UI_TIMEOUT, interval });
  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const confirmDialog = async () => {
    await page.locator('dialog#confirm[open]').waitFor();
    await page.click('#confirm-ok');
  };

  it('lists the groups with desired, running and healthy counts and their state', async () => {
    const response = await page.goto(`${controller.url}/`);
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    const row = page.locator('tr[data-group="web"]');
    await poll(() => row.locator('td.healthy').textContent()).toBe('2');
    expect(await row.locator('td.desired').textContent()).toBe('2');
    expect(await row.locator('td.running').textContent()).toBe('2');
    await poll(() => row.locator('td.state').textContent()).toBe('converged');
    expect(await row.textContent()).toContain('cattle');
    expect(await row.textContent()).toContain('process');
    await shot('groups');
  });

  it('shows a killed instance exit and its replacement live, without reloading', async () => {
    await page.goto(`${controller.url}/`);
    await page.click('a[href="#/groups/web"]');
    const rows = page.locator('#instances tr[data-instance]');
    // Another test may have just scaled the group back to 2: wait until it has settled.
    await poll(() => rows.count()).toBe(2);
    await poll(() => page.locator('#group-state').textContent()).toBe('converged');
    const before = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-instance')));
    // A marker on the window: a reload would drop it.
    await page.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    const group = await new InfrakitClient({ endpoint: controller.url }).getGroup('web');
    const victim = group.body.status.instances[0];
    expect(victim).toBeDefined();
    const killedAt = Date.now();
    process.kill(Number(victim?.details?.pid), 'SIGKILL');

    await poll(async () => {
      const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-instance')));
      return ids.length === 2 && !ids.includes(victim?.id ?? '') && ids.some((id) => !before.includes(id));
    }, 100).toBe(true);
    const shownAfterMs = Date.now() - killedAt;
    await poll(() => page.locator('#gone').textContent()).toContain(victim?.id ?? '?');
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
    console.log(
      `console: the killed instance's replacement was on the page ${shownAfterMs} ms after the kill`,
    );
    await shot('group');
  });

  it('validates the spec as it is typed, shows the pretend plan, saves with If-Match, and rolls back', async () => {
    const client = new InfrakitClient({ endpoint: controller.url });
    const v0 = (await client.getGroup('web')).body.version;
    await page.goto(`${controller.url}/#/groups/web`);
    await page.click('#edit');
    const editor = page.locator('#spec-text');
    await page.locator('#valid').waitFor();
    const original = await editor.inputValue();
    expect(original).toContain('size: 2');

    await editor.fill(original.replace('size: 2', 'size: -1'));
    await poll(() => page.locator('.issue').first().textContent()).toContain('allocation.size');
    await editor.fill(original.replace('size: 2', 'size: 3'));
    await page.locator('#valid').waitFor();

    await page.click('#pretend');
    await poll(() => page.locator('#plan-body').textContent()).toContain('+ launch 1');
    expect((await client.getGroup('web')).body.version).toBe(v0);
    await shot('editor');

    await page.click('#save');
    await confirmDialog();
    await page.waitForURL(/#\/groups\/web$/);
    await poll(() => page.locator('#group-line').textContent()).toContain(`version ${v0 + 1}`);
    await poll(() => page.locator('#instances tr[data-instance]').count()).toBe(3);
    await poll(() => page.locator('#diff-text').textContent()).toContain('+   size: 3');

    await page.locator(`tr[data-version="${v0}"] .rollback-button`).click();
    await confirmDialog();
    await poll(() => page.locator('#group-line').textContent()).toContain(`version ${v0 + 2}`);
    const stored = await client.getGroup('web');
    expect(stored.body.spec.allocation.size).toBe(2);
    await poll(() => page.locator('#instances tr[data-instance]').count()).toBe(2);
    await shot('history');
    expect(pageErrors).toEqual([]);
  });

  it('asks before each action: a cancelled one changes nothing, confirmed ones scale, pause, resume, reconcile, free and destroy', async () => {
    const client = new InfrakitClient({ endpoint: controller.url });
    for (const id of ['spare', 'doomed']) {
      const spec = await writeProcessSpec(fx.dir(), id, fx.marker, { size: 1 });
      expect((await cli(controller.url, 'group', 'commit', spec)).code).toBe(0);
    }
    await page.goto(`${controller.url}/#/groups/web`);
    await poll(() => page.locator('#group-state').textContent()).toBe('converged');
    const v0 = (await client.getGroup('web')).body.version;
    const version = async () => (await client.getGroup('web')).body.version;

    await page.click('#destroy');
    await page.locator('dialog#confirm[open]').waitFor();
    expect(await page.locator('#confirm-message').textContent()).toContain('Destroy web?');
    await page.click('#confirm-cancel');
    expect((await client.getGroup('web')).body.lifecycle).toBe('active');
    expect(await version()).toBe(v0);

    await page.fill('#size-input', '3');
    await page.click('#scale');
    await confirmDialog();
    await poll(async () => (await client.getGroup('web')).body.spec.allocation.size).toBe(3);
    await page.click('#pause');
    await confirmDialog();
    await poll(async () => (await client.getGroup('web')).body.spec.paused).toBe(true);
    await poll(() => page.locator('#pause').textContent()).toBe('Resume');
    await poll(() => page.locator('#group-state').textContent()).toBe('paused');
    await page.click('#pause');
    await confirmDialog();
    await poll(async () => (await client.getGroup('web')).body.spec.paused).toBe(false);
    await page.fill('#size-input', '2');
    await page.click('#scale');
    await confirmDialog();
    await poll(async () => (await client.getGroup('web')).body.spec.allocation.size).toBe(2);
    await page.click('#reconcile');
    await confirmDialog();
    // The local scheduler may hold the group right after the resize: then the pass is queued
    // behind it, which the notice says instead of a result.
    await poll(() => page.locator('#notice').textContent()).toMatch(
      /reconciled:|another reconciler holds group web; a pass was requested after it/,
    );
    await poll(() => page.locator('#instances tr[data-instance]').count()).toBe(2);

    // Any two versions can be compared: the first against the one that paused the group.
    await poll(() => page.locator('#diff-from option').count()).toBe(v0 + 4);
    await page.selectOption('#diff-from', String(v0));
    await page.selectOption('#diff-to', String(v0 + 2));
    await poll(() => page.locator('#diff-text').textContent()).toContain('+ paused: true');

    await page.goto(`${controller.url}/#/groups/spare`);
    await page.click('#free');
    await confirmDialog();
    await poll(async () => (await client.listGroups()).body.groups.some((g) => g.id === 'spare')).toBe(false);
    await page.goto(`${controller.url}/#/groups/doomed`);
    await page.click('#destroy');
    await confirmDialog();
    await poll(() => page.locator('#group-state').textContent()).toBe('removed');
    await shot('actions');
  });

  it('serves the same page through infrakit console, which refuses other origins', async () => {
    const client = new InfrakitClient({ endpoint: controller.url });
    let proxy: ConsoleProxy | undefined;
    try {
      proxy = await startConsoleProxy(client, { port: 0 });
      await page.goto(proxy.url);
      await poll(() => page.locator('tr[data-group="web"] td.state').textContent()).toBe('converged');
      // Its own page may write (a same-origin POST)…
      const status = await page.evaluate(
        async (url) => (await fetch(`${url}groups/web/reconcile`, { method: 'POST' })).status,
        proxy.url,
      );
      expect(status).toBe(200);
      // …a page from another site may not: refused before anything is forwarded.
      const foreign = await rawRequest(proxy.url, 'POST', '/groups/web/free', {
        headers: { origin: 'https://evil.example' },
      });
      expect(foreign.status).toBe(403);
      const rebound = await rawRequest(proxy.url, 'GET', '/groups', { host: 'rebind.attacker.example' });
      expect(rebound.status).toBe(403);
      expect((await client.getGroup('web')).body.lifecycle).toBe('active');
    } finally {
      await proxy?.close();
    }
  });
});
