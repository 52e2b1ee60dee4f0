import type { GroupSpec } from '../spec/schema.js';
import { type Assessed, isAvailable, needsRemediation, sortIds } from './health.js';
import type { RolloutProgress } from './types.js';

/** What the tracker needs to know of the group this pass. */
export interface RolloutView {
  readonly spec: GroupSpec;
  readonly configHash: string;
  /** Observed instances, not going. */
  readonly observed: readonly Assessed[];
  /** Unobserved launches of another config are still part of the old fleet. */
  readonly pendingOld: number;
  /** Unobserved launches of the new config: not proven yet. */
  readonly pendingCurrent: number;
  /** `size`, or the number of logical IDs. */
  readonly desired: number;
  /** Observed instances with an unfinished terminate intent (gone by our hand, not by failing). */
  readonly going: ReadonlySet<string>;
  readonly now: number;
}

/** Outdated instances remain that are not protected (a protected one never rolls). */
function rolling(v: RolloutView): boolean {
  return v.pendingOld > 0 || v.observed.some((a) => a.outdated && !a.instance.protected);
}

/**
 * A rollout under way is over once nothing outdated is left and the group is full of available
 * new instances (protected ones fill their slot): until then it may still fail, and its old
 * instances may all be gone already (within maxUnavailable).
 */
function finished(v: RolloutView): boolean {
  if (rolling(v) || v.pendingCurrent > 0) return false;
  let filled = 0;
  for (const a of v.observed) if (a.instance.protected || (!a.outdated && isAvailable(a))) filled += 1;
  return filled >= v.desired;
}

function fresh(v: RolloutView): RolloutProgress {
  return {
    configHash: v.configHash,
    startedAt: v.now,
    lastProgressAt: v.now,
    bestAvailable: v.observed.filter((a) => !a.outdated && isAvailable(a)).length,
    failedReplacements: 0,
    counted: [],
    provenHealthy: [],
  };
}

/**
 * A rollout's progress after this pass (pure). Progress is a new maximum of instances on the new
 * config available at once: it restarts the deadline and breaks a row of failures. A new
 * instance that fails, or stays unhealthy past its timeout, without ever having been available in
 * this rollout counts once as a failed replacement (a failed launch is counted by the engine,
 * `withFailedLaunches`). While paused (`update.paused` or `paused`) the deadline does not run, and
 * a resumed rollout has its whole deadline again. A halted rollout stays
 * halted until the config changes: only a new version (a fix, or the rollback) goes on.
 *
 * Returns undefined when no rollout is under way (nothing outdated left and nothing halted).
 */
export function trackRollout(
  previous: RolloutProgress | undefined,
  v: RolloutView,
): RolloutProgress | undefined {
  const same = previous !== undefined && previous.configHash === v.configHash;
  if (same ? previous.halted === undefined && finished(v) : !rolling(v)) return undefined;
  const base = same ? previous : fresh(v);
  if (base.halted !== undefined) return base;

  const observedIds = new Set(v.observed.map((a) => a.instance.id));
  const proven = new Set(base.provenHealthy.filter((id) => observedIds.has(id)));
  const counted = new Set(base.counted.filter((id) => observedIds.has(id)));
  let failed = base.failedReplacements;
  // Watched new instances gone without our termination never became healthy: each is a failure.
  // While a launch is unfinished, one not seen may only be late (EC2 shows new instances late).
  const watching: string[] = [];
  for (const id of base.watching ?? []) {
    if (observedIds.has(id) || v.going.has(id)) continue;
    if (v.pendingCurrent > 0) watching.push(id);
    else failed += 1;
  }
  let available = 0;
  for (const a of v.observed) {
    if (a.outdated) continue;
    const id = a.instance.id;
    if (isAvailable(a)) {
      available += 1;
      proven.add(id);
    } else if (needsRemediation(a) && !proven.has(id) && !counted.has(id)) {
      counted.add(id);
      failed += 1;
    } else if (!proven.has(id) && !counted.has(id)) watching.push(id);
  }
  const progressed = available > base.bestAvailable;
  const paused = v.spec.update.paused || v.spec.paused;
  // A resumed rollout gets its whole deadline again (the mark changes once, not every pass).
  const resumed = base.paused === true && !paused;
  const next: RolloutProgress = {
    configHash: v.configHash,
    startedAt: base.startedAt,
    lastProgressAt: progressed || resumed ? v.now : base.lastProgressAt,
    bestAvailable: Math.max(available, base.bestAvailable),
    failedReplacements: progressed ? 0 : failed,
    counted: sortIds([...counted]),
    provenHealthy: sortIds([...proven]),
    ...(watching.length > 0 ? { watching: sortIds(watching) } : {}),
    ...(paused ? { paused: true as const } : {}),
  };
  const halted = haltReason(next, v);
  return halted === undefined ? next : { ...next, halted };
}

function tooManyFailures(p: RolloutProgress, max: number): string | undefined {
  if (p.failedReplacements < max) return undefined;
  return (
    `rollout of config ${p.configHash} halted: ${p.failedReplacements} new instances in a row ` +
    `never became healthy (maxFailedReplacements ${max})`
  );
}

function haltReason(p: RolloutProgress, v: RolloutView): string | undefined {
  const { maxFailedReplacements, progressDeadlineSeconds } = v.spec.update;
  const failures = tooManyFailures(p, maxFailedReplacements);
  if (failures !== undefined) return failures;
  if (p.paused !== true && v.now - p.lastProgressAt >= progressDeadlineSeconds * 1000)
    return (
      `rollout of config ${p.configHash} halted: no new instance became healthy within ` +
      `progressDeadlineSeconds ${progressDeadlineSeconds}`
    );
  return undefined;
}

/** The progress less the instances this plan terminates: their going is not a failure. */
export function unwatch(p: RolloutProgress, terminated: ReadonlySet<string>): RolloutProgress {
  if (!p.watching?.some((id) => terminated.has(id))) return p;
  const watching = (p.watching ?? []).filter((id) => !terminated.has(id));
  const { watching: _old, ...rest } = p;
  return watching.length > 0 ? { ...rest, watching } : rest;
}

/** When the rollout's deadline falls, if it is running (for `nextCheckAt`). */
export function deadlineOf(p: RolloutProgress | undefined, spec: GroupSpec): number | undefined {
  if (p === undefined || p.halted !== undefined || p.paused === true) return undefined;
  return p.lastProgressAt + spec.update.progressDeadlineSeconds * 1000;
}

/**
 * The progress after `count` launches of the rolled-out config failed outright (the provider
 * refused or the call failed): each counts as one failed replacement, and may halt the rollout.
 */
export function withFailedLaunches(p: RolloutProgress, count: number, spec: GroupSpec): RolloutProgress {
  if (p.halted !== undefined || count <= 0) return p;
  const next = { ...p, failedReplacements: p.failedReplacements + count };
  const halted = tooManyFailures(next, spec.update.maxFailedReplacements);
  return halted === undefined ? next : { ...next, halted };
}
