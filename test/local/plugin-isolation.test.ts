import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalController } from '../../src/local/controller.js';
import { InfrakitPlugins } from '../../src/providers/infrakit/index.js';
import {
  infrakitAvailable,
  type InfrakitPlugins as RunningPlugins,
  startInfrakitPlugins,
} from '../helpers/infrakit.js';
import { putPluginGroup, startInProcessController, waitFor } from './harness.js';

/**
 * One plugin down blocks only the groups that may have instances on it: with Docker InfraKit's
 * real `simulator` and `file` plugins side by side, the `file` plugin is SIGKILLed. The
 * simulator's groups go on converging and healing; the file plugin's groups, and a group whose
 * new spec moves it from `file` to the simulator, are blocked with a readable reason, and nothing
 * anywhere is destroyed; once the plugin is back, all of them converge without a duplicate.
 */
describe.runIf(infrakitAvailable())('a plugin down, beside one that is up (real InfraKit plugins)', () => {
  let running: RunningPlugins;
  let dir: string;
  let controller: LocalController;
  let simulator: ReturnType<InfrakitPlugins['instance']>;
  let files: ReturnType<InfrakitPlugins['instance']>;

  /** Ids the plugin itself describes for `group` (its own view). */
  const idsOn = async (plugin: typeof simulator, group: string) =>
    (await plugin.describe({ 'infrakit.group': group })).map((i) => i.id).sort();

  const put = (id: string, plugin: string, size: number, extra: Record<string, unknown> = {}) =>
    putPluginGroup(controller.url, id, plugin, size, extra);

  beforeAll(async () => {
    running = await startInfrakitPlugins(['simulator']);
    // A process of its own, to be killed alone.
    await running.start('file');
    const client = new InfrakitPlugins({ pluginsDir: running.pluginsDir, callTimeoutMs: 5_000 });
    simulator = client.instance('simulator/compute');
    files = client.instance('file');
    dir = await mkdtemp(join(tmpdir(), 'plugin-isolation-'));
    controller = await startInProcessController(dir, {
      tableName: 'isolation',
      pluginsDir: running.pluginsDir,
    });
  }, 60_000);

  afterAll(async () => {
    await controller?.stop();
    await running?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('blocks only the dead plugin’s groups, destroys nothing, and recovers when it is back', async () => {
    await put('on-sim', 'simulator/compute', 3);
    await put('on-file', 'file', 2);
    await put('moving', 'file', 2);
    await waitFor(
      'all three groups converged',
      async () =>
        (await idsOn(simulator, 'on-sim')).length === 3 &&
        (await idsOn(files, 'on-file')).length === 2 &&
        (await idsOn(files, 'moving')).length === 2,
      60_000,
    );
    const onFile = await idsOn(files, 'on-file');
    const moving = await idsOn(files, 'moving');

    await running.kill('file');
    // `moving` now names the simulator: its old members are on the dead plugin, so it must wait.
    await put('moving', 'simulator/compute', 2, { update: { maxSurge: 1, maxUnavailable: 0 } });
    // A new group on the simulator converges, and a member of another, destroyed behind the
    // controller's back, is replaced.
    await put('new-sim', 'simulator/compute', 2);
    const victim = (await idsOn(simulator, 'on-sim'))[0] as string;
    await simulator.destroy(victim, 'terminate');
    const healed = await waitFor(
      'the simulator’s groups converged and healed while the file plugin is down',
      async () => {
        const sim = await idsOn(simulator, 'on-sim');
        const fresh = await idsOn(simulator, 'new-sim');
        return sim.length === 3 && !sim.includes(victim) && fresh.length === 2 ? sim : undefined;
      },
      60_000,
    );
    expect(healed).not.toContain(victim);

    // The dead plugin's groups say why they wait.
    for (const id of ['on-file', 'moving']) {
      const status = await controller.engine.status(id);
      expect(status?.blocked, id).toMatch(
        /plugin file .*(unreachable|refused|no such|dropped|ENOENT|ECONNREFUSED)/i,
      );
    }
    // Nothing was planned for `moving` from half a view: no launch on the simulator yet.
    expect(await idsOn(simulator, 'moving')).toEqual([]);

    await running.start('file');
    // Nothing was destroyed meanwhile: the file plugin still holds the very same instances.
    expect(await idsOn(files, 'on-file')).toEqual(onFile);
    await waitFor(
      '`moving` rolled onto the simulator once its old members could be seen',
      async () =>
        (await idsOn(simulator, 'moving')).length === 2 && (await idsOn(files, 'moving')).length === 0,
      90_000,
    );
    // Exactly the declared instances everywhere: no duplicate from the outage.
    expect(await idsOn(files, 'on-file')).toEqual(onFile);
    expect(await idsOn(simulator, 'on-sim')).toHaveLength(3);
    expect(await idsOn(simulator, 'new-sim')).toHaveLength(2);
    expect(moving).toHaveLength(2);
  }, 240_000);
});
