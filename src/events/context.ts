import type { Log } from '../log.js';
import type { InstanceGroupLookup } from '../plugins/types.js';
import type { Engine, ReconcileResult } from '../reconcile/types.js';
import type { GroupStore } from '../store/types.js';

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
