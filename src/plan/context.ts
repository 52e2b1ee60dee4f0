import type { GroupSpec } from '../spec/schema.js';
import type { ActionList, ProtectedSkips } from './actions.js';
import { type Assessed, needsRemediation } from './health.js';
import type { ObservedInstance, PendingLaunch, TerminateReason } from './types.js';

/** Everything the cattle and pets planners share for one group and one `now`. */
export interface GroupContext {
  readonly spec: GroupSpec;
  readonly configHash: string;
  readonly now: number;
  /** Observed instances not already being terminated, assessed, sorted by id. */
  readonly observed: readonly Assessed[];
  /** Observed instances with an unfinished terminate intent: going, never counted, never re-chosen. */
  readonly going: readonly ObservedInstance[];
  readonly pendingLaunches: readonly PendingLaunch[];
  /** Remediation stopped by `maxUnhealthyPercent`: failed and unhealthy instances are left as they are. */
  readonly remediationBlocked: boolean;
  readonly actions: ActionList;
  readonly skips: ProtectedSkips;
}

/** What a group planner reports back for the summary line. */
export interface GroupOutcome {
  /** `size`, or the number of logical IDs. */
  readonly desired: number;
  /** Instances counted before this plan (observed, not going, plus unobserved launches). */
  readonly current: number;
  /** Available instances that fill the group's slots. */
  readonly available: number;
  /** Of those, the ones on the spec's config hash. */
  readonly updated: number;
  /** Instances launched but not yet available (starting, warming, unobserved launches). */
  readonly starting: number;
  /** Outdated instances remain that the planner will replace. */
  readonly rolling: boolean;
  /** Exactly the declared instances, all available and on the current config, nothing pending. */
  readonly settled: boolean;
}

/** Why an instance must leave the group eventually (replaced one for one). */
export type ReplaceKind = 'remediate' | 'retire' | 'update';

/**
 * Which replacement, if any, an instance needs. Remediation wins over retiring and retiring over
 * update. While remediation is blocked, failed and unhealthy instances are frozen where they are:
 * not even a rolling update replaces them, since that would be remediation by another name.
 */
export function replaceKind(a: Assessed, remediationBlocked: boolean): ReplaceKind | undefined {
  if (needsRemediation(a)) return remediationBlocked ? undefined : 'remediate';
  if (a.retiringAt !== undefined) return 'retire';
  if (a.outdated) return 'update';
  return undefined;
}

/** The termination reason for a replaced instance. */
export function terminateReason(a: Assessed, kind: ReplaceKind): TerminateReason {
  if (kind === 'remediate') return a.condition === 'failed' ? 'failed' : 'unhealthy';
  return kind === 'retire' ? 'retiring' : 'outdated';
}

/** Failed, or retiring with its deadline passed: terminated at once, AWS takes it anyway. */
export function goesAtOnce(a: Assessed, kind: ReplaceKind, now: number): boolean {
  return a.condition === 'failed' || (kind === 'retire' && a.retiringAt !== undefined && a.retiringAt <= now);
}
