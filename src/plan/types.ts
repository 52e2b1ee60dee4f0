import type { Health } from '../flavors/types.js';
import type { InstanceState } from '../providers/types.js';
import type { GroupSpec } from '../spec/schema.js';

/** One instance as the planner sees it: provider facts joined with the flavor's health. */
export interface ObservedInstance {
  readonly id: string;
  /** Pets: the `infrakit.logical-id` tag. */
  readonly logicalId?: string;
  /** The `infrakit.config-hash` tag ('' when missing: then it counts as outdated). */
  readonly configHash: string;
  readonly state: InstanceState;
  /** Epoch ms. */
  readonly launchedAt: number;
  readonly health: Health;
  /** Epoch ms since which `health` has held (the engine keeps it when the provider cannot tell). */
  readonly healthSince: number;
  /** Tagged `infrakit.protected=true`: never chosen for scale-down, update or remediation. */
  readonly protected: boolean;
}

/** Launches of an unfinished intent that are not observed yet: counted as if they existed. */
export interface PendingLaunch {
  readonly token: string;
  /** How many instances of this intent are still unobserved. */
  readonly count: number;
  /** Pets: the logical IDs still unobserved. */
  readonly logicalIds?: readonly string[];
  readonly configHash: string;
}

export interface PlanInput {
  readonly spec: GroupSpec;
  /** `configHash(spec)`: instances whose tag differs are outdated. */
  readonly configHash: string;
  readonly instances: readonly ObservedInstance[];
  readonly pending: {
    readonly launches: readonly PendingLaunch[];
    /** Ids with an unfinished terminate intent: already going, never counted as available. */
    readonly terminations: readonly string[];
  };
  /**
   * Instances AWS will take away (Spot interruption, rebalance, scheduled maintenance), with the
   * deadline (epoch ms). Replaced launch-first within `maxSurge`, terminated once a replacement is
   * healthy or the deadline has passed.
   */
  readonly retiring?: ReadonlyMap<string, number>;
}

export type LaunchReason = 'scale-up' | 'replace' | 'update' | 'missing-logical-id';

export type TerminateReason =
  | 'scale-down'
  | 'duplicate-logical-id'
  | 'unknown-logical-id'
  | 'unhealthy'
  | 'failed'
  | 'outdated'
  | 'retiring';

export type PlanAction =
  | {
      readonly kind: 'launch';
      readonly count: number;
      /** Pets: exactly `count` logical IDs, sorted. */
      readonly logicalIds?: readonly string[];
      readonly reason: LaunchReason;
    }
  | {
      readonly kind: 'terminate';
      /** Sorted. */
      readonly ids: readonly string[];
      readonly reason: TerminateReason;
    };

export interface Plan {
  /**
   * Deterministic order: terminations that make room first (failed instances, retiring ones past
   * their deadline, terminate-first replacements when `maxSurge` leaves no room, pet replacements),
   * then launches, then the rest (launch-first replacements, surplus, scale-down). Acting in this
   * order keeps the live count within the update bounds even in the middle of a plan.
   */
  readonly actions: readonly PlanAction[];
  /**
   * Set when the planner refuses to act (paused, too many unhealthy), with the numbers. When
   * remediation is stopped by `maxUnhealthyPercent`, the plan may still carry actions that are not
   * remediation (scale to size, rolling update), as an ASG keeps its desired count while CAPI's
   * health check short-circuits only remediation.
   */
  readonly blocked?: { readonly reason: string };
  /**
   * Earliest epoch ms (after `now`) at which a grace, timeout or minHealthy window ends, or a
   * retiring instance's deadline falls, so the plan may change; undefined when nothing waits on time.
   */
  readonly nextCheckAt?: number;
  /**
   * Nothing left to do or wait for: no actions, not blocked, no launch or termination pending,
   * exactly the declared instances on the current config, and every one available (healthy).
   */
  readonly converged: boolean;
  /** One human line: what the plan does and why (shown by pretend and the CLI). */
  readonly summary: string;
  /** Extra facts worth showing, e.g. protected instances that were skipped. Sorted. */
  readonly notes: readonly string[];
}
