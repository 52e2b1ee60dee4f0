import type { GroupSpec } from '../spec/schema.js';
import type { ObservedInstance } from './types.js';

/**
 * What the planner makes of one observed instance at `now`:
 *
 * - `failed`: stopped, stopping or shutting-down. Failed at once, whatever its health says.
 * - `unhealthy-due`: unhealthy (or still unknown) for `unhealthyTimeoutSeconds` counted from the
 *   end of its grace period (or from `healthSince`, whichever is later): to be remediated.
 * - `unhealthy-waiting`: past its grace period and unhealthy or unknown, timeout not reached yet.
 * - `starting`: not healthy yet, still inside its grace period (counted from `launchedAt`); or
 *   waiting in its `launching` lifecycle hook (`ObservedInstance.launching`), whatever its health.
 * - `warming`: healthy, but not yet for `minHealthySeconds`.
 * - `available`: healthy for at least `minHealthySeconds`. Only these count as available when the
 *   planner checks `maxUnavailable`.
 *
 * `unknown` past the grace period is treated like `unhealthy`: an instance that never reports
 * healthy is as useless as one that reports unhealthy (CAPI's node startup timeout does the same).
 */
export type Condition =
  | 'failed'
  | 'unhealthy-due'
  | 'unhealthy-waiting'
  | 'starting'
  | 'warming'
  | 'available';

/** One observed instance with the planner's verdict on it. */
export interface Assessed {
  readonly instance: ObservedInstance;
  readonly condition: Condition;
  /** Its config hash differs from the spec's (a missing hash counts as outdated). */
  readonly outdated: boolean;
  /** Deadline (epoch ms) when AWS announced it will take this instance away. */
  readonly retiringAt?: number;
  /** When its condition changes on its own: grace end, unhealthy timeout or minHealthy end. */
  readonly changesAt?: number;
}

/** The health and update timings of a spec, in milliseconds. */
export interface Timings {
  readonly graceMs: number;
  readonly timeoutMs: number;
  readonly minHealthyMs: number;
}

export function timingsOf(spec: GroupSpec): Timings {
  return {
    graceMs: spec.health.gracePeriodSeconds * 1000,
    timeoutMs: spec.health.unhealthyTimeoutSeconds * 1000,
    minHealthyMs: spec.update.minHealthySeconds * 1000,
  };
}

const FAILED_STATES: ReadonlySet<string> = new Set(['stopped', 'stopping', 'shutting-down']);

/**
 * Classifies one instance; pure, `now` explicit. Every result has the same shape (absent times are
 * `undefined`), which keeps this hot path monomorphic when a sweep plans 100,000 instances.
 */
export function assess(
  instance: ObservedInstance,
  timings: Timings,
  configHash: string,
  now: number,
  retiringAt: number | undefined,
  /** When the remediation ladder rebooted it: the unhealthy timeout starts again from there. */
  rebootedAt?: number,
): Assessed {
  const outdated = instance.configHash !== configHash || instance.configHash === '';
  let condition: Condition;
  let changesAt: number | undefined;
  if (FAILED_STATES.has(instance.state)) condition = 'failed';
  else if (instance.launching) {
    // Not in service until its launching hook is over: neither available nor unhealthy.
    condition = 'starting';
    changesAt = instance.launching.until;
  } else if (instance.health === 'healthy') {
    const availableAt = instance.healthSince + timings.minHealthyMs;
    condition = now >= availableAt ? 'available' : 'warming';
    if (condition === 'warming') changesAt = availableAt;
  } else {
    const graceEnd = instance.launchedAt + timings.graceMs;
    // The timeout starts when the grace period ends: an instance still booting is not "unhealthy".
    const dueAt = Math.max(instance.healthSince, graceEnd, rebootedAt ?? 0) + timings.timeoutMs;
    if (now < graceEnd) {
      condition = 'starting';
      changesAt = graceEnd;
    } else if (now >= dueAt) condition = 'unhealthy-due';
    else {
      condition = 'unhealthy-waiting';
      changesAt = dueAt;
    }
  }
  return { instance, condition, outdated, retiringAt, changesAt };
}

/** Failed or unhealthy past its timeout: what remediation acts on (and what `maxUnhealthyPercent` counts). */
export function needsRemediation(a: Assessed): boolean {
  return a.condition === 'failed' || a.condition === 'unhealthy-due';
}

/** Failed or unhealthy past its grace period: "unhealthy" in the scale-down order. */
export function isUnhealthy(a: Assessed): boolean {
  return a.condition === 'failed' || a.condition === 'unhealthy-due' || a.condition === 'unhealthy-waiting';
}

export function isAvailable(a: Assessed): boolean {
  return a.condition === 'available';
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The order in which instances are chosen for removal: unhealthy first (failed before merely
 * unhealthy), then outdated, then oldest (`launchedAt` ascending), then id, so ties are stable.
 * `rank` replaces the age key where another order is wanted (pets: their declared position).
 */
export function removalOrder(rank?: (a: Assessed) => number): (a: Assessed, b: Assessed) => number {
  const health = (x: Assessed) =>
    x.condition === 'failed' ? 0 : x.condition === 'unhealthy-due' ? 1 : isUnhealthy(x) ? 2 : 3;
  return (a, b) =>
    health(a) - health(b) ||
    Number(b.outdated) - Number(a.outdated) ||
    (rank ? rank(a) - rank(b) : a.instance.launchedAt - b.instance.launchedAt) ||
    byString(a.instance.id, b.instance.id);
}

/** Sorts ids (plain code-unit order, locale-independent). */
export function sortIds(ids: readonly string[]): string[] {
  return [...ids].sort(byString);
}
