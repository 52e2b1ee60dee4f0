import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import {
  GroupDestroyingError,
  GroupExistsError,
  GroupNotFoundError,
  VersionConflictError,
} from '../../src/store/errors.js';
import { rejectionOf, type StoreFixture, settle, specOf } from './fixture.js';

const T0 = 1_800_000_000_000;

/** Specs, versions and history: optimistic concurrency proven with racing writers. */
export function specCases(fx: StoreFixture): void {
  it('stores a spec and reads it back exactly, with version 1, a quoted etag and fresh state', async () => {
    const { store } = await fx.table();
    const spec = specOf('web', {
      allocation: { logicalIds: ['10.0.0.5', 'zk-2'] },
      flavor: { kind: 'vanilla', properties: { init: ['echo "héllo ✓"'], tags: { team: 'a' } } },
      paused: true,
    });
    const stored = await store.putSpec(spec, { createOnly: true, now: T0 });
    expect(stored).toMatchObject({ version: 1, updatedAt: T0 });
    expect(stored.etag).toMatch(/^"1-[0-9a-f]{12}"$/);
    const group = await store.getGroup('web');
    expect(group?.spec).toStrictEqual(spec);
    expect(group).toMatchObject({ id: 'web', version: 1, etag: stored.etag, lifecycle: 'active' });
    expect(group?.state).toStrictEqual({
      revision: 0,
      openIntents: [],
      healthSince: {},
      retiring: {},
      lifecycleDone: {},
    });
    expect(await store.getGroup('nope')).toBeUndefined();
  });

  it('two writers at the same expected version: exactly one wins, the other learns the current version', async () => {
    const { store, peers } = await fx.table();
    await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    const racers = peers(6);
    const results = await Promise.allSettled(
      racers.map((s, i) =>
        s.putSpec(specOf('web', { allocation: { size: 10 + i } }), { expectedVersion: 1, now: T0 + i }),
      ),
    );
    const { won, lost } = settle(results);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(5);
    for (const err of lost) {
      expect(err).toBeInstanceOf(VersionConflictError);
      expect((err as VersionConflictError).currentVersion).toBe(2);
    }
    const group = await store.getGroup('web');
    expect(group?.etag).toBe(won[0]?.etag);
    expect(group?.spec).toStrictEqual(won[0]?.spec);
    // The history holds the winner's spec, and only it, for version 2.
    expect((await store.getVersion('web', 2))?.spec).toStrictEqual(won[0]?.spec);
  });

  it('create-only twice (and racing creators): one creates, the others get GroupExistsError', async () => {
    const { store, peers } = await fx.table();
    const { won, lost } = settle(
      await Promise.allSettled(peers(5).map((s) => s.putSpec(specOf('db'), { createOnly: true, now: T0 }))),
    );
    expect(won).toHaveLength(1);
    expect(lost.every((e) => e instanceof GroupExistsError)).toBe(true);
    expect(await rejectionOf(store.putSpec(specOf('db'), { createOnly: true, now: T0 }))).toBeInstanceOf(
      GroupExistsError,
    );
    const conflict = await rejectionOf(store.putSpec(specOf('db'), { expectedVersion: 0, now: T0 }));
    expect(conflict).toBeInstanceOf(VersionConflictError);
    expect((conflict as VersionConflictError).currentVersion).toBe(1);
  });

  it('a stale or absent expected version is a conflict carrying the stored version (0 when missing)', async () => {
    const { store } = await fx.table();
    await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    await store.putSpec(specOf('web', { allocation: { size: 3 } }), { expectedVersion: 1, now: T0 + 1 });
    const stale = await rejectionOf(store.putSpec(specOf('web'), { expectedVersion: 1, now: T0 + 2 }));
    expect((stale as VersionConflictError).currentVersion).toBe(2);
    const missing = await rejectionOf(store.putSpec(specOf('ghost'), { expectedVersion: 4, now: T0 }));
    expect((missing as VersionConflictError).currentVersion).toBe(0);
    expect(await store.getGroup('ghost')).toBeUndefined();
  });

  it('writes without a precondition never reuse a version: 5 racing upserts give versions 1..5', async () => {
    const { store, peers } = await fx.table();
    const results = await Promise.all(
      peers(5).map((s, i) => s.putSpec(specOf('web', { allocation: { size: i } }), { now: T0 + i })),
    );
    expect(results.map((r) => r.version).sort()).toStrictEqual([1, 2, 3, 4, 5]);
    const history = await store.listVersions('web');
    expect(history.items.map((v) => v.version)).toStrictEqual([5, 4, 3, 2, 1]);
    for (const r of results) expect((await store.getVersion('web', r.version))?.spec).toStrictEqual(r.spec);
  });

  it('lists history newest first in pages and gets single versions', async () => {
    const { store } = await fx.table();
    for (let v = 1; v <= 7; v++) {
      await store.putSpec(specOf('web', { allocation: { size: v } }), {
        expectedVersion: v - 1,
        now: T0 + v,
      });
    }
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listVersions('web', { limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((v) => v.version));
      cursor = page.next;
    } while (cursor);
    expect(seen).toStrictEqual([7, 6, 5, 4, 3, 2, 1]);
    const v3 = await store.getVersion('web', 3);
    expect(v3?.spec.allocation.size).toBe(3);
    expect(v3?.updatedAt).toBe(T0 + 3);
    expect(await store.getVersion('web', 8)).toBeUndefined();
    expect(await store.getVersion('web', 0)).toBeUndefined();
    expect(await store.getVersion('ghost', 1)).toBeUndefined();
  });

  it('a crash between the record and its history loses no version: readers fall back, the next put repairs', async () => {
    const { store, tableName } = await fx.table();
    await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    // The commit of version 2 as putSpec writes it, then the process dies before the history put.
    const v2 = specOf('web', { allocation: { size: 9 } });
    await fx.rawClient().send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: { S: 'GROUPS' }, sk: { S: 'web' } },
        UpdateExpression: 'SET #spec = :spec, #version = :v, #etag = :etag',
        ExpressionAttributeNames: { '#spec': 'spec', '#version': 'version', '#etag': 'etag' },
        ExpressionAttributeValues: {
          ':spec': { S: JSON.stringify(v2) },
          ':v': { N: '2' },
          ':etag': { S: '"2-x"' },
        },
      }),
    );
    expect((await store.listVersions('web')).items.map((v) => v.version)).toStrictEqual([2, 1]);
    expect((await store.getVersion('web', 2))?.spec).toStrictEqual(v2);
    await store.putSpec(specOf('web', { allocation: { size: 4 } }), { expectedVersion: 2, now: T0 + 3 });
    const versions = (await store.listVersions('web')).items;
    expect(versions.map((v) => v.spec.allocation.size)).toStrictEqual([4, 9, 2]);
  });

  it('markDestroying at a version: a spec written after the check is not destroyed unseen', async () => {
    const { store } = await fx.table();
    await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    // A writer lands between the caller's check (version 1) and its mark.
    await store.putSpec(specOf('web', { allocation: { size: 7 } }), { expectedVersion: 1, now: T0 + 1 });
    const stale = await rejectionOf(store.markDestroying('web', T0 + 2, 1));
    expect(stale).toBeInstanceOf(VersionConflictError);
    expect((stale as VersionConflictError).currentVersion).toBe(2);
    expect((await store.getGroup('web'))?.lifecycle).toBe('active');
    await store.markDestroying('web', T0 + 3, 2);
    await store.markDestroying('web', T0 + 4, 2); // idempotent
    expect(await store.getGroup('web')).toMatchObject({ lifecycle: 'destroying', version: 2 });
    expect(await rejectionOf(store.markDestroying('ghost', T0, 1))).toBeInstanceOf(GroupNotFoundError);
  });

  it('a spec write racing markDestroying at the same version: exactly one of them happens', async () => {
    const { store, peers } = await fx.table();
    for (let round = 0; round < 6; round++) {
      const id = `race-${round}`;
      await store.putSpec(specOf(id), { createOnly: true, now: T0 });
      const [writer, destroyer] = peers(2) as [typeof store, typeof store];
      const put = writer.putSpec(specOf(id, { allocation: { size: 9 } }), {
        expectedVersion: 1,
        now: T0 + 1,
      });
      const mark = destroyer.markDestroying(id, T0 + 1, 1);
      const [putResult, markResult] = await Promise.allSettled([put, mark]);
      const group = await store.getGroup(id);
      if (putResult.status === 'fulfilled') {
        expect(markResult.status, id).toBe('rejected');
        expect((markResult as PromiseRejectedResult).reason).toBeInstanceOf(VersionConflictError);
        expect(group).toMatchObject({ lifecycle: 'active', version: 2 });
        expect(group?.spec.allocation.size).toBe(9);
      } else {
        expect(markResult.status, id).toBe('fulfilled');
        expect(putResult.reason).toBeInstanceOf(GroupDestroyingError);
        expect(group).toMatchObject({ lifecycle: 'destroying', version: 1 });
        expect(group?.spec.allocation.size).toBe(2);
      }
    }
  });

  it('a group being destroyed keeps its spec: putSpec fails with GroupDestroyingError', async () => {
    const { store } = await fx.table();
    await store.putSpec(specOf('web'), { createOnly: true, now: T0 });
    await store.markDestroying('web', T0 + 1);
    for (const options of [{ expectedVersion: 1 }, {}, { expectedVersion: 0 }]) {
      const err = await rejectionOf(
        store.putSpec(specOf('web', { allocation: { size: 5 } }), { ...options, now: T0 + 2 }),
      );
      expect(err, JSON.stringify(options)).toBeInstanceOf(GroupDestroyingError);
    }
    expect(await rejectionOf(store.putSpec(specOf('web'), { createOnly: true, now: T0 + 2 }))).toBeInstanceOf(
      GroupExistsError,
    );
    expect(await store.getGroup('web')).toMatchObject({ lifecycle: 'destroying', version: 1 });
    expect((await store.listVersions('web')).items.map((v) => v.version)).toEqual([1]);
  });

  it('a deleted and re-created group starts a new history; old versions no longer show', async () => {
    const { store } = await fx.table();
    for (let v = 1; v <= 3; v++) {
      await store.putSpec(specOf('web', { allocation: { size: v } }), {
        expectedVersion: v - 1,
        now: T0 + v,
      });
    }
    await store.markDestroying('web', T0 + 10);
    expect((await store.getGroup('web'))?.lifecycle).toBe('destroying');
    expect(await rejectionOf(store.deleteGroup('web', 2))).toBeInstanceOf(VersionConflictError);
    await store.deleteGroup('web', 3);
    expect(await store.getGroup('web')).toBeUndefined();
    expect(await rejectionOf(store.deleteGroup('web', 3))).toBeInstanceOf(GroupNotFoundError);
    expect(await rejectionOf(store.markDestroying('web', T0))).toBeInstanceOf(GroupNotFoundError);
    expect(await store.getGroup('web')).toBeUndefined();

    const fresh = specOf('web', { allocation: { size: 42 } });
    await store.putSpec(fresh, { createOnly: true, now: T0 + 20 });
    expect((await store.getGroup('web'))?.lifecycle).toBe('active');
    const history = await store.listVersions('web');
    expect(history.items.map((v) => [v.version, v.spec.allocation.size])).toStrictEqual([[1, 42]]);
    expect(await store.getVersion('web', 2)).toBeUndefined();
  });
}
