import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { isConditionFailed } from './context.js';
import { TABLE_KEY } from './table.js';

/**
 * The controller identity a table carries: one item, written once with a create-only conditional
 * put and read back consistently, so every controller started on the same table (a restart, a
 * second process) agrees on one id and two tables never share one. Local mode names its instances
 * with it (`infrakit.controller`); a deployed stack takes its identity from the construct instead,
 * where IAM conditions need it at deploy time.
 */
const IDENTITY_KEY = {
  [TABLE_KEY.partition]: { S: 'CONTROLLER' },
  [TABLE_KEY.sort]: { S: 'IDENTITY' },
};
const ID_ATTRIBUTE = 'controllerId';

/** Returns the table's controller identity, storing `proposed` when the table has none yet. */
export async function ensureControllerIdentity(
  client: DynamoDBClient,
  tableName: string,
  proposed: string,
): Promise<string> {
  try {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { ...IDENTITY_KEY, [ID_ATTRIBUTE]: { S: proposed } },
        // Create-only: the first id written is the table's for good.
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE_KEY.partition },
      }),
    );
    return proposed;
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
  }
  const out = await client.send(
    new GetItemCommand({ TableName: tableName, Key: IDENTITY_KEY, ConsistentRead: true }),
  );
  const stored = out.Item?.[ID_ATTRIBUTE]?.S;
  if (!stored) throw new Error(`table ${tableName} has a controller identity item without an id`);
  return stored;
}
