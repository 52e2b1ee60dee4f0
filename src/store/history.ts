import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ATTR, type Item, storedSpecFromItem } from './codec.js';
import type { StoreContext } from './context.js';
import { str } from './expr.js';
import {
  decodeCursor,
  groupPartition,
  pageLimit,
  VERSION_PREFIX,
  versionKey,
  versionSortKey,
} from './keys.js';
import { queryPage } from './query.js';
import { getGroupItem } from './specs.js';
import { TABLE_KEY } from './table.js';
import type { Page, StoredSpec } from './types.js';

/**
 * Reading spec history. Only versions 1..current of the group's current incarnation count: items
 * of an earlier incarnation (same id, deleted and created again) are filtered out by `createdAt`,
 * and the current version is taken from the group record when its history item is missing (a
 * crash between the two writes of putSpec; see specs.ts).
 */

function incarnationOf(record: Item): number | undefined {
  const raw = record[ATTR.createdAt]?.N;
  return raw === undefined ? undefined : Number(raw);
}

function sameIncarnation(item: Item, createdAt: number | undefined): boolean {
  return incarnationOf(item) === createdAt;
}

/** Past versions of the group, newest first. */
export async function listVersions(
  ctx: StoreContext,
  id: string,
  options: { limit?: number; cursor?: string } = {},
): Promise<Page<StoredSpec>> {
  const partition = groupPartition(id);
  const exclusiveStartKey = decodeCursor(options.cursor, partition, VERSION_PREFIX);
  pageLimit(options.limit); // a bad limit is a 400 even for a group that does not exist
  const record = await getGroupItem(ctx, id);
  if (!record) return { items: [] };
  const current = storedSpecFromItem(record);
  const createdAt = incarnationOf(record);
  const page = await queryPage(ctx, {
    keyCondition: (e) =>
      `${e.name(TABLE_KEY.partition)} = ${e.value(str(partition))} AND ${e.name(TABLE_KEY.sort)} BETWEEN ${e.value(str(versionSortKey(1)))} AND ${e.value(str(versionSortKey(current.version)))}`,
    descending: true,
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(exclusiveStartKey ? { startKey: exclusiveStartKey } : {}),
  });
  // Filtered here rather than with a FilterExpression: moto and dynalite agree on plain Queries.
  const items = page.items.filter((item) => sameIncarnation(item, createdAt)).map(storedSpecFromItem);
  if (!exclusiveStartKey && items[0]?.version !== current.version) items.unshift(current);
  return { ...page, items };
}

/** One version of the group's spec, or undefined when the group or that version does not exist. */
export async function getVersion(
  ctx: StoreContext,
  id: string,
  version: number,
): Promise<StoredSpec | undefined> {
  const record = await getGroupItem(ctx, id);
  if (!record) return undefined;
  const current = storedSpecFromItem(record);
  if (version === current.version) return current;
  if (!Number.isInteger(version) || version < 1 || version > current.version) return undefined;
  const { Item: item } = await ctx.read((c) =>
    c.send(
      new GetItemCommand({ TableName: ctx.tableName, Key: versionKey(id, version), ConsistentRead: true }),
    ),
  );
  return item && sameIncarnation(item, incarnationOf(record)) ? storedSpecFromItem(item) : undefined;
}
