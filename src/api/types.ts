import type { FlavorRegistry } from '../flavors/types.js';
import type { Log } from '../log.js';
import type { ProviderRegistry } from '../providers/types.js';
import type { Engine } from '../reconcile/types.js';
import type { GroupStore } from '../store/types.js';

/**
 * Asks for a reconcile of `groupIds` soon. In AWS it publishes a `Group Spec Changed` event to
 * EventBridge; in local mode it calls the engine directly. A failure is logged by the caller and
 * never undoes the change that triggered it: the next sweep picks the group up anyway.
 */
export type RequestReconcile = (
  groupIds: readonly string[],
  reason: string,
  options?: ReconcileRequestOptions,
) => Promise<void>;

export interface ReconcileRequestOptions {
  /** An operator asked: a provider's standing rejection of the config is tried once more. */
  readonly retryRejected?: boolean;
}

/** Everything the API needs, passed in (no SDK client or env read here). */
export interface ApiDeps {
  readonly store: GroupStore;
  readonly engine: Engine;
  readonly providers: ProviderRegistry;
  readonly flavors: FlavorRegistry;
  readonly requestReconcile: RequestReconcile;
  /**
   * This controller's identity (`infrakit.controller`): a PUT checks a spec against what its pets
   * already keep (a volume's Availability Zone), and DELETE lists what it keeps. Without it, both
   * are skipped.
   */
  readonly controllerId?: string;
  /**
   * Whether `POST /groups/{id}/reconcile` runs the pass inside the request and answers 200 with
   * its result (local mode). Deployed, the API function holds no launch or terminate rights (it
   * receives outside requests), so it asks the reconciler through `requestReconcile` and answers
   * 202. @default false
   */
  readonly inlineReconcile?: boolean;
  /** Injectable clock, epoch ms. */
  readonly now?: () => number;
  readonly log?: Log;
}
