import { afterEach, describe, expect, it } from 'vitest';
import { changedGroups, membershipOf, startPluginWatch } from '../../src/local/plugin-watch.js';
import { InfrakitPlugins, InfrakitProvider } from '../../src/providers/infrakit/index.js';
import type { InstanceDescription } from '../../src/providers/types.js';
import { TAG_CONFIG_HASH, TAG_CONTROLLER, TAG_GROUP, TAG_INTENT } from '../../src/tags.js';
import { type FakePlugin, hello, memoryInstances, startFakePlugin } from '../helpers/fake-infrakit-plugin.js';

const INSTANCE = 'Instance/0.6.1';

function instance(id: string, group?: string): InstanceDescription {
  return {
    id,
    state: 'running',
    tags: group === undefined ? {} : { [TAG_GROUP]: group },
    launchedAt: 0,
    health: { status: 'unknown' },
  };
}

describe('membership changes (pure)', () => {
  it('names the groups that lost, gained or swapped a member, and no other', () => {
    const before = membershipOf([
      instance('a', 'web'),
      instance('b', 'web'),
      instance('c', 'db'),
      instance('x'),
    ]);
    expect(changedGroups(before, before)).toEqual([]);
    const lost = membershipOf([instance('a', 'web'), instance('c', 'db')]);
    expect(changedGroups(before, lost)).toEqual(['web']);
    const swapped = membershipOf([instance('a', 'web'), instance('d', 'web'), instance('c', 'db')]);
    expect(changedGroups(before, swapped)).toEqual(['web']);
    const gone = membershipOf([instance('a', 'web'), instance('b', 'web')]);
    expect(changedGroups(before, gone)).toEqual(['db']);
    // The controller's own launches and terminations are not news.
    const own = (id: string) => (id === 'b' ? 'destroyed' : id === 'd' ? 'provisioned' : undefined);
    expect(changedGroups(before, swapped, own)).toEqual([]);
    expect(changedGroups(before, lost, own)).toEqual([]);
    expect(changedGroups(before, gone, own)).toEqual(['db']);
    // Launched by the controller, then gone without it: news.
    expect(changedGroups(swapped, lost, own)).toEqual(['web']);
    const added = membershipOf([
      ...[instance('a', 'web'), instance('b', 'web'), instance('c', 'db')],
      instance('e', 'new'),
    ]);
    expect(changedGroups(before, added)).toEqual(['new']);
  });
});

