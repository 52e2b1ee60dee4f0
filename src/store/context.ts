import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { StoreStats } from './types.js';

/** Tunables of the DynamoDB store; every one has a default. */
export interface DynamoStoreLimits {
  /** Events older than this may be deleted by DynamoDB's TTL. @default 14 days */
  readonly eventTtlSeconds?: number;
  /** Events kept per group; older ones are pruned. @default 500 */
  readonly maxEventsPerGroup?: number;
  /** On average one append in this many prunes its group's log (1 = every append). @default 20 */
  readonly pruneEvery?: number;
  /** Instance index entries expire after this. @default 90 days */
  readonly instanceIndexTtlSeconds?: number;
  /** Done intents expire after this. @default 7 days */
  readonly doneIntentTtlSeconds?: number;
}

const DAY_SECONDS = 86_400;

export const DEFAULT_LIMITS: Required<DynamoStoreLimits> = {
  eventTtlSeconds: 14 * DAY_SECONDS,
  maxEventsPerGroup: 500,
  pruneEvery: 20,
  instanceIndexTtlSeconds: 90 * DAY_SECONDS,
  doneIntentTtlSeconds: 7 * DAY_SECONDS,
};

/**
 * What every store operation needs: the client, the table, the request counters and the limits.
 * All requests go through `read` or `write`, so `stats` counts every SDK call exactly once (a Query
 * page is one read; SDK-internal retries of one call are not counted again).
 */
export class StoreContext {
  readonly stats: StoreStats = { reads: 0, writes: 0 };
  constructor(
    readonly client: DynamoDBClient,
    readonly tableName: string,
    readonly limits: Required<DynamoStoreLimits>,
  ) {}

  read<T>(request: (client: DynamoDBClient) => Promise<T>): Promise<T> {
    this.stats.reads += 1;
    return request(this.client);
  }

  write<T>(request: (client: DynamoDBClient) => Promise<T>): Promise<T> {
    this.stats.writes += 1;
    return request(this.client);
  }
}

/** True only for a failed ConditionExpression; every other error must be rethrown unchanged. */
export function isConditionFailed(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

/** Epoch ms → epoch seconds for the TTL attribute. */
export function ttlSeconds(nowMs: number, lifetimeSeconds: number): number {
  return Math.floor(nowMs / 1000) + lifetimeSeconds;
}
