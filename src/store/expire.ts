import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { isConditionFailed } from './context.js';
import { Expr } from './expr.js';
import { TABLE_KEY, TTL_ATTRIBUTE } from './table.js';

/**
 * What DynamoDB's TTL does in AWS, for the emulators that lack it (dynalite, DynamoDB Local): deletes
 * every item whose `expiresAt` lies before `nowMs` (events, instance index entries, done intents).
 * Each delete is conditional on the item still being expired, so an entry refreshed meanwhile stays.
 * Returns how many items were deleted. Once `signal` aborts, no further request is sent and the count
 * so far is returned (what is left expires on the next run).
 */
export async function expireItems(
  client: DynamoDBClient,
  tableName: string,
  nowMs: number,
  signal?: AbortSignal,
): Promise<number> {
  const nowSeconds = Math.floor(nowMs / 1000);
  let deleted = 0;
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    if (signal?.aborted) return deleted;
    const e = new Expr();
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: `${e.name(TTL_ATTRIBUTE)} < ${e.value({ N: String(nowSeconds) })}`,
        ProjectionExpression: `${e.name(TABLE_KEY.partition)}, ${e.name(TABLE_KEY.sort)}`,
        ExclusiveStartKey: startKey,
        ...e.attributes(),
      }),
    );
    for (const key of page.Items ?? []) {
      if (signal?.aborted) return deleted;
      const d = new Expr();
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: key,
            ConditionExpression: `${d.name(TTL_ATTRIBUTE)} < ${d.value({ N: String(nowSeconds) })}`,
            ...d.attributes(),
          }),
        );
        deleted += 1;
      } catch (err) {
        // Refreshed or deleted by someone else since the scan: not ours to delete.
        if (!isConditionFailed(err)) throw err;
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return deleted;
}
