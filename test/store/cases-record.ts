import { expect, it } from 'vitest';
import { intentOf, type StoreFixture, specOf } from './fixture.js';

const T0 = 1_800_000_000_000;
const TTL = 60_000;

/**
 * `recordState`: one lease-less conditional write of a lock-free pass's new state, refused in
 * every race where the pass's observation or plan may be out of date.
 */
export function recordCases(fx: StoreFixture): void {
  it('writes the state of an unchanged group in one write and bumps the revision', async () => {
    const { store } = await fx.table();
    const saved = await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    const before = { ...store.stats };
    const written = await store.recordState(
      'web',
      { version: saved.version, revision: 0 },
      { lastSummary: 'steady: 2/2 healthy', lastReconcileAt: T0 },
      T0,
    );
    expect(written).toBe(true);
    expect(store.stats.writes - before.writes).toBe(1);
    const record = await store.getGroup('web');
    expect(record?.state).toMatchObject({ lastSummary: 'steady: 2/2 healthy', revision: 1 });
    expect(record?.state.lease).toBeUndefined();
  });

  it("goes through once a crashed holder's lease has expired, and clears it", async () => {
    const { store } = await fx.table();
    const saved = await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    const lease = await store.acquireLease('web', 'crashed', TTL, T0);
    if (!lease) throw new Error('lease');
    const read = { version: saved.version, revision: 0 };
    expect(await store.recordState('web', read, { lastSummary: 'late' }, T0 + TTL - 1)).toBe(false);
    expect(await store.recordState('web', read, { lastSummary: 'late' }, T0 + TTL + 1)).toBe(true);
    const record = await store.getGroup('web');
    expect(record?.state.lastSummary).toBe('late');
    expect(record?.state.lease).toBeUndefined();
    // The crashed holder, were it to resume, is fenced off.
    await expect(store.updateState('web', lease, { lastSummary: 'zombie' })).rejects.toThrow();
  });

  it('refuses, writing nothing, while a lease is live, after a spec or state change, with an open intent, or when destroying', async () => {
    const { store } = await fx.table();
    const v1 = await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    const patch = { lastSummary: 'from a stale pass' };
    const attempt = (version: number, revision: number, now = T0) =>
      store.recordState('web', { version, revision }, patch, now);

    // A live lease: its holder may be acting right now. Once it expires, the write goes through.
    const lease = await store.acquireLease('web', 'holder', TTL, T0);
    if (!lease) throw new Error('lease');
    expect(await attempt(v1.version, 0, T0 + 1)).toBe(false);
    // The holder records state: the revision moves on, and the old read is refused.
    await store.updateState('web', lease, { lastSummary: 'by the holder' });
    await store.releaseLease('web', lease);
    expect(await attempt(v1.version, 0)).toBe(false);
    // A new spec version: the pass planned with the old one.
    const v2 = await store.putSpec(specOf('web', { allocation: { size: 3 } }), {
      expectedVersion: v1.version,
      now: T0,
    });
    expect(await attempt(v1.version, 1)).toBe(false);
    // An open intent: something may be under way.
    const held = await store.acquireLease('web', 'holder', TTL, T0);
    if (!held) throw new Error('lease');
    await store.putIntent(intentOf('web', 'open-one'), held);
    await store.releaseLease('web', held);
    const opened = (await store.getGroup('web'))?.state.revision ?? -1;
    expect(await attempt(v2.version, opened)).toBe(false);
    expect((await store.getGroup('web'))?.state.lastSummary).toBe('by the holder');

    // Being destroyed: the plan of an active group no longer holds.
    const { store: other } = await fx.table();
    const saved = await other.putSpec(specOf('db'), { createOnly: true, now: T0 });
    await other.markDestroying('db', T0);
    const after = await other.getGroup('db');
    expect(
      await other.recordState(
        'db',
        { version: saved.version, revision: after?.state.revision ?? 0 },
        patch,
        T0,
      ),
    ).toBe(false);
    // A deleted group is never re-created by it.
    expect(await other.recordState('nope', { version: 1, revision: 0 }, patch, T0)).toBe(false);
    expect(await other.getGroup('nope')).toBeUndefined();
  });

  it('of 8 racing lock-free passes and one lease holder, the holder always wins', async () => {
    const { store, peers } = await fx.table();
    const saved = await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    const read = { version: saved.version, revision: 0 };
    const [holderStore] = peers(1);
    if (!holderStore) throw new Error('peer');
    const results = await Promise.all([
      holderStore.acquireLease('web', 'holder', TTL, T0),
      ...peers(8).map((s, i) => s.recordState('web', read, { lastSummary: `pass ${i}` }, T0)),
    ]);
    const lease = results[0];
    const recorded = results.slice(1).filter((r) => r === true).length;
    // At most one lock-free write lands (they all read revision 0); the lease is taken either way.
    expect(recorded).toBeLessThanOrEqual(1);
    expect(lease).toBeDefined();
    expect((await store.getGroup('web'))?.state.revision).toBe(recorded);
  });
}
