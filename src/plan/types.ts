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
  /**
   * Waiting in the `launching` lifecycle hook (Pending:Wait): not in service, so planned as
   * starting whatever its health. `until`: the hook's deadline, once announced (epoch ms).
   */
  readonly launching?: { readonly until?: number };
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
  /** The rollout in progress as the previous plan left it (`Plan.rollout`), kept by the engine. */
  readonly rollout?: RolloutProgress;
  /** Epoch ms of past remediation replacements (`Plan.remediations`), for `maxReplacementsPerWindow`. */
  readonly remediations?: readonly number[];
  /** Instance id → epoch ms at which the remediation ladder rebooted it (`Plan.rebooted`, engine-kept). */
  readonly rebooted?: Readonly<Record<string, number>>;
  /** Also give the reasoning per instance (`Plan.explain`); off on the reconcile path. */
  readonly explain?: boolean;
}

/**
 * What the planner remembers of a rollout between passes (pure data, kept by the engine beside the
 * group's state). A rollout is under way while instances on another config remain.
 */
export interface RolloutProgress {
  /** The config hash being rolled out. */
  readonly configHash: string;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Epoch ms of the start, or the last time a new instance became available (the deadline's origin). */
  readonly lastProgressAt: number;
  /** The most instances on the new config seen available at once (progress = a new maximum). */
  readonly bestAvailable: number;
  /** New instances in a row that never became healthy (failed launches included). */
  readonly failedReplacements: number;
  /** New instances already counted in `failedReplacements` (sorted; pruned to the observed). */
  readonly counted: readonly string[];
  /** New instances seen available in this rollout (sorted; pruned to the observed): their later failure is not a failed replacement. */
  readonly provenHealthy: readonly string[];
  /**
   * New instances seen but neither available nor counted yet, less those the plan terminates
   * (sorted): one that vanishes on its own (a process that exited, an instance that shut itself
   * down) never became healthy and counts as a failed replacement.
   */
  readonly watching?: readonly string[];
  /** Set while the rollout is paused (`update.paused` or `paused`): the deadline does not run. */
  readonly paused?: true;
  /** Why the rollout halted; it stays halted until the config changes. */
  readonly halted?: string;
}

export type LaunchReason = 'scale-up' | 'replace' | 'update' | 'missing-logical-id';

export type TerminateReason =
  | 'scale-down'
  | 'duplicate-logical-id'
  | 'unknown-logical-id'
  | 'unhealthy'
  | 'failed'
  | 'outdated'
  | 'retiring'
  /** The engine's, never the planner's: the `launching` hook's result was `abandon`. */
  | 'launch-abandoned';

/** Why the planner leaves an instance (or a step) alone although it would otherwise act. */
export type HoldReason =
  | 'protected'
  | 'max-unhealthy-percent'
  | 'replacement-budget'
  | 'rollout-halted'
  | 'rollout-paused'
  | 'canary'
  | 'availability'
  | 'ladder-exhausted';

/** One thing the planner holds back, with why, for the status and `infrakit group get`. */
export interface Hold {
  /** The instance held back. */
  readonly id: string;
  readonly reason: HoldReason;
  /** One human line, e.g. `outdated, waits: 2 of 3 must stay available (maxUnavailable 1)`. */
  readonly detail: string;
}

/** The planner's reasoning about one observed instance (`GET /groups/{id}?explain=true`). */
export interface InstanceVerdict {
  readonly id: string;
  /** The planner's condition of it: available, warming, starting, unhealthy-waiting, unhealthy-due, failed. */
  readonly condition: string;
  readonly outdated: boolean;
  /** `keep`, `terminate: <reason>`, `reboot`, `retain: <reason>`, `held: <reason>`, `going`. */
  readonly decision: string;
  readonly detail?: string;
}

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
      /**
       * `health.retainForForensics`: the instances (unhealthy or failed) leave the group but keep
       * running, untagged from its membership and tagged `infrakit.retained`, instead of terminated.
       */
      readonly retain?: true;
    }
  | {
      /** The remediation ladder's first step: reboot once, then wait the unhealthy timeout again. */
      readonly kind: 'reboot';
      /** Sorted. */
      readonly ids: readonly string[];
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
  /** What the planner holds back and why, sorted by id then reason. */
  readonly holds: readonly Hold[];
  /** With `input.explain`: the reasoning per observed instance, sorted by id; else empty. */
  readonly explain: readonly InstanceVerdict[];
  /** Instance id → when the ladder rebooted it, this plan's reboots included, for the next pass. */
  readonly rebooted: Readonly<Record<string, number>>;
  /** The rollout to remember for the next pass; undefined when none is under way. */
  readonly rollout?: RolloutProgress;
  /**
   * Set when the rollout halted this pass or earlier and `update.autoRollback` is on: the engine
   * makes the previous version's config current again, naming the failed config.
   */
  readonly rollback?: { readonly failedConfigHash: string; readonly reason: string };
  /**
   * Epoch ms of the remediation replacements within `maxReplacementsPerWindow`, this plan's
   * included (one `now` per replacement it plans), for the next pass's `remediations`.
   */
  readonly remediations: readonly number[];
}
