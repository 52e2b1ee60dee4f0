import type {
  EventBridgeClient,
  EventBridgeClientConfig,
  PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { InfrakitError } from '../errors.js';
import { type Deferred, onFirstUse, resolveDeferred } from '../lazy.js';
import type { LifecycleNotice } from '../reconcile/drain.js';
import {
  DETAIL_TYPE_INSTANCE_LAUNCHING,
  DETAIL_TYPE_INSTANCE_TERMINATING,
  DETAIL_TYPE_RECONCILE_REQUESTED,
  DETAIL_TYPE_SPEC_CHANGED,
  EVENT_SOURCE,
} from './constants.js';

/** PutEvents accepts at most 10 entries per call. */
export const MAX_ENTRIES_PER_PUT = 10;
/** Group IDs per event: ~6.5 KB of detail, far below the 256 KB entry limit, and one sweep's worth. */
export const DEFAULT_GROUPS_PER_EVENT = 50;

/** Imported on first publish: only writes through the API and sweep fan-outs publish. */
const loadEventBridgeSdk = onFirstUse(() => import('@aws-sdk/client-eventbridge'));

type EventBridgeSender = Pick<EventBridgeClient, 'send'>;

/** An `EventBridgeClient` built with `config` the first time an event is published. */
export function lazyEventBridgeClient(config: EventBridgeClientConfig): () => Promise<EventBridgeSender> {
  return onFirstUse(async () => new (await loadEventBridgeSdk()).EventBridgeClient(config));
}

export type OwnDetailType = typeof DETAIL_TYPE_SPEC_CHANGED | typeof DETAIL_TYPE_RECONCILE_REQUESTED;

export interface EventPublisherOptions {
  /** A client, or a function building one on first use (`lazyEventBridgeClient`). */
  readonly client: Deferred<EventBridgeSender>;
  /** @default 'default' */
  readonly eventBusName?: string;
  /** @default DEFAULT_GROUPS_PER_EVENT */
  readonly groupsPerEvent?: number;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Publishes the project's own `infrakit` events (`Group Spec Changed`, `Reconcile Requested`) that
 * the events handler consumes. Group IDs are spread over events of `groupsPerEvent` IDs, sent in
 * PutEvents batches of at most 10 entries; entries EventBridge reports as failed are retried once.
 */
export class EventPublisher {
  private readonly client: Deferred<EventBridgeSender>;
  private readonly eventBusName: string;
  private readonly groupsPerEvent: number;

  constructor(options: EventPublisherOptions) {
    this.client = options.client;
    this.eventBusName = options.eventBusName ?? 'default';
    this.groupsPerEvent = Math.max(1, options.groupsPerEvent ?? DEFAULT_GROUPS_PER_EVENT);
  }

  /** Publishes `groupIds` (deduplicated); returns the number of events sent. */
  async publish(
    detailType: OwnDetailType,
    groupIds: readonly string[],
    reason: string,
    extra: { readonly retryRejected?: boolean } = {},
  ): Promise<number> {
    const ids = [...new Set(groupIds)];
    if (ids.length === 0) return 0;
    const entries: PutEventsRequestEntry[] = chunk(ids, this.groupsPerEvent).map((batch) => ({
      Source: EVENT_SOURCE,
      DetailType: detailType,
      EventBusName: this.eventBusName,
      Detail: JSON.stringify({
        groupIds: batch,
        reason,
        ...(extra.retryRejected ? { retryRejected: true } : {}),
      }),
    }));
    for (const batch of chunk(entries, MAX_ENTRIES_PER_PUT)) await this.put(batch, true);
    return entries.length;
  }

  /**
   * Publishes an `Instance Terminating` notice for the application that drains the instance, or an
   * `Instance Launching` one for the application that readies a new instance.
   */
  async publishLifecycle(notice: LifecycleNotice): Promise<void> {
    await this.put(
      [
        {
          Source: EVENT_SOURCE,
          DetailType:
            notice.hook === 'launching' ? DETAIL_TYPE_INSTANCE_LAUNCHING : DETAIL_TYPE_INSTANCE_TERMINATING,
          EventBusName: this.eventBusName,
          Detail: JSON.stringify(notice),
        },
      ],
      true,
    );
  }

  private async put(entries: PutEventsRequestEntry[], retry: boolean): Promise<void> {
    const [client, sdk] = await Promise.all([resolveDeferred(this.client), loadEventBridgeSdk()]);
    const result = await client.send(new sdk.PutEventsCommand({ Entries: entries }));
    if (!result.FailedEntryCount) return;
    // Result entries line up with request entries; failed ones carry an ErrorCode.
    const failed = entries.filter((_, i) => result.Entries?.[i]?.ErrorCode !== undefined);
    if (retry && failed.length > 0) return this.put(failed, false);
    const codes = [...new Set((result.Entries ?? []).map((e) => e.ErrorCode).filter(Boolean))].join(', ');
    throw new InfrakitError(
      `EventBridge refused ${result.FailedEntryCount} event(s): ${codes || 'unknown error'}`,
    );
  }
}

/** The API's `requestReconcile` port in AWS: a `Group Spec Changed` event for the events handler. */
export function publishingRequestReconcile(publisher: EventPublisher) {
  return async (
    groupIds: readonly string[],
    reason: string,
    options: { readonly retryRejected?: boolean } = {},
  ) => {
    // An operator's request is its own detail-type, so it reads as such in the bus and the logs.
    if (options.retryRejected)
      await publisher.publish(DETAIL_TYPE_RECONCILE_REQUESTED, groupIds, reason, { retryRejected: true });
    else await publisher.publish(DETAIL_TYPE_SPEC_CHANGED, groupIds, reason);
  };
}
