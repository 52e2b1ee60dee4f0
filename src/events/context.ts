import type { Log } from '../log.js';
import type { Engine, ReconcileResult } from '../reconcile/types.js';
import type { GroupStore } from '../store/types.js';

/**
 * Finds the group tag of an instance the store does not know (one DescribeInstances by id in AWS).
 * Returns undefined for an instance that is not ours or does not exist.
 */
export type InstanceGroupLookup = (instanceId: string) => Promise<string | undefined>;

/** What the event handlers need, passed in. */
export interface EventDeps {
  readonly store: GroupStore;
  readonly engine: Engine;
  /** The fallback when the store's instance index has no entry; without it such instances are skipped. */
  readonly lookupInstanceGroup?: InstanceGroupLookup;
  readonly now?: () => number;
  /** Epoch ms by which the invocation must be done (Lambda deadline minus a margin). */
  readonly deadline?: number;
  /** Waits before retrying a group whose lease another reconciler holds. @default [250, 750] */
  readonly busyRetryDelaysMs?: readonly number[];
  readonly log?: Log;
}

/** What handling one event did. */
export interface EventOutcome {
  /** `source|detail-type`, or `unknown`. */
  readonly kind: string;
  readonly action: 'ignored' | 'not-ours' | 'reconciled';
  readonly reason?: string;
  readonly groupIds: readonly string[];
  readonly results: readonly ReconcileResult[];
}
