import { describe, expect, it } from 'vitest';
import type {
  AttachResult,
  InstanceDescription,
  InstanceOwner,
  ReleaseRequest,
  ReleaseResult,
} from '../../src/providers/types.js';
import { useDynalite } from '../helpers/dynalite.js';
import { FakeProvider } from '../helpers/fake-provider.js';
import { fakeSpec, newWorld } from './harness.js';

/**
 * The engine side of pets that keep state (architecture §5.2): a launch intent is done only once
 * the provider's `attach` says its instances hold what they keep; a pet group's termination only
 * once `release` is done; a destroy with `deleteVolumes` releases everything before the group goes.
 */

const server = useDynalite();

/** The fake provider, plus an `attach` and a `release` that answer as told and record their calls. */
class AttachingProvider extends FakeProvider {
  attachDone = false;
  releaseDone = true;
  readonly attachCalls: string[][] = [];
  readonly releaseCalls: ReleaseRequest[] = [];

  async attach(
    _p: Record<string, unknown>,
    instances: readonly InstanceDescription[],
    _owner: InstanceOwner,
  ): Promise<AttachResult> {
    this.attachCalls.push(instances.map((i) => i.id));
    return { done: this.attachDone, waiting: this.attachDone ? [] : ['volume still held elsewhere'] };
  }

  async release(
    _p: Record<string, unknown>,
    _owner: InstanceOwner,
    request: ReleaseRequest,
  ): Promise<ReleaseResult> {
    this.releaseCalls.push(request);
    return { done: this.releaseDone, released: [], waiting: this.releaseDone ? [] : ['still attached'] };
  }
}

async function world() {
  return newWorld(server(), (clock) => new AttachingProvider({ now: clock.now }));
}

describe('a launch intent covers the attachment of what a pet keeps', () => {
  it('stays open, pass after pass, until attach is done, and launches nothing twice meanwhile', async () => {
    const w = await world();
    await w.put(fakeSpec('zk', { logicalIds: ['zk1', 'zk2'] }));
    const engine = w.engine();
    expect(await engine.reconcileGroup('zk')).toMatchObject({ outcome: 'acted', launched: 2 });
    const launched = w.provider
      .ofGroup('zk')
      .map((i) => i.id)
      .sort();
    expect(w.provider.attachCalls.map((c) => [...c].sort())).toEqual([launched]);
    expect((await w.store.getGroup('zk'))?.state.openIntents).toHaveLength(1);
    const events = await w.store.listEvents('zk');
    expect(events.items.map((e) => e.kind)).toContain('attach-waiting');

    // Every later pass asks again, with the same instances, and launches nothing more.
    for (let pass = 0; pass < 2; pass++) {
      w.clock.advance(1_000);
      expect(await engine.reconcileGroup('zk')).toMatchObject({ launched: 0 });
    }
    expect(w.provider.attachCalls).toHaveLength(3);
    expect(w.provider.ofGroup('zk')).toHaveLength(2);
    expect((await w.store.getGroup('zk'))?.state.openIntents).toHaveLength(1);

    w.provider.attachDone = true;
    await engine.reconcileGroup('zk');
    expect((await w.store.getGroup('zk'))?.state.openIntents).toEqual([]);
    expect(w.provider.attachCalls.at(-1)?.sort()).toEqual(launched);
    w.provider.attachCalls.length = 0;
    // Done: a steady pass asks nothing.
    expect(await engine.reconcileGroup('zk')).toMatchObject({ outcome: 'steady' });
    expect(w.provider.attachCalls).toEqual([]);
    w.close();
  });

  it('a removed logical ID’s termination waits for release; a destroy releases all only with deleteVolumes', async () => {
    const w = await world();
    w.provider.attachDone = true;
    await w.put(fakeSpec('zk', { logicalIds: ['zk1', 'zk2'] }));
    const engine = w.engine();
    await engine.reconcileGroup('zk');
    w.provider.releaseDone = false;
    await w.put(fakeSpec('zk', { logicalIds: ['zk1'] }));
    await engine.reconcileGroup('zk');
    expect(w.provider.releaseCalls.at(-1)).toEqual({ keep: ['zk1'] });
    expect((await w.store.getGroup('zk'))?.state.openIntents).toHaveLength(1);
    w.provider.releaseDone = true;
    w.clock.advance(1_000);
    await engine.reconcileGroup('zk');
    expect((await w.store.getGroup('zk'))?.state.openIntents).toEqual([]);

    // A plain destroy never releases; one with deleteVolumes releases all before the group goes.
    w.provider.releaseCalls.length = 0;
    await w.store.markDestroying('zk', w.clock.now());
    for (let pass = 0; pass < 4; pass++) {
      w.clock.advance(1_000);
      await engine.reconcileGroup('zk');
    }
    expect(await w.store.getGroup('zk')).toBeUndefined();
    expect(w.provider.releaseCalls).toEqual([]);

    await w.put(fakeSpec('db', { logicalIds: ['db1'] }));
    await engine.reconcileGroup('db');
    w.provider.releaseDone = false;
    await w.store.markDestroying('db', w.clock.now(), undefined, { deleteVolumes: true });
    for (let pass = 0; pass < 4; pass++) {
      w.clock.advance(1_000);
      await engine.reconcileGroup('db');
    }
    // Not released yet: the group stays, destroying, and says why.
    expect((await w.store.getGroup('db'))?.lifecycle).toBe('destroying');
    expect(w.provider.releaseCalls.at(-1)).toEqual({ keep: [], all: true });
    w.provider.releaseDone = true;
    w.clock.advance(1_000);
    expect(await engine.reconcileGroup('db')).toMatchObject({ outcome: 'removed' });
    w.close();
  });
});
