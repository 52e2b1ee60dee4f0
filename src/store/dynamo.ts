import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { GroupSpec } from '../spec/schema.js';
import { DEFAULT_LIMITS, type DynamoStoreLimits, StoreContext } from './context.js';
import * as events from './events.js';
import * as history from './history.js';
import * as intents from './intents.js';
import * as lease from './lease.js';
import * as specs from './specs.js';
import type {
  DestroyOptions,
  GroupEvent,
  GroupRecord,
  GroupStore,
  Intent,
  IntentProgress,
  LeaseState,
  LifecycleHookName,
  LifecycleResult,
  Page,
  StatePatch,
  StoredSpec,
  StoreStats,
} from './types.js';
import { lifecycleKey } from './types.js';

/** Options of `DynamoGroupStore`. */
export interface DynamoGroupStoreOptions {
  /** A client you configure (endpoint, region, credentials); the store never builds one. */
  readonly client: DynamoDBClient;
  /** The table created by `ensureTable` or the CDK stack (key schema in table.ts). */
  readonly tableName: string;
  /** Event log and TTL bounds; see `DynamoStoreLimits` for the defaults. */
  readonly limits?: DynamoStoreLimits;
}

/**
 * The `GroupStore` on one DynamoDB table (layout in keys.ts). Every write is a single-item
 * conditional write (no transactions: dynalite has none); a failed condition becomes a typed error
 * from errors.ts, anything else is rethrown. Reads that feed decisions are strongly consistent.
 * `listGroups` and `getGroup` never write, so a steady-state sweep costs reads only.
 *
 * @example
 * const store = new DynamoGroupStore({ client: new DynamoDBClient({ endpoint }), tableName: 'infrakit' });
 * const { version } = await store.putSpec(spec, { createOnly: true, now: Date.now() });
 */
export class DynamoGroupStore implements GroupStore {
  private readonly ctx: StoreContext;

  constructor(options: DynamoGroupStoreOptions) {
    if (!options.tableName) throw new Error('DynamoGroupStore needs a tableName');
    this.ctx = new StoreContext(options.client, options.tableName, { ...DEFAULT_LIMITS, ...options.limits });
  }

  /** Requests made so far by this store (each SDK call counts once; a Query page is one read). */
  get stats(): StoreStats {
    return this.ctx.stats;
  }

  putSpec(
    spec: GroupSpec,
    options: { expectedVersion?: number; createOnly?: boolean; now: number; note?: string },
  ): Promise<StoredSpec> {
    return specs.putSpec(this.ctx, spec, options);
  }
  getGroup(id: string): Promise<GroupRecord | undefined> {
    return specs.getGroup(this.ctx, id);
  }
  listGroups(options?: { limit?: number; cursor?: string }): Promise<Page<GroupRecord>> {
    return specs.listGroups(this.ctx, options);
  }
  listVersions(id: string, options?: { limit?: number; cursor?: string }): Promise<Page<StoredSpec>> {
    return history.listVersions(this.ctx, id, options);
  }
  getVersion(id: string, version: number): Promise<StoredSpec | undefined> {
    return history.getVersion(this.ctx, id, version);
  }
  markDestroying(id: string, now: number, expectedVersion?: number, options?: DestroyOptions): Promise<void> {
    return specs.markDestroying(this.ctx, id, now, expectedVersion, options);
  }
  deleteGroup(id: string, expectedVersion: number): Promise<void> {
    return specs.deleteGroup(this.ctx, id, expectedVersion);
  }

  acquireLease(id: string, owner: string, ttlMs: number, now: number): Promise<LeaseState | undefined> {
    return lease.acquireLease(this.ctx, id, owner, ttlMs, now);
  }
  renewLease(id: string, held: LeaseState, ttlMs: number, now: number): Promise<LeaseState> {
    return lease.renewLease(this.ctx, id, held, ttlMs, now);
  }
  releaseLease(id: string, held: LeaseState): Promise<void> {
    return lease.releaseLease(this.ctx, id, held);
  }
  updateState(id: string, held: LeaseState, patch: StatePatch): Promise<void> {
    return lease.updateState(this.ctx, id, held, patch);
  }
  recordState(
    id: string,
    read: { readonly version: number; readonly revision: number },
    patch: StatePatch,
    now: number,
  ): Promise<boolean> {
    return lease.recordState(this.ctx, id, read, patch, now);
  }
  markRetiring(id: string, instanceId: string, deadline: number): Promise<void> {
    return lease.markRetiring(this.ctx, id, instanceId, deadline);
  }
  markLifecycleDone(
    id: string,
    instanceId: string,
    result: LifecycleResult,
    hook: LifecycleHookName = 'terminating',
  ): Promise<void> {
    return lease.markLifecycleDone(this.ctx, id, lifecycleKey(instanceId, hook), result);
  }

  putIntent(intent: Intent, held: LeaseState): Promise<void> {
    return intents.putIntent(this.ctx, intent, held);
  }
  updateIntent(intent: Intent, patch: IntentProgress, held: LeaseState): Promise<void> {
    return intents.updateIntent(this.ctx, intent, patch, held);
  }
  completeIntent(intent: Intent, held: LeaseState, now: number): Promise<void> {
    return intents.completeIntent(this.ctx, intent, held, now);
  }
  listOpenIntents(groupId: string): Promise<readonly Intent[]> {
    return intents.listOpenIntents(this.ctx, groupId);
  }

  appendEvents(list: readonly GroupEvent[]): Promise<void> {
    return events.appendEvents(this.ctx, list);
  }
  listEvents(groupId: string, options?: { limit?: number; cursor?: string }): Promise<Page<GroupEvent>> {
    return events.listEvents(this.ctx, groupId, options);
  }
  indexInstances(groupId: string, instanceIds: readonly string[], now: number): Promise<void> {
    return events.indexInstances(this.ctx, groupId, instanceIds, now);
  }
  groupOfInstance(instanceId: string): Promise<string | undefined> {
    return events.groupOfInstance(this.ctx, instanceId);
  }
}
