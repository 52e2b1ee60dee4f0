import { QueryCommand } from '@aws-sdk/client-dynamodb';
import type { Item } from './codec.js';
import type { StoreContext } from './context.js';
import { Expr } from './expr.js';
import { encodeCursor, type ItemKey, pageLimit } from './keys.js';

/** One page of a consistent Query over a single partition. */
export interface PageQuery {
  /** The key condition, built with the placeholders of `e`. */
  readonly keyCondition: (e: Expr) => string;
  /** Descending sort key order (newest first for time-ordered keys). @default false */
  readonly descending?: boolean;
  /** Validated by `pageLimit`; absent means DynamoDB's 1 MB page. */
  readonly limit?: number;
  /** A decoded cursor (`decodeCursor`). */
  readonly startKey?: ItemKey;
}

/** Runs one page of `query` (one read request) and returns its items and the next cursor. */
export async function queryPage(
  ctx: StoreContext,
  query: PageQuery,
): Promise<{ items: Item[]; next?: string }> {
  const e = new Expr();
  const keyCondition = query.keyCondition(e);
  const out = await ctx.read((c) =>
    c.send(
      new QueryCommand({
        TableName: ctx.tableName,
        KeyConditionExpression: keyCondition,
        ...(query.descending ? { ScanIndexForward: false } : {}),
        // Pages feed decisions (sweeps, history): read what was last written.
        ConsistentRead: true,
        ...pageLimit(query.limit),
        ...(query.startKey ? { ExclusiveStartKey: query.startKey } : {}),
        ...e.attributes(),
      }),
    ),
  );
  const next = encodeCursor(out.LastEvaluatedKey);
  return { items: out.Items ?? [], ...(next ? { next } : {}) };
}
