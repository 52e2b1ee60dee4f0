import type { GroupSpec } from '../spec/schema.js';
import type { ActionList, ProtectedSkips } from './actions.js';
import { type Holds, type ReplaceKind, type ReplacementGate, terminateReason } from './gate.js';
import type { Assessed } from './health.js';
import type { ObservedInstance, PendingLaunch } from './types.js';

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
  /** Which replacement each instance gets now, and what is held back (`gate.ts`). */
  readonly gate: ReplacementGate;
  readonly holds: Holds;
  /** Outdated instances that may be replaced this pass (`update.canary`); Infinity without a canary. */
  readonly wave: number;
  /** The rollout halted: no outdated instance is removed, not even as surplus. */
  readonly halted: boolean;
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

/** Failed, or retiring with its deadline passed: terminated at once, AWS takes it anyway. */
export function goesAtOnce(a: Assessed, kind: ReplaceKind, now: number): boolean {
  return a.condition === 'failed' || (kind === 'retire' && a.retiringAt !== undefined && a.retiringAt <= now);
}

/** An instance to be replaced, and why. */
export interface Leaving {
  readonly a: Assessed;
  readonly kind: ReplaceKind;
}

/** Why a leaving instance stays this pass: the canary's wave, or availability (it goes once its replacement is available). */
export function holdLeaving(ctx: GroupContext, l: Leaving, minAvailable: number, byWave: boolean): void {
  const why = terminateReason(l.a, l.kind);
  if (byWave)
    ctx.holds.hold(
      l.a.instance.id,
      'canary',
      `${why}, waits for the current wave (canary ${ctx.spec.update.canary}) to become available`,
    );
  else
    ctx.holds.hold(
      l.a.instance.id,
      'availability',
      `${why}, goes once a replacement is available (${minAvailable} must stay available)`,
    );
}
