import { describe, expect, it } from 'vitest';
import type { DescribeSelector, InstanceDescription } from '../../src/providers/types.js';
import { engineContext } from '../../src/reconcile/context.js';
import { groupPlaces } from '../../src/reconcile/places.js';
import type { GroupStore } from '../../src/store/types.js';
import { useDynalite } from '../helpers/dynalite.js';
import { FakeProvider, TEST_CONTROLLER_ID } from '../helpers/fake-provider.js';
import { fakeSpec, newWorld, settle } from './harness.js';

/**
 * A provider made of places that fail on their own (as InfraKit's plugin objects): a group is
 * observed in the places its spec versions named, and a place down blocks only its groups.
 */

const server = useDynalite();

/** The fake provider, with the `place` property of a spec as its place; `down` places fail. */
class PlacedProvider extends FakeProvider {
  readonly down = new Set<string>();
  readonly asked: (readonly string[] | undefined)[] = [];

  placeOf(properties: Record<string, unknown>): string {
    return String(properties.place ?? 'a');
  }

  override async describe(selector: DescribeSelector): Promise<readonly InstanceDescription[]> {
    this.asked.push(selector.places);
    const failing = (selector.places ?? ['a', 'b']).find((p) => this.down.has(p));
    if (failing) throw new Error(`place ${failing} is down`);
    return super.describe(selector);
  }
}

const onPlace = (id: string, place: string, size = 1) =>
  fakeSpec(id, { size }, { instance: { provider: 'fake', properties: { place } } });

describe('groups observed in their own places', () => {
  it('names every place of every spec version, reading the history once and then only new versions', async () => {
    const w = await newWorld(server());
    await w.put(onPlace('web', 'a'));
    await w.put(onPlace('web', 'b'));
    let versionReads = 0;
    const counted: GroupStore = new Proxy(w.store, {
      get(target, key, receiver) {
        if (key === 'listVersions') versionReads += 1;
        return Reflect.get(target, key, receiver);
      },
    });
    const provider = new PlacedProvider({ now: w.clock.now });
    const ctx = engineContext({
      store: counted,
      providers: new Map([['fake', provider]]),
      flavors: new Map(),
      owner: 'test',
      controllerId: TEST_CONTROLLER_ID,
    });
    const web = async () => {
      const record = await w.store.getGroup('web');
      if (!record) throw new Error('web is gone');
      return record;
    };
    const read = async () => groupPlaces(ctx, await web(), provider);
    expect(await read()).toEqual(['a', 'b']);
    expect(await read()).toEqual(['a', 'b']);
    expect(versionReads).toBe(1);
    // Back to `a`: `b` may still hold old members, so it stays.
    await w.put(onPlace('web', 'a', 2));
    expect(await read()).toEqual(['a', 'b']);
    expect(versionReads).toBe(2);
    // A provider without places has none to name.
    expect(await groupPlaces(ctx, await web(), new FakeProvider())).toBe(undefined);
    w.close();
  });

  it('a sweep reads each place once, and a place down blocks only the groups that named it', async () => {
    const w = await newWorld(server(), (clock) => new PlacedProvider({ now: clock.now }));
    await w.put(onPlace('on-a', 'a'));
    await w.put(onPlace('on-b', 'b'));
    await w.put(onPlace('moved', 'b'));
    await w.put(onPlace('moved', 'a'));
    const engine = w.engine();
    await settle(engine, w.clock);
    w.provider.asked.length = 0;
    await engine.sweep();
    expect(w.provider.asked).toEqual(expect.arrayContaining([['a'], ['b']]));
    expect(w.provider.asked).toHaveLength(2);

    w.provider.down.add('b');
    const launchesBefore = w.provider.calls.provision.length;
    const destroysBefore = w.provider.calls.destroy.length;
    const report = await engine.sweep();
    const outcome = new Map(report.results.map((r) => [r.groupId, r]));
    expect(outcome.get('on-a')?.outcome).toBe('steady');
    expect(outcome.get('on-b')?.outcome).toBe('observe-failed');
    expect(outcome.get('on-b')?.error).toMatch(/place b is down/);
    // `moved` names `a` now, but its first version named `b`.
    expect(outcome.get('moved')?.outcome).toBe('observe-failed');

    // The group on the place that answers still heals.
    const member = (await w.provider.describe({ tags: { 'infrakit.group': 'on-a' }, places: ['a'] }))[0];
    w.provider.instances.delete(member?.id as string);
    const healed = await engine.reconcileGroup('on-a');
    expect(healed.outcome).toBe('acted');
    expect(w.provider.calls.provision.length).toBe(launchesBefore + 1);
    expect(w.provider.calls.destroy.length).toBe(destroysBefore);
    w.close();
  });
});
