import { DeleteItemCommand, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { GroupSpec } from '../spec/schema.js';
import { ATTR, etagOf, groupFromItem, type Item, storedSpecFromItem } from './codec.js';
import { atVersion, historyWritable, itemAbsent, itemExists, notDestroying } from './conditions.js';
import { isConditionFailed, type StoreContext } from './context.js';
import {
  GroupDestroyingError,
  GroupExistsError,
  GroupNotFoundError,
  VersionConflictError,
} from './errors.js';
import { all, Expr, num, str, UpdateBuilder } from './expr.js';
import { decodeCursor, GROUPS_PARTITION, groupKey, versionKey } from './keys.js';
import { queryPage } from './query.js';
import { TABLE_KEY } from './table.js';
import type { DestroyOptions, GroupRecord, Page, StoredSpec } from './types.js';
import { putItemIf, updateGroupRecord } from './write.js';

/**
 * Specs: the group record's spec attributes and the immutable history.
 *
 * Write order of `putSpec`: the group record first, then the history item.
 * - The record update is the commit point: it is conditional on the version the writer read, so of
 *   two racing writers exactly one moves the group on; the loser gets VersionConflictError.
 * - History is written only by the winner, after the commit, so an orphan (a history item for a
 *   version that never became current) cannot exist. Writing history first could not work without
 *   transactions: a loser's orphan would block, or be overwritten under, the winner's entry.
 * - A crash between the two leaves the current version without a history item. Readers fall back
 *   to the record for the current version, and the next putSpec rewrites the previous version's
 *   history from the record it replaced (ReturnValues ALL_OLD), so no version is ever lost. That
 *   repair write nearly always fails its condition harmlessly; spec changes are rare.
 * - Group ids can be reused after delete. History items carry the incarnation's `createdAt`; a new
 *   incarnation may overwrite an older incarnation's items, never the reverse, and readers ignore
 *   items of other incarnations.
 */

const UPSERT_ATTEMPTS = 5;

/** The version and lifecycle now stored; version 0 when the group does not exist (consistent: it feeds a decision). */
async function currentMark(ctx: StoreContext, id: string): Promise<{ version: number; destroying: boolean }> {
  const e = new Expr();
  const { Item: item } = await ctx.read((c) =>
    c.send(
      new GetItemCommand({
        TableName: ctx.tableName,
        Key: groupKey(id),
        ConsistentRead: true,
        ProjectionExpression: `${e.name(ATTR.version)}, ${e.name(ATTR.lifecycle)}`,
        ...e.attributes(),
      }),
    ),
  );
  const raw = item?.[ATTR.version]?.N;
  return {
    version: raw === undefined ? 0 : Number(raw),
    destroying: item?.[ATTR.lifecycle]?.S === 'destroying',
  };
}

/** The version now stored, 0 when the group does not exist (consistent: it feeds a decision). */
export async function currentVersion(ctx: StoreContext, id: string): Promise<number> {
  return (await currentMark(ctx, id)).version;
}

async function writeHistory(
  ctx: StoreContext,
  id: string,
  stored: StoredSpec,
  createdAt: number,
): Promise<void> {
  // Race: a late writer of an earlier incarnation must not overwrite this one's history. A failed
  // condition means the entry is already written (a retry, or the repair of a version that has its
  // entry), or a newer incarnation owns this version number: either way nothing is missing.
  await putItemIf(
    ctx,
    {
      ...versionKey(id, stored.version),
      [ATTR.spec]: str(JSON.stringify(stored.spec)),
      [ATTR.version]: num(stored.version),
      [ATTR.etag]: str(stored.etag),
      [ATTR.updatedAt]: num(stored.updatedAt),
      [ATTR.createdAt]: num(createdAt),
      ...(stored.note !== undefined ? { [ATTR.note]: str(stored.note) } : {}),
    },
    (e) => historyWritable(e, createdAt),
  );
}

/** Writes `spec` as version `expected + 1` (expected 0 = create). */
async function putAt(
  ctx: StoreContext,
  spec: GroupSpec,
  expected: number,
  createOnly: boolean,
  now: number,
  note: string | undefined,
): Promise<StoredSpec> {
  const id = spec.id;
  const version = expected + 1;
  const stored: StoredSpec = {
    spec,
    version,
    etag: etagOf(spec, version),
    updatedAt: now,
    ...(note !== undefined ? { note } : {}),
  };
  const e = new Expr();
  const update = new UpdateBuilder(e)
    .set(ATTR.spec, str(JSON.stringify(spec)))
    .set(ATTR.version, num(version))
    .set(ATTR.etag, str(stored.etag))
    .set(ATTR.updatedAt, num(now));
  // A version's note belongs to it alone: the next version, a user's, carries none.
  if (note !== undefined) update.set(ATTR.note, str(note));
  else if (expected > 0) update.remove(ATTR.note);
  if (expected === 0) {
    // Creation also initialises the state attributes that later writes update in place.
    update
      .set(ATTR.createdAt, num(now))
      .set(ATTR.lifecycle, str('active'))
      .set(ATTR.revision, num(0))
      .set(ATTR.retiring, { M: {} });
  }
  // Race: two API writers that read the same version (or two creators) — only one commits. And a
  // DELETE that marked the group destroying after the writer read it wins: the spec stays as it was.
  const condition = expected === 0 ? itemAbsent(e) : all(atVersion(e, expected), notDestroying(e));
  let old: Item | undefined;
  try {
    const out = await ctx.write((c) =>
      c.send(
        new UpdateItemCommand({
          TableName: ctx.tableName,
          Key: groupKey(id),
          UpdateExpression: update.toString(),
          ConditionExpression: condition,
          ReturnValues: 'ALL_OLD',
          ...e.attributes(),
        }),
      ),
    );
    old = out.Attributes;
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    if (createOnly) throw new GroupExistsError(id, { cause: err });
    // dynalite lacks ReturnValuesOnConditionCheckFailure: re-read the version the caller must retry at.
    const current = await currentMark(ctx, id);
    if (current.destroying) throw new GroupDestroyingError(id, { cause: err });
    throw new VersionConflictError(id, expected, current.version, { cause: err });
  }
  const oldCreatedAt = old?.[ATTR.createdAt]?.N;
  const createdAt = oldCreatedAt === undefined ? now : Number(oldCreatedAt);
  if (old?.[ATTR.spec] !== undefined) await writeHistory(ctx, id, storedSpecFromItem(old), createdAt);
  await writeHistory(ctx, id, stored, createdAt);
  return stored;
}

/**
 * Creates or replaces a spec (see the write order above). Only spec attributes are written, so the
 * reconcile state is left as it is. A group being destroyed keeps its spec: GroupDestroyingError.
 */
export async function putSpec(
  ctx: StoreContext,
  spec: GroupSpec,
  options: { expectedVersion?: number; createOnly?: boolean; now: number; note?: string },
): Promise<StoredSpec> {
  const { note } = options;
  if (options.createOnly) return putAt(ctx, spec, 0, true, options.now, note);
  if (options.expectedVersion !== undefined)
    return putAt(ctx, spec, options.expectedVersion, false, options.now, note);
  // No precondition given (create or replace): still conditional, on the version just read, so a
  // concurrent writer's version is never silently reused; retry a few times on contention.
  let conflict: unknown;
  for (let attempt = 0; attempt < UPSERT_ATTEMPTS; attempt++) {
    try {
      return await putAt(ctx, spec, await currentVersion(ctx, spec.id), false, options.now, note);
    } catch (err) {
      if (!(err instanceof VersionConflictError)) throw err;
      conflict = err;
    }
  }
  throw conflict;
}

export async function getGroupItem(ctx: StoreContext, id: string): Promise<Item | undefined> {
  const { Item: item } = await ctx.read((c) =>
    c.send(new GetItemCommand({ TableName: ctx.tableName, Key: groupKey(id), ConsistentRead: true })),
  );
  return item;
}

export async function getGroup(ctx: StoreContext, id: string): Promise<GroupRecord | undefined> {
  const item = await getGroupItem(ctx, id);
  return item ? groupFromItem(item) : undefined;
}

export async function listGroups(
  ctx: StoreContext,
  options: { limit?: number; cursor?: string } = {},
): Promise<Page<GroupRecord>> {
  const startKey = decodeCursor(options.cursor, GROUPS_PARTITION);
  const page = await queryPage(ctx, {
    keyCondition: (e) => `${e.name(TABLE_KEY.partition)} = ${e.value(str(GROUPS_PARTITION))}`,
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(startKey ? { startKey } : {}),
  });
  return { ...page, items: page.items.map(groupFromItem) };
}

/**
 * Marks the group `destroying`; idempotent. With `expectedVersion`, only while the spec is still at
 * that version (the one the caller checked): a spec written in between is not destroyed unseen.
 */
export async function markDestroying(
  ctx: StoreContext,
  id: string,
  now: number,
  expectedVersion?: number,
  options: DestroyOptions = {},
): Promise<void> {
  const conflict = await updateGroupRecord(ctx, id, (update, e) => {
    update.set(ATTR.lifecycle, str('destroying')).set(ATTR.updatedAt, num(now));
    if (options.deleteVolumes) update.set(ATTR.deleteVolumes, { BOOL: true });
    // Race: the group was deleted meanwhile; do not resurrect a half-item. A PUT that landed after
    // the caller's check moved the version on: the caller decides again (412, or re-read).
    return expectedVersion === undefined ? itemExists(e) : atVersion(e, expectedVersion);
  });
  if (!conflict) return;
  const current = expectedVersion === undefined ? 0 : await currentVersion(ctx, id);
  if (current === 0) throw new GroupNotFoundError(id, { cause: conflict });
  throw new VersionConflictError(id, expectedVersion, current, { cause: conflict });
}

/** Removes the group record at `expectedVersion`. */
export async function deleteGroup(ctx: StoreContext, id: string, expectedVersion: number): Promise<void> {
  const e = new Expr();
  try {
    await ctx.write((c) =>
      c.send(
        new DeleteItemCommand({
          TableName: ctx.tableName,
          Key: groupKey(id),
          // Race: a spec written after the caller decided to delete must not vanish unseen.
          ConditionExpression: atVersion(e, expectedVersion),
          ...e.attributes(),
        }),
      ),
    );
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    const current = await currentVersion(ctx, id);
    if (current === 0) throw new GroupNotFoundError(id, { cause: err });
    throw new VersionConflictError(id, expectedVersion, current, { cause: err });
  }
}
