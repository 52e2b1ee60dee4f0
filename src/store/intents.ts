import { type AttributeValue, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ATTR, intentBody, intentFromItem } from './codec.js';
import { intentOpen, itemAbsent, itemExists } from './conditions.js';
import { isConditionFailed, type StoreContext, ttlSeconds } from './context.js';
import { all, Expr, num, str, UpdateBuilder } from './expr.js';
import { groupPartition, INTENT_PREFIX, intentKey } from './keys.js';
import { fencedUpdate } from './lease.js';
import { TABLE_KEY, TTL_ATTRIBUTE } from './table.js';
import type { Intent, IntentProgress, LeaseState } from './types.js';
import { putItemIf } from './write.js';

/**
 * Intents: one item per intent, plus its token in the group record's `openIntents` set (so that a
 * steady-state sweep sees "nothing unfinished" without querying intents). Without transactions
 * these are two single-item writes, ordered so that a crash between them is harmless:
 *
 * - putIntent: token into `openIntents` first (fenced by the lease), then the intent item (create
 *   only). Crash between → a token without an item: nothing was acted on yet.
 * - completeIntent: the item is marked done first, then the token leaves `openIntents` (fenced).
 *   Crash between → a token without an open item: the work is done.
 *
 * So a token in `openIntents` is only a hint that something may be unfinished. `listOpenIntents`
 * reads the intent items themselves (a token without an open item is simply not listed), and a
 * holder drops such stale tokens with `completeIntent` or `updateState({ openIntents })`.
 */

/**
 * Records an intent under the lease (before its side effect). Re-putting a token keeps the stored
 * item as it is (a retry never resets progress or reopens a done intent).
 */
export async function putIntent(ctx: StoreContext, intent: Intent, lease: LeaseState): Promise<void> {
  await fencedUpdate(ctx, intent.groupId, lease, (update) => {
    update.addToSet(ATTR.openIntents, [intent.token]).increment(ATTR.revision);
  });
  // Race: a retried putIntent must not reset the progress or the done mark of the first one. A
  // failed condition means the intent with this (random, unique) token is recorded: a retry.
  await putItemIf(
    ctx,
    {
      ...intentKey(intent.groupId, intent.token),
      [ATTR.groupId]: str(intent.groupId),
      [ATTR.intent]: str(intentBody(intent)),
      ...(intent.launchedIds ? { [ATTR.launchedIds]: str(JSON.stringify(intent.launchedIds)) } : {}),
    },
    itemAbsent,
  );
}

/** Records launch progress on an open intent, under the lease (best effort: tags are the truth). */
export async function updateIntent(
  ctx: StoreContext,
  intent: Intent,
  patch: IntentProgress,
  lease: LeaseState,
): Promise<void> {
  // The lease lives on the group record: prove we still hold it before touching the intent.
  await fencedUpdate(ctx, intent.groupId, lease, (update) => {
    update.increment(ATTR.revision);
  });
  if (
    patch.launchedIds === undefined &&
    patch.drainingSince === undefined &&
    patch.stoppingSince === undefined &&
    patch.launching === undefined
  )
    return;
  const e = new Expr();
  const update = new UpdateBuilder(e);
  if (patch.launchedIds !== undefined) update.set(ATTR.launchedIds, str(JSON.stringify(patch.launchedIds)));
  if (patch.drainingSince !== undefined) update.set(ATTR.drainingSince, num(patch.drainingSince));
  if (patch.stoppingSince !== undefined) update.set(ATTR.stoppingSince, num(patch.stoppingSince));
  if (patch.launching !== undefined) {
    update.set(ATTR.launchingUntil, num(patch.launching.until));
    update.set(ATTR.launchingDefault, str(patch.launching.defaultResult));
  }
  try {
    await ctx.write((c) =>
      c.send(
        new UpdateItemCommand({
          TableName: ctx.tableName,
          Key: intentKey(intent.groupId, intent.token),
          UpdateExpression: update.toString(),
          // Race: never create a stray intent, nor record progress on one that a recovery finished.
          ConditionExpression: all(itemExists(e), intentOpen(e)),
          ...e.attributes(),
        }),
      ),
    );
  } catch (err) {
    // Missing (its putIntent crashed before the item) or already done: nothing to record.
    if (!isConditionFailed(err)) throw err;
  }
}

/** Marks an intent done, then removes its token from `openIntents` under the lease. */
export async function completeIntent(
  ctx: StoreContext,
  intent: Intent,
  lease: LeaseState,
  now: number,
): Promise<void> {
  const e = new Expr();
  const doneAt = e.name(ATTR.doneAt);
  const update = `SET ${doneAt} = if_not_exists(${doneAt}, ${e.value(num(now))}), ${e.name(TTL_ATTRIBUTE)} = ${e.value(num(ttlSeconds(now, ctx.limits.doneIntentTtlSeconds)))}`;
  try {
    await ctx.write((c) =>
      c.send(
        new UpdateItemCommand({
          TableName: ctx.tableName,
          Key: intentKey(intent.groupId, intent.token),
          UpdateExpression: update,
          // Race: never create a stray done item for an intent whose putIntent crashed before the item.
          ConditionExpression: itemExists(e),
          ...e.attributes(),
        }),
      ),
    );
  } catch (err) {
    // No item: only the stale token is left, which the fenced write below removes.
    if (!isConditionFailed(err)) throw err;
  }
  await fencedUpdate(ctx, intent.groupId, lease, (update) => {
    update.deleteFromSet(ATTR.openIntents, [intent.token]).increment(ATTR.revision);
  });
}

/** Every not-done intent item of the group, oldest first (all pages; consistent: it feeds recovery). */
export async function listOpenIntents(ctx: StoreContext, groupId: string): Promise<readonly Intent[]> {
  const intents: Intent[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const e = new Expr();
    const out = await ctx.read((c) =>
      c.send(
        new QueryCommand({
          TableName: ctx.tableName,
          KeyConditionExpression: `${e.name(TABLE_KEY.partition)} = ${e.value(str(groupPartition(groupId)))} AND begins_with(${e.name(TABLE_KEY.sort)}, ${e.value(str(INTENT_PREFIX))})`,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
          ...e.attributes(),
        }),
      ),
    );
    for (const item of out.Items ?? []) {
      if (item[ATTR.doneAt] === undefined) intents.push(intentFromItem(item));
    }
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return intents.sort((a, b) => a.createdAt - b.createdAt || (a.token < b.token ? -1 : 1));
}
