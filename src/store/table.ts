import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * The single table's key schema, shared by the store, the local-mode bootstrap, the tests and the
 * CDK stack (which must declare exactly the same keys).
 */
export const TABLE_KEY = { partition: 'pk', sort: 'sk' } as const;
/** Epoch seconds after which DynamoDB's TTL may delete an item (events, instance index). */
export const TTL_ATTRIBUTE = 'expiresAt';

/** Creates the table if it does not exist yet (local mode and tests; AWS gets it from CDK). */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (err) {
    if (!(err instanceof Error) || err.name !== 'ResourceNotFoundException') throw err;
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: TABLE_KEY.partition, AttributeType: 'S' },
          { AttributeName: TABLE_KEY.sort, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: TABLE_KEY.partition, KeyType: 'HASH' },
          { AttributeName: TABLE_KEY.sort, KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (err) {
    // Another controller created it first: that is fine.
    if (!(err instanceof Error) || err.name !== 'ResourceInUseException') throw err;
  }
  for (let i = 0; i < 100; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}