describe('the plugin watch', () => {
  let fake: FakePlugin | undefined;
  afterEach(async () => {
    await fake?.stop();
    fake = undefined;
  });

  it('asks only the objects holding instances, reports a member destroyed behind its back, and is quiet otherwise', async () => {
    const memory = memoryInstances();
    fake = await startFakePlugin('sim', (call) => {
      if (call.method === 'Handshake.Hello') return hello({ [INSTANCE]: ['compute', 'disk'] });
      // `disk` never holds anything; `compute` is the memory.
      if (call.params.Type === 'disk' && call.method === 'Instance.DescribeInstances')
        return { result: { Type: 'disk', Descriptions: [] } };
      return memory.handle(call) ?? { error: `no ${call.method}` };
    });
    const plugins = new InfrakitPlugins({ pluginsDir: fake.pluginsDir, callTimeoutMs: 1_000 });
    const provider = new InfrakitProvider({ objects: ['sim/compute', 'sim/disk'], plugins });
    const watchNothing = provider.holdingObjects();
    expect(watchNothing).toEqual([]);

    const props = provider.validate({ plugin: 'sim/compute', properties: {} });
    const tags = (group: string) => ({
      [TAG_CONTROLLER]: 'ctl',
      [TAG_GROUP]: group,
      [TAG_CONFIG_HASH]: 'h',
      [TAG_INTENT]: 't',
    });
    const { launched } = await provider.provision(props, [
      { token: 't', tags: tags('web') },
      { token: 't', tags: tags('web') },
      { token: 't', tags: tags('db') },
    ]);
    // Another controller's instance in the same plugin is not this watch's business.
    memory.instances.set('foreign', {
      tags: { [TAG_CONTROLLER]: 'other', [TAG_GROUP]: 'web' },
      logicalId: null,
    });
    expect(provider.holdingObjects()).toEqual(['sim/compute']);

    const { watch, changes, errors } = recordingWatch(provider);
    try {
      // The watch's looks: by the controller's tag alone (the provider's own describes name a group).
      const looks = () =>
        fake?.calls.filter(
          (c) =>
            c.method === 'Instance.DescribeInstances' &&
            JSON.stringify(c.params.Tags) === JSON.stringify({ [TAG_CONTROLLER]: 'ctl' }),
        ) ?? [];
      await until(() => looks().length >= 3);
      // Its own launch and termination are not reported.
      const [, second] = await Promise.all([
        provider.destroy([launched[2]?.id as string], { controllerId: 'ctl', groupId: 'db' }, 'scale-down'),
        provider.provision(props, [{ token: 't2', tags: tags('web') }]),
      ]);
      expect(second.launched).toHaveLength(1);
      const afterOwn = looks().length;
      await until(() => looks().length >= afterOwn + 3);
      expect(changes).toEqual([]);

      memory.instances.delete(launched[0]?.id as string);
      memory.instances.delete('foreign');
      await until(() => changes.length > 0);
      const seen = looks().length;
      await until(() => looks().length >= seen + 3);
      expect(changes).toEqual([['web']]);
      expect(errors).toEqual([]);
      // Every look asked `compute` alone.
      expect(new Set(looks().map((c) => c.params.Type))).toEqual(new Set(['compute']));
    } finally {
      await watch.stop();
    }
    const after = fake.calls.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.calls.length).toBe(after);
  });

  it('reports a failed look and learns afresh after it, so a plugin coming back is not a change', async () => {
    const memory = memoryInstances();
    let down = false;
    fake = await startFakePlugin('sim', (call) => {
      if (call.method === 'Handshake.Hello') return hello({ [INSTANCE]: ['compute'] });
      if (down && call.method === 'Instance.DescribeInstances') return { error: 'backend down' };
      return memory.handle(call) ?? { error: `no ${call.method}` };
    });
    const plugins = new InfrakitPlugins({ pluginsDir: fake.pluginsDir, callTimeoutMs: 1_000 });
    const provider = new InfrakitProvider({ objects: ['sim/compute'], plugins });
    const props = provider.validate({ plugin: 'sim/compute', properties: {} });
    await provider.provision(props, [
      {
        token: 't',
        tags: { [TAG_CONTROLLER]: 'ctl', [TAG_GROUP]: 'web', [TAG_CONFIG_HASH]: 'h', [TAG_INTENT]: 't' },
      },
    ]);
    const { watch, changes, errors } = recordingWatch(provider);
    try {
      const looks = () => fake?.calls.filter((c) => c.method === 'Instance.DescribeInstances').length ?? 0;
      await until(() => looks() >= 2);
      down = true;
      await until(() => errors.length >= 2);
      down = false;
      const seen = looks();
      await until(() => looks() >= seen + 3);
      expect(changes).toEqual([]);
      expect(String(errors[0])).toMatch(/backend down/);
    } finally {
      await watch.stop();
    }
  });
});

/** A watch every 30 ms of `provider` for controller `ctl`, recording what it reports. */
function recordingWatch(provider: InfrakitProvider) {
  const changes: string[][] = [];
  const errors: unknown[] = [];
  const watch = startPluginWatch({
    provider,
    controllerId: 'ctl',
    intervalMs: 30,
    onChange: (groups) => changes.push([...groups]),
    onError: (err) => errors.push(err),
  });
  return { watch, changes, errors };
}

async function until(ready: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
