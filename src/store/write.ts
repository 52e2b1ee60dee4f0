import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Item } from './codec.js';
import { isConditionFailed, type StoreContext } from './context.js';
import { Expr, UpdateBuilder } from './expr.js';
import { groupKey } from './keys.js';

/**
 * One conditional UpdateItem on the group record. Returns the ConditionalCheckFailedException when
 * the condition failed (for the caller to turn into its typed error), undefined when written; every
 * other error is rethrown.
 */
export async function updateGroupRecord(
  ctx: StoreContext,
  id: string,
  build: (update: UpdateBuilder, e: Expr) => string,
): Promise<unknown> {
  const e = new Expr();
  const update = new UpdateBuilder(e);
  const condition = build(update, e);
  try {
    await ctx.write((c) =>
      c.send(
        new UpdateItemCommand({
          TableName: ctx.tableName,
          Key: groupKey(id),
          UpdateExpression: update.toString(),
          ConditionExpression: condition,
          ...e.attributes(),
        }),
      ),
    );
    return undefined;
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    return err;
  }
}

/**
 * One conditional PutItem. Returns true when written, false when the condition failed (an item
 * already there that must be kept: the caller's comment says why); every other error is rethrown.
 */
export async function putItemIf(
  ctx: StoreContext,
  item: Item,
  condition: (e: Expr) => string,
): Promise<boolean> {
  const e = new Expr();
  const conditionExpression = condition(e);
  try {
    await ctx.write((c) =>
      c.send(
        new PutItemCommand({
          TableName: ctx.tableName,
          Item: item,
          ConditionExpression: conditionExpression,
          ...e.attributes(),
        }),
      ),
    );
    return true;
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    return false;
  }
}
