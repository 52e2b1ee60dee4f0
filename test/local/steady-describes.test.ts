import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalController } from '../../src/local/controller.js';
import { TAG_GROUP } from '../../src/tags.js';
import { type FakePlugin, hello, memoryInstances, startFakePlugin } from '../helpers/fake-infrakit-plugin.js';
import { putPluginGroup, startInProcessController, waitFor } from './harness.js';

/**
 * What a steady local controller costs a plugin: each sweep describes every served plugin object
 * once for all groups; no group is described alone, not even to print the status line of a group
 * whose sweep found news.
 */
describe('local mode in steady state on an InfraKit plugin', () => {
  const GROUPS = 12;
  const SIZE = 2;
  const ids = Array.from({ length: GROUPS }, (_, i) => `steady-${i}`);
  let fake: FakePlugin;
  let dir: string;
  let controller: LocalController;
  const memory = memoryInstances();
  const printed: string[] = [];

  /**
   * Describes of the object holding the groups: by the controller's tag alone (one per sweep), and
   * by a group's tag (one group's pass or status).
   */
  const describes = () => {
    let shared = 0;
    let perGroup = 0;
    for (const call of fake.calls) {
      if (call.method !== 'Instance.DescribeInstances' || call.params.Type !== 'compute') continue;
      const tags = (call.params.Tags ?? {}) as Record<string, string>;
      if (TAG_GROUP in tags) perGroup++;
      else shared++;
    }
    return { shared, perGroup };
  };
  /** Waits for `sweeps` more sweeps to have described the plugin. */
  const sweeps = async (count: number) => {
    const from = describes().shared;
    await waitFor(`${count} sweeps`, async () => describes().shared >= from + count, 60_000);
  };
  const members = (group: string) =>
    [...memory.instances.values()].filter((i) => i.tags[TAG_GROUP] === group).length;

  beforeAll(async () => {
    fake = await startFakePlugin('sim', (call) => {
      if (call.method === 'Handshake.Hello') return hello({ 'Instance/0.6.1': ['compute', 'disk'] });
      if (call.params.Type === 'disk' && call.method === 'Instance.DescribeInstances')
        return { result: { Type: 'disk', Descriptions: [] } };
      return memory.handle(call) ?? { error: `no ${call.method}` };
    });
    dir = await mkdtemp(join(tmpdir(), 'steady-describes-'));
    controller = await startInProcessController(
      dir,
      {
        tableName: 'steady',
        pluginsDir: fake.pluginsDir,
        // The watch describes by the controller's tag too; slowed down so that sweeps are counted.
        pluginWatchIntervalSeconds: 3_600,
      },
      (line) => printed.push(line),
    );
  }, 60_000);

  afterAll(async () => {
    await controller?.stop();
    await fake?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('costs one describe per plugin object per sweep, however many groups, also when a sweep finds news', async () => {
    for (const id of ids) await putPluginGroup(controller.url, id, 'sim/compute', SIZE);
    await waitFor('every group converged', async () => ids.every((id) => members(id) === SIZE), 60_000);
    // Sweeps that find nothing new: the passes of the convergence are over.
    await sweeps(3);
    const steady = describes();
    await sweeps(3);
    expect(describes().perGroup - steady.perGroup).toBe(0);

    // Half the groups are paused behind the controller's back (no request for a pass): the next
    // sweep plans each without acting, with a new summary worth a status line.
    const pause0 = describes();
    const lines0 = printed.length;
    for (const id of ids.slice(GROUPS / 2)) {
      const record = await controller.store.getGroup(id);
      if (!record) throw new Error(`${id} is gone`);
      await controller.store.putSpec(
        { ...record.spec, paused: true },
        { expectedVersion: record.version, now: Date.now() },
      );
    }
    await sweeps(4);
    // Not one group described alone: every status line came from its sweep's own observation.
    expect(describes().perGroup - pause0.perGroup).toBe(0);
    expect(ids.every((id) => members(id) === SIZE)).toBe(true);
    // …and each paused group did get its new status line.
    const news = printed.slice(lines0).join('\n');
    for (const id of ids.slice(GROUPS / 2)) expect(news).toMatch(new RegExp(`${id} .*paused`));
  }, 180_000);
});
