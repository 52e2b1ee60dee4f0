import { randomBytes } from 'node:crypto';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ATTR, eventFromItem } from './codec.js';
import { instanceFreeOrOurs, itemAbsent, itemExists } from './conditions.js';
import { isConditionFailed, type StoreContext, ttlSeconds } from './context.js';
import { Expr, num, str } from './expr.js';
import { decodeCursor, EVENT_PREFIX, eventKey, groupPartition, type ItemKey, instanceKey } from './keys.js';
import { queryPage } from './query.js';
import { TABLE_KEY, TTL_ATTRIBUTE } from './table.js';
import type { GroupEvent, Page } from './types.js';
import { putItemIf } from './write.js';

/**
 * The per-group event log and the instance → group index.
 *
 * The log is bounded twice: every event carries a TTL (`expiresAt`) for AWS, and, because dynalite
 * has no TTL, appends occasionally prune the group's log down to `maxEventsPerGroup` (on average
 * one append in `pruneEvery`, chosen at random so the bound holds however short-lived the process).
 */

function eventsQuery(e: Expr, groupId: string): string {
  return `${e.name(TABLE_KEY.partition)} = ${e.value(str(groupPartition(groupId)))} AND begins_with(${e.name(TABLE_KEY.sort)}, ${e.value(str(EVENT_PREFIX))})`;
}

async function putEvent(ctx: StoreContext, event: GroupEvent): Promise<void> {
  const e = new Expr();
  await ctx.write((c) =>
    c.send(
      new PutItemCommand({
        TableName: ctx.tableName,
        Item: {
          ...eventKey(event.groupId, event.at, randomBytes(6).toString('hex')),
          [ATTR.event]: str(JSON.stringify(event)),
          [TTL_ATTRIBUTE]: num(ttlSeconds(event.at, ctx.limits.eventTtlSeconds)),
        },
        // Race: two events in the same millisecond never overwrite each other (the random suffix
        // makes a clash unlikely; the condition makes it an error instead of a silent loss).
        ConditionExpression: itemAbsent(e),
        ...e.attributes(),
      }),
    ),
  );
}

/** Deletes the group's events beyond the newest `maxEventsPerGroup`. */
export async function pruneEvents(ctx: StoreContext, groupId: string): Promise<number> {
  const keep = ctx.limits.maxEventsPerGroup;
  const surplus: ItemKey[] = [];
  let seen = 0;
  let startKey: ItemKey | undefined;
  do {
    const e = new Expr();
    const out = await ctx.read((c) =>
      c.send(
        new QueryCommand({
          TableName: ctx.tableName,
          KeyConditionExpression: eventsQuery(e, groupId),
          ScanIndexForward: false,
          ProjectionExpression: `${e.name(TABLE_KEY.partition)}, ${e.name(TABLE_KEY.sort)}`,
          ExclusiveStartKey: startKey,
          ...e.attributes(),
        }),
      ),
    );
    for (const key of out.Items ?? []) {
      seen += 1;
      if (seen > keep) surplus.push(key);
    }
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  for (const key of surplus) {
    const e = new Expr();
    try {
      await ctx.write((c) =>
        c.send(
          new DeleteItemCommand({
            TableName: ctx.tableName,
            Key: key,
            // Race: two pruners deleting the same old event: the second one simply finds it gone.
            ConditionExpression: itemExists(e),
            ...e.attributes(),
          }),
        ),
      );
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
  }
  return surplus.length;
}

/** Appends events (one conditional put each) and sometimes prunes the groups' logs. */
export async function appendEvents(ctx: StoreContext, events: readonly GroupEvent[]): Promise<void> {
  for (const event of events) await putEvent(ctx, event);
  const groups = new Set(events.map((ev) => ev.groupId));
  for (const groupId of groups) {
    if (ctx.limits.pruneEvery <= 1 || Math.random() < 1 / ctx.limits.pruneEvery)
      await pruneEvents(ctx, groupId);
  }
}

/** The group's events, newest first. */
export async function listEvents(
  ctx: StoreContext,
  groupId: string,
  options: { limit?: number; cursor?: string } = {},
): Promise<Page<GroupEvent>> {
  const startKey = decodeCursor(options.cursor, groupPartition(groupId), EVENT_PREFIX);
  const page = await queryPage(ctx, {
    keyCondition: (e) => eventsQuery(e, groupId),
    descending: true,
    limit: options.limit ?? 50,
    ...(startKey ? { startKey } : {}),
  });
  return { ...page, items: page.items.map(eventFromItem) };
}

/** Records instance id → group id (one conditional put per instance), expiring after a while. */
export async function indexInstances(
  ctx: StoreContext,
  groupId: string,
  instanceIds: readonly string[],
  now: number,
): Promise<void> {
  for (const instanceId of new Set(instanceIds)) {
    // A failed condition: already indexed under another group. Instance ids are unique, so the
    // first mapping stands.
    await putItemIf(
      ctx,
      {
        ...instanceKey(instanceId),
        [ATTR.groupId]: str(groupId),
        [TTL_ATTRIBUTE]: num(ttlSeconds(now, ctx.limits.instanceIndexTtlSeconds)),
      },
      (e) => instanceFreeOrOurs(e, groupId),
    );
  }
}

export async function groupOfInstance(ctx: StoreContext, instanceId: string): Promise<string | undefined> {
  const { Item: item } = await ctx.read((c) =>
    c.send(
      new GetItemCommand({ TableName: ctx.tableName, Key: instanceKey(instanceId), ConsistentRead: true }),
    ),
  );
  return item?.[ATTR.groupId]?.S;
}
