import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { expect } from 'vitest';
import type { GroupSpec, GroupSpecInput } from '../../src/spec/schema.js';
import { validateSpec } from '../../src/spec/validate.js';
import type { DynamoStoreLimits } from '../../src/store/context.js';
import { DynamoGroupStore } from '../../src/store/dynamo.js';
import type { Intent } from '../../src/store/types.js';
import type { DynamoTestServer } from '../helpers/dynalite.js';

/** One fresh table and stores on it; each store has its own client so racing requests are real. */
export interface StoreTable {
  readonly tableName: string;
  /** The store under test. */
  readonly store: DynamoGroupStore;
  /** `n` more stores on the same table (racing writers, other reconcilers). */
  peers(n: number): DynamoGroupStore[];
}

/** Access to the emulator for one suite; `table()` gives every test its own table. */
export interface StoreFixture {
  table(limits?: DynamoStoreLimits): Promise<StoreTable>;
  /** A raw client, for simulating a crash between two writes of one operation. */
  rawClient(): DynamoDBClient;
}

export function fixtureFor(server: () => DynamoTestServer): StoreFixture & { close(): void } {
  const clients: DynamoDBClient[] = [];
  const client = () => {
    const c = server().client();
    clients.push(c);
    return c;
  };
  return {
    async table(limits) {
      const tableName = await server().newTable('store');
      const make = () => new DynamoGroupStore({ client: client(), tableName, ...(limits ? { limits } : {}) });
      return { tableName, store: make(), peers: (n) => Array.from({ length: n }, make) };
    },
    rawClient: client,
    close() {
      for (const c of clients) c.destroy();
    },
  };
}

/** A launch intent of `groupId` with `token`, created at `createdAt`. */
export function intentOf(groupId: string, token: string, createdAt = 1_800_000_000_000): Intent {
  return { groupId, token, kind: 'launch', count: 2, configHash: 'abc', reason: 'scale up', createdAt };
}

/** A validated spec (defaults filled in), as the API would hand it to the store. */
export function specOf(id: string, overrides: Partial<GroupSpecInput> = {}): GroupSpec {
  return validateSpec({
    id,
    allocation: { size: 2 },
    instance: { provider: 'process', properties: { command: 'sleep', args: ['600'] } },
    ...overrides,
  });
}

/** The rejection of `promise` (fails the test when it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  expect.fail('expected the promise to reject');
}

/** Splits settled results into fulfilled values and rejection reasons. */
export function settle<T>(results: readonly PromiseSettledResult<T>[]): { won: T[]; lost: unknown[] } {
  const won: T[] = [];
  const lost: unknown[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') won.push(r.value);
    else lost.push(r.reason);
  }
  return { won, lost };
}
