import { expect, it } from 'vitest';
import { GroupNotFoundError, LeaseLostError } from '../../src/store/errors.js';
import type { Intent, LeaseState } from '../../src/store/types.js';
import { intentOf, rejectionOf, type StoreFixture, specOf } from './fixture.js';

const T0 = 1_800_000_000_000;
const TTL = 30_000;

/** Lease, fencing and reconcile state: one actor per group, proven with racing reconcilers. */
export function leaseCases(fx: StoreFixture): void {
  it('8 reconcilers acquire at once: exactly one gets the lease, the others get undefined', async () => {
    const { store, peers } = await fx.table();
    await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    const results = await Promise.all(peers(8).map((s, i) => s.acquireLease('web', `r${i}`, TTL, T0)));
    const holders = results.filter((l): l is LeaseState => l !== undefined);
    expect(holders).toHaveLength(1);
    expect((await store.getGroup('web'))?.state.lease).toStrictEqual(holders[0]);
  });

  it('a live lease is refused, an expired one is taken over once, and the old holder is fenced off', async () => {
    const { store, peers } = await fx.table();
    await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    const [a, b] = peers(2);
    if (!a || !b) throw new Error('peers');
    const old = await a.acquireLease('web', 'a', TTL, T0);
    if (!old) throw new Error('a should hold the lease');
    expect(await b.acquireLease('web', 'b', TTL, T0 + TTL - 1)).toBeUndefined();

    // After expiry, 8 reconcilers race for it: one takes it over.
    const later = T0 + TTL + 1;
    const takers = (
      await Promise.all(peers(8).map((s, i) => s.acquireLease('web', `t${i}`, TTL, later)))
    ).filter((l): l is LeaseState => l !== undefined);
    expect(takers).toHaveLength(1);
    const fresh = takers[0] as LeaseState;
    expect(fresh.token).not.toBe(old.token);

    // Every write of the stalled old holder now fails, and changes nothing.
    const before = await store.getGroup('web');
    const staleWrites = [
      () => a.updateState('web', old, { blocked: 'stale' }),
      () => a.putIntent(intentOf('web', 'stale-intent'), old),
      () => a.renewLease('web', old, TTL, later),
      () => a.releaseLease('web', old),
      () => a.completeIntent(intentOf('web', 'x'), old, later),
      () => a.updateIntent(intentOf('web', 'x'), { launchedIds: ['i-1'] }, old),
    ];
    for (const write of staleWrites) expect(await rejectionOf(write())).toBeInstanceOf(LeaseLostError);
    expect(await store.getGroup('web')).toStrictEqual(before);
    expect(await store.listOpenIntents('web')).toStrictEqual([]);
    // The new holder still can.
    await b.updateState('web', fresh, { blocked: 'new holder' });
    expect((await store.getGroup('web'))?.state.blocked).toBe('new holder');
  });

  it('renew pushes the expiry out; release lets the next reconciler in at once', async () => {
    const { store } = await fx.table();
    await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    const lease = await store.acquireLease('web', 'a', TTL, T0);
    if (!lease) throw new Error('no lease');
    const renewed = await store.renewLease('web', lease, TTL, T0 + 20_000);
    expect(renewed).toStrictEqual({ ...lease, expiresAt: T0 + 20_000 + TTL });
    expect(await store.acquireLease('web', 'b', TTL, T0 + TTL + 1)).toBeUndefined();
    await store.releaseLease('web', renewed);
    expect((await store.getGroup('web'))?.state.lease).toBeUndefined();
    expect(await store.acquireLease('web', 'b', TTL, T0 + 20_001)).toBeDefined();
  });

  it('acquiring a missing group is GroupNotFoundError and creates nothing', async () => {
    const { store } = await fx.table();
    expect(await rejectionOf(store.acquireLease('ghost', 'a', TTL, T0))).toBeInstanceOf(GroupNotFoundError);
    expect(await store.getGroup('ghost')).toBeUndefined();
    expect((await store.listGroups()).items).toStrictEqual([]);
  });

  it('state writes set and clear fields, bump the revision, and never touch the spec (nor spec writes the state)', async () => {
    const { store } = await fx.table();
    await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    const lease = await store.acquireLease('web', 'a', TTL, T0);
    if (!lease) throw new Error('no lease');
    await store.updateState('web', lease, {
      lastSummary: 'launch 2',
      blocked: 'too many unhealthy (3 of 5 > 40%)',
      lastReconcileAt: T0 + 1,
      nextCheckAt: T0 + 60_000,
      openIntents: ['t1', 't2'],
      healthSince: { 'i-1': { health: 'unhealthy', since: T0 } },
    });
    await store.markRetiring('web', 'i-2', T0 + 120_000);
    await store.markLifecycleDone('web', 'i-3', 'abandon');
    await store.putSpec(specOf('web', { allocation: { size: 5 } }), { expectedVersion: 1, now: T0 + 2 });
    let group = await store.getGroup('web');
    expect(group?.version).toBe(2);
    expect(group?.state).toStrictEqual({
      lease,
      revision: 1,
      lastSummary: 'launch 2',
      blocked: 'too many unhealthy (3 of 5 > 40%)',
      lastReconcileAt: T0 + 1,
      nextCheckAt: T0 + 60_000,
      openIntents: ['t1', 't2'],
      healthSince: { 'i-1': { health: 'unhealthy', since: T0 } },
      retiring: { 'i-2': T0 + 120_000 },
      lifecycleDone: { 'i-3': 'abandon' },
    });
    await store.updateState('web', lease, { blocked: undefined, nextCheckAt: undefined, openIntents: [] });
    group = await store.getGroup('web');
    expect(group?.spec.allocation.size).toBe(5);
    expect(group?.state.revision).toBe(2);
    expect(group?.state.blocked).toBeUndefined();
    expect(group?.state.nextCheckAt).toBeUndefined();
    expect(group?.state.openIntents).toStrictEqual([]);
    expect(group?.state.lastSummary).toBe('launch 2');
  });

  it('lifecycle completions merge without the lease; a holder removes only the ones it read; a missing group is an error', async () => {
    const { store, peers } = await fx.table();
    await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    await Promise.all(
      peers(4).map((s, i) => s.markLifecycleDone('web', `i-${i}`, i === 0 ? 'abandon' : 'continue')),
    );
    const lease = await store.acquireLease('web', 'a', TTL, T0);
    if (!lease) throw new Error('no lease');
    // A second answer for i-1 arrives during the pass: the holder removes what it read, not that.
    await store.markLifecycleDone('web', 'i-1', 'abandon');
    await store.updateState('web', lease, { lifecycleDoneRemove: { 'i-0': 'abandon', 'i-1': 'continue' } });
    expect((await store.getGroup('web'))?.state.lifecycleDone).toStrictEqual({
      'i-1': 'abandon',
      'i-2': 'continue',
      'i-3': 'continue',
    });
    expect(await rejectionOf(store.markLifecycleDone('ghost', 'i-1', 'continue'))).toBeInstanceOf(
      GroupNotFoundError,
    );
  });

  it('a terminate intent keeps its drain deadlines and records when its drain started', async () => {
    const { store } = await fx.table();
    await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    const lease = await store.acquireLease('web', 'a', TTL, T0);
    if (!lease) throw new Error('no lease');
    const { count: _count, configHash: _hash, ...base } = intentOf('web', 'drain');
    const intent = {
      ...base,
      kind: 'terminate' as const,
      ids: ['i-1'],
      drain: { targetsUntil: T0 + 300_000, hookUntil: T0 + 60_000 },
    };
    await store.putIntent(intent, lease);
    await store.updateIntent(intent, { drainingSince: T0 + 5 }, lease);
    expect(await store.listOpenIntents('web')).toStrictEqual([{ ...intent, drainingSince: T0 + 5 }]);
  });

  it('retiring marks from concurrent event handlers merge, without the lease; a missing group is an error', async () => {
    const { store, peers } = await fx.table();
    await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    await Promise.all(peers(5).map((s, i) => s.markRetiring('web', `i-0abc.${i}`, T0 + i)));
    const { retiring } = (await store.getGroup('web'))?.state ?? {};
    expect(retiring).toStrictEqual({
      'i-0abc.0': T0,
      'i-0abc.1': T0 + 1,
      'i-0abc.2': T0 + 2,
      'i-0abc.3': T0 + 3,
      'i-0abc.4': T0 + 4,
    });
    expect(await rejectionOf(store.markRetiring('ghost', 'i-1', T0))).toBeInstanceOf(GroupNotFoundError);
    expect(await store.getGroup('ghost')).toBeUndefined();
  });

  it('a holder removes only the retiring marks it prunes: a mark merged during its pass survives', async () => {
    // Prepare: the holder read i-1 as retiring; an events handler marks i-2 while the pass runs.
    const { store } = await fx.table();
    await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    await store.markRetiring('web', 'i-1', T0 + 1);
    const lease = await store.acquireLease('web', 'a', TTL, T0);
    if (!lease) throw new Error('no lease');
    await store.markRetiring('web', 'i-2', T0 + 2);
    // Act: i-1 is gone, so the holder prunes it.
    await store.updateState('web', lease, { lastSummary: 'replaced i-1', retiringRemove: ['i-1', 'i-9'] });
    // Assess
    expect((await store.getGroup('web'))?.state.retiring).toStrictEqual({ 'i-2': T0 + 2 });
  });

  it('intents: recorded under the lease, progress kept, done ones leave the open list and the token set', async () => {
    const { store } = await fx.table();
    await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    const lease = await store.acquireLease('web', 'a', TTL, T0);
    if (!lease) throw new Error('no lease');
    const launch: Intent = { ...intentOf('web', 'tok-1'), logicalIds: ['zk1'] };
    const terminate: Intent = {
      groupId: 'web',
      token: 'tok-2',
      kind: 'terminate',
      ids: ['i-9'],
      reason: 'scale down',
      createdAt: T0 + 1,
    };
    await store.putIntent(launch, lease);
    await store.putIntent(terminate, lease);
    await store.putIntent(launch, lease); // a retry changes nothing
    expect((await store.getGroup('web'))?.state.openIntents).toStrictEqual(['tok-1', 'tok-2']);
    expect(await store.listOpenIntents('web')).toStrictEqual([launch, terminate]);

    await store.updateIntent(launch, { launchedIds: ['i-1'] }, lease);
    expect((await store.listOpenIntents('web'))[0]).toStrictEqual({ ...launch, launchedIds: ['i-1'] });

    await store.completeIntent(launch, lease, T0 + 5);
    expect(await store.listOpenIntents('web')).toStrictEqual([terminate]);
    expect((await store.getGroup('web'))?.state.openIntents).toStrictEqual(['tok-2']);
    // Progress on a finished intent is ignored.
    await store.updateIntent(launch, { launchedIds: ['i-1', 'i-2'] }, lease);
    expect(await store.listOpenIntents('web')).toStrictEqual([terminate]);
  });

  it('a token left without an intent item (crash inside putIntent) is tolerated and cleaned by completeIntent', async () => {
    const { store } = await fx.table();
    await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    const lease = await store.acquireLease('web', 'a', TTL, T0);
    if (!lease) throw new Error('no lease');
    await store.updateState('web', lease, { openIntents: ['orphan'] });
    expect(await store.listOpenIntents('web')).toStrictEqual([]);
    await store.completeIntent(intentOf('web', 'orphan'), lease, T0 + 1);
    expect((await store.getGroup('web'))?.state.openIntents).toStrictEqual([]);
    expect(await store.listOpenIntents('web')).toStrictEqual([]);
  });
}
