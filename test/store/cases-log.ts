import { expect, it } from 'vitest';
import { SpecValidationError } from '../../src/errors.js';
import { expireItems } from '../../src/store/expire.js';
import type { GroupEvent, Intent } from '../../src/store/types.js';
import { rejectionOf, type StoreFixture, specOf } from './fixture.js';

const T0 = 1_800_000_000_000;

function eventAt(groupId: string, i: number): GroupEvent {
  return { groupId, at: T0 + i * 1000, level: 'info', kind: 'launch', message: `event ${i}`, data: { i } };
}

async function drain<T>(
  list: (cursor?: string) => Promise<{ items: readonly T[]; next?: string }>,
): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    pages.push([...page.items]);
    cursor = page.next;
  } while (cursor);
  return pages;
}

/** Group listing, request counting, the event log and the instance index. */
export function logCases(fx: StoreFixture): void {
  it('lists 120 groups in small pages, each exactly once, with reads only', async () => {
    const { store, peers } = await fx.table();
    const ids = Array.from({ length: 120 }, (_, i) => `g-${String(i).padStart(3, '0')}`);
    const writers = peers(4);
    await Promise.all(
      writers.map(async (w, k) => {
        for (const id of ids.filter((_, i) => i % writers.length === k)) {
          await w.putSpec(specOf(id), { createOnly: true, now: T0 });
        }
      }),
    );
    const before = { ...store.stats };
    const pages = await drain((cursor) => store.listGroups({ limit: 7, ...(cursor ? { cursor } : {}) }));
    const listed = pages.flat().map((g) => g.id);
    expect(listed.sort()).toStrictEqual(ids);
    expect(new Set(listed).size).toBe(120);
    expect(store.stats.writes - before.writes).toBe(0);
    expect(store.stats.reads - before.reads).toBe(pages.length);
    // Without a limit, one request returns every group (a 1 MB page holds them all).
    const all = await store.listGroups();
    expect(all.items).toHaveLength(120);
    expect(all.next).toBeUndefined();
  });

  it('counts requests exactly and never writes when only reading groups', async () => {
    const { store } = await fx.table();
    await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    // Create: the record, then its history item.
    expect(store.stats).toStrictEqual({ reads: 0, writes: 2 });
    await store.getGroup('web');
    await store.getGroup('absent');
    await store.listGroups();
    expect(store.stats).toStrictEqual({ reads: 3, writes: 2 });
    const lease = await store.acquireLease('web', 'a', 1000, T0);
    expect(lease).toBeDefined();
    expect(store.stats).toStrictEqual({ reads: 3, writes: 3 });
  });

  it('rejects cursors that this listing did not issue', async () => {
    const { store } = await fx.table();
    await store.appendEvents([eventAt('a', 1), eventAt('a', 2)]);
    const page = await store.listEvents('a', { limit: 1 });
    expect(page.next).toBeDefined();
    for (const cursor of ['garbage', Buffer.from('[1,2]').toString('base64url'), page.next ?? '']) {
      const err = await rejectionOf(store.listEvents('b', { cursor }));
      expect(err).toBeInstanceOf(SpecValidationError);
    }
    expect(await rejectionOf(store.listGroups({ cursor: page.next ?? '' }))).toBeInstanceOf(
      SpecValidationError,
    );
    expect(await rejectionOf(store.listGroups({ limit: 0 }))).toBeInstanceOf(SpecValidationError);
  });

  it('lists events newest first, in pages that cover each event exactly once', async () => {
    const { store } = await fx.table();
    const events = Array.from({ length: 23 }, (_, i) => eventAt('web', i));
    // Appended out of order, plus two in the same millisecond and another group's noise.
    await store.appendEvents([...events].reverse().slice(0, 10));
    await store.appendEvents([...events].reverse().slice(10));
    await store.appendEvents([{ ...eventAt('web', 22), message: 'same ms' }, eventAt('other', 99)]);
    const pages = await drain((cursor) =>
      store.listEvents('web', { limit: 5, ...(cursor ? { cursor } : {}) }),
    );
    const listed = pages.flat();
    expect(listed).toHaveLength(24);
    expect(listed.slice(2)).toStrictEqual([...events].reverse().slice(1));
    expect(
      listed
        .slice(0, 2)
        .map((e) => e.message)
        .sort(),
    ).toStrictEqual(['event 22', 'same ms']);
    expect(pages.every((p) => p.length <= 5)).toBe(true);
    expect((await store.listEvents('nobody')).items).toStrictEqual([]);
  });

  it('keeps at most maxEventsPerGroup events, the newest ones', async () => {
    const { store } = await fx.table({ maxEventsPerGroup: 10, pruneEvery: 1 });
    const events = Array.from({ length: 25 }, (_, i) => eventAt('web', i));
    for (let i = 0; i < events.length; i += 5) await store.appendEvents(events.slice(i, i + 5));
    await store.appendEvents([eventAt('other', 1)]);
    const { items } = await store.listEvents('web', { limit: 100 });
    expect(items).toStrictEqual(events.slice(15).reverse());
    expect((await store.listEvents('other')).items).toHaveLength(1);
  });

  it('maps instances to their group, first writer wins', async () => {
    const { store } = await fx.table();
    await store.indexInstances('web', ['i-1', 'i-2', 'i-1'], T0);
    await store.indexInstances('db', ['i-2', 'i-3'], T0);
    await store.indexInstances('web', ['i-1'], T0 + 1); // re-indexing (refreshing the TTL) is fine
    expect(await store.groupOfInstance('i-1')).toBe('web');
    expect(await store.groupOfInstance('i-2')).toBe('web');
    expect(await store.groupOfInstance('i-3')).toBe('db');
    expect(await store.groupOfInstance('i-404')).toBeUndefined();
  });

  it('expiring, as TTL would where the emulator has none, deletes only what has expired', async () => {
    const limits = { eventTtlSeconds: 100, instanceIndexTtlSeconds: 200, doneIntentTtlSeconds: 300 };
    const { store, tableName } = await fx.table(limits);
    await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    const lease = await store.acquireLease('web', 'a', 60_000, T0);
    if (!lease) throw new Error('no lease');
    const done: Intent = {
      groupId: 'web',
      token: 'tok-1',
      kind: 'launch',
      count: 1,
      reason: 'scale up',
      createdAt: T0,
    };
    const open: Intent = { ...done, token: 'tok-2', createdAt: T0 + 1 };
    await store.putIntent(done, lease);
    await store.putIntent(open, lease);
    await store.completeIntent(done, lease, T0);
    await store.appendEvents([eventAt('web', 0), eventAt('web', 1)]);
    await store.indexInstances('web', ['i-1'], T0);
    const raw = fx.rawClient();

    // Past the events' lifetime only.
    expect(await expireItems(raw, tableName, T0 + 150_000)).toBe(2);
    expect((await store.listEvents('web')).items).toStrictEqual([]);
    expect(await store.groupOfInstance('i-1')).toBe('web');
    // Past every lifetime: the index entry and the done intent go; the open intent, the spec, its
    // history and the group state never expire.
    expect(await expireItems(raw, tableName, T0 + 1_000_000)).toBe(2);
    expect(await store.groupOfInstance('i-1')).toBeUndefined();
    expect(await store.listOpenIntents('web')).toStrictEqual([open]);
    expect((await store.getGroup('web'))?.state.openIntents).toStrictEqual(['tok-2']);
    expect(await store.getVersion('web', 1)).toBeDefined();
    expect(await expireItems(raw, tableName, T0 + 1_000_000)).toBe(0);
  });
}
