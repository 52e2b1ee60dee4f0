import type { ErrorClass } from '../errors.js';
import type { FlavorRegistry } from '../flavors/types.js';
import type { Hold, InstanceVerdict, ObservedInstance, Plan, RolloutProgress } from '../plan/types.js';
import type { ProviderRegistry } from '../providers/types.js';
import type { GroupSpec } from '../spec/schema.js';
import type { GroupStore } from '../store/types.js';
import type { Announce } from './drain.js';
import type { MemberTarget } from './registration.js';

/** What the engine needs, all passed in (no SDK client or env read at import time). */
export interface EngineDeps {
  readonly store: GroupStore;
  readonly providers: ProviderRegistry;
  readonly flavors: FlavorRegistry;
  /** Identifies this reconciler in leases and events (Lambda request id, host:pid, …). */
  readonly owner: string;
  /**
   * Identifies the controller (a stack in AWS, a table in local mode), which many reconcilers
   * share: written at launch as `infrakit.controller`; only instances carrying it are observed or
   * destroyed, so two controllers in one account never touch each other's instances.
   */
  readonly controllerId: string;
  /** Injectable clock, epoch ms. */
  readonly now?: () => number;
  /** Lease time to live; longer than one reconcile pass can take. @default 60_000 */
  readonly leaseTtlMs?: number;
  /** A provider `describe` taking longer than this counts as failed. @default 20_000 */
  readonly describeTimeoutMs?: number;
  /**
   * How long an unfinished launch intent is left alone before its remainder is relaunched: its
   * instances may still be on the way (a holder stalled inside `provision`, or EC2's eventual
   * consistency hiding fresh instances from `describe`). Until then they count as pending.
   * Keep it above `providerCallTimeoutMs` plus the provider's visibility lag. @default 120_000
   */
  readonly launchSettleMs?: number;
  /**
   * A provider `provision` or `destroy` taking longer than this fails the pass (the intent stays
   * open). Calls start with at least two thirds of the lease left, so with the default a holder
   * stops waiting before its lease can expire. @default half of `leaseTtlMs`
   */
  readonly providerCallTimeoutMs?: number;
  /**
   * Aborted when the engine's owner shuts down (local mode's `stop`):
   * every provider call in flight is aborted (a pass then records what it did, as after any failed
   * call, and releases its lease) and a sweep takes no further group. @default never aborted
   */
  readonly signal?: AbortSignal;
  /**
   * Where lifecycle hook notices go besides the group's event log: the bus deployed, the console in
   * local mode. @default the event log only
   */
  readonly announce?: Announce;
  /**
   * Test-only crash injection: called before every protocol step. When it throws, the engine
   * abandons the pass at once (no release, no cleanup: the lease simply expires), as a crashed
   * process would.
   */
  readonly faults?: FaultHook;
}

/** Called before each protocol step (`acquire-lease`, `put-intent`, `provision`, …); may throw. */
export interface FaultHook {
  before(step: string, groupId: string): void;
}

export type ReconcileOutcome =
  | 'acted' // actions were taken under the lease
  | 'steady' // nothing to do; nothing written
  | 'blocked' // the plan refused to act (paused, too many unhealthy, invalid config)
  | 'busy' // another reconciler holds the lease
  | 'observe-failed' // the provider could not be read: nothing planned
  | 'removed' // a destroying group reached zero instances and was removed
  | 'missing' // no such group
  | 'failed'; // an unexpected error (store or provider); the lease, if taken, expires on its own

export interface ReconcileResult {
  readonly groupId: string;
  readonly outcome: ReconcileOutcome;
  readonly plan?: Plan;
  readonly launched: number;
  readonly terminated: number;
  readonly error?: string;
  /** `classifyError(err)` of the failure behind `error`, for the `Errors` metric's `ErrorClass` dimension. */
  readonly errorClass?: ErrorClass;
  /**
   * A pass that planned without acting (`steady`, `blocked`): the group's status as this pass
   * observed it (or why it is blocked), so that showing it needs no second describe.
   */
  readonly status?: GroupStatus;
}

export interface SweepReport {
  readonly groupsSeen: number;
  readonly results: readonly ReconcileResult[];
  /** Groups not started because the deadline was near (to be fanned out or left to the next sweep). */
  readonly skipped: readonly string[];
  readonly durationMs: number;
}

/** The status view of a group (architecture §6 `status`). */
export interface GroupStatus {
  readonly instances: readonly (ObservedInstance & {
    readonly details?: Readonly<Record<string, string | number>>;
    /** The instance's tags as its provider reports them, the controller's own included. */
    readonly tags?: Readonly<Record<string, string>>;
    /** Groups with load balancers: the instance in each target group that lists it. */
    readonly targets?: MemberTarget[];
  })[];
  readonly converged: boolean;
  readonly blocked?: string;
  readonly lastReconcileAt?: number;
  readonly summary?: string;
  /** What the planner holds back now, and why. */
  readonly holds: readonly Hold[];
  /** The rollout under way, if any. */
  readonly rollout?: RolloutProgress;
  /** The last automatic rollback, until another rollout starts. */
  readonly lastRollback?: string;
  /** With `explain`: the planner's reasoning per instance. */
  readonly explain?: readonly InstanceVerdict[];
}

export interface ReconcileOptions {
  /**
   * Something is known to have happened (an instance stopped, a Spot notice): skip the lock-free
   * pre-check and go straight to the lease, saving one read and one describe on the healing path.
   * Costs the lease's two writes even when there turns out to be nothing to do. @default false
   */
  readonly urgent?: boolean;
  /**
   * An operator asked for this pass: a standing rejection of the current configuration by the
   * provider (an unusable AMI, a missing permission, an account limit) is tried once more, since
   * its cause may have been fixed outside the spec. Goes straight to the lease. @default false
   */
  readonly retryRejected?: boolean;
}

export interface Engine {
  /** One full pass over one group: lease → observe → plan → intents → act → record → release. */
  reconcileGroup(id: string, options?: ReconcileOptions): Promise<ReconcileResult>;
  /** All groups (or `ids`), bounded concurrency, one describe per provider, stops before `deadline`. */
  sweep(options?: { ids?: readonly string[]; deadline?: number; concurrency?: number }): Promise<SweepReport>;
  /** The plan for `spec` against the live observation; writes nothing. */
  pretend(spec: GroupSpec): Promise<Plan>;
  /** Live status of a stored group (observes the provider; writes nothing). */
  status(id: string, options?: { readonly explain?: boolean }): Promise<GroupStatus | undefined>;
}
