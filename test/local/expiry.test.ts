import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { startExpiry } from '../../src/local/expiry.js';
import { TTL_ATTRIBUTE } from '../../src/store/table.js';
import { useDynalite } from '../helpers/dynalite.js';
import { waitFor } from './harness.js';

/** Local mode plays DynamoDB's TTL for dynalite, at start and then on a timer, until stopped. */
describe('local expiry', () => {
  const dynamo = useDynalite();
  const nowSeconds = () => Math.floor(Date.now() / 1000);

  it('deletes expired items at start and on every interval, keeps the rest, and stops when told', async () => {
    const client = dynamo().client();
    const tableName = await dynamo().newTable('expiry');
    const put = (sk: string, expiresAt?: number) =>
      client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            pk: { S: 'G#web' },
            sk: { S: sk },
            ...(expiresAt !== undefined ? { [TTL_ATTRIBUTE]: { N: String(expiresAt) } } : {}),
          },
        }),
      );
    const exists = async (sk: string) =>
      (
        await client.send(
          new GetItemCommand({ TableName: tableName, Key: { pk: { S: 'G#web' }, sk: { S: sk } } }),
        )
      ).Item !== undefined;
    await put('old', nowSeconds() - 10);
    await put('fresh', nowSeconds() + 3600);
    await put('forever');
    const lines: string[] = [];

    const expiry = startExpiry({ client, tableName, intervalMs: 50, report: (l) => lines.push(l) });
    await waitFor('the start pass', async () => !(await exists('old')));
    expect(lines[0]).toMatch(/^expired 1 old items/);
    await put('later', nowSeconds() - 1);
    await waitFor('a timed pass', async () => !(await exists('later')));

    await expiry.stop();
    await put('after-stop', nowSeconds() - 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(await exists('after-stop')).toBe(true);
    expect(await exists('fresh')).toBe(true);
    expect(await exists('forever')).toBe(true);
    expect(lines.filter((l) => l.startsWith('expiry failed'))).toStrictEqual([]);
    client.destroy();
  });
});
