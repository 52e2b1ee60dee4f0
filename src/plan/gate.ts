import type { RemediationStep } from '../spec/schema.js';
import type { ProtectedSkips } from './actions.js';
import { type Assessed, needsRemediation, sortIds } from './health.js';
import type { Hold, HoldReason, TerminateReason } from './types.js';

/** Why an instance must leave the group eventually (replaced one for one), or be rebooted first. */
export type ReplaceKind = 'remediate' | 'retire' | 'update';

/** What is held back this plan, by instance; rendered sorted. */
export class Holds {
  readonly #holds = new Map<string, Hold>();

  hold(id: string, reason: HoldReason, detail: string): void {
    // The first reason found for an instance is the one that decided.
    if (!this.#holds.has(id)) this.#holds.set(id, { id, reason, detail });
  }

  get(id: string): Hold | undefined {
    return this.#holds.get(id);
  }

  list(): Hold[] {
    return sortIds([...this.#holds.keys()]).map((id) => this.#holds.get(id) as Hold);
  }
}

/** The policy the gate applies this pass. */
export interface GatePolicy {
  /** `maxUnhealthyPercent` tripped: the reason, with the numbers. */
  readonly remediationBlocked?: string;
  /** The rollout halted: the reason. */
  readonly rolloutHalted?: string;
  readonly updatePaused: boolean;
  readonly ladder: readonly RemediationStep[];
  readonly rebooted: Readonly<Record<string, number>>;
  /** Remediation replacements left in `maxReplacementsPerWindow`. */
  readonly budgetLeft: number;
}

/** The termination reason for a replaced instance. */
export function terminateReason(a: Assessed, kind: ReplaceKind): TerminateReason {
  if (kind === 'remediate') return a.condition === 'failed' ? 'failed' : 'unhealthy';
  return kind === 'retire' ? 'retiring' : 'outdated';
}

/**
 * Decides, instance by instance (in removal order, so a limited budget or wave goes to the most
 * urgent first), which replacement an instance needs now, and records every one it holds back
 * with why. Remediation wins over retiring and retiring over update. Holding back:
 *
 * - a protected instance is never chosen (it keeps its slot);
 * - above `maxUnhealthyPercent` failed and unhealthy instances are frozen where they are: not even
 *   a rolling update replaces them, since that would be remediation by another name;
 * - a halted rollout replaces no outdated instance (its failing new ones are terminated as usual,
 *   and `ActionList.holdLaunches` keeps it from launching more);
 * - the ladder reboots before it replaces; a ladder without `replace` ends at its reboot;
 * - `maxReplacementsPerWindow` bounds remediation replacements across passes;
 * - `update.paused` and a halted rollout hold outdated instances (the canary wave is applied by
 *   the group planners, which know what is in flight).
 */
export class ReplacementGate {
  readonly #policy: GatePolicy;
  readonly #holds: Holds;
  readonly #skips: ProtectedSkips;
  #budgetLeft: number;
  readonly #reboots: string[] = [];

  constructor(policy: GatePolicy, holds: Holds, skips: ProtectedSkips) {
    this.#policy = policy;
    this.#holds = holds;
    this.#skips = skips;
    this.#budgetLeft = policy.budgetLeft;
  }

  /** Instances the ladder reboots this plan (sorted). */
  reboots(): string[] {
    return sortIds(this.#reboots);
  }

  kind(a: Assessed): ReplaceKind | undefined {
    const kind = this.#wanted(a);
    if (kind === undefined) return undefined;
    const id = a.instance.id;
    if (a.instance.protected) {
      const why = terminateReason(a, kind);
      this.#skips.skip(id, why);
      this.#holds.hold(id, 'protected', `${why}, but tagged infrakit.protected=true`);
      return undefined;
    }
    if (kind === 'remediate') return this.#remediate(a);
    if (kind === 'update') return this.#update(a);
    return kind;
  }

  #wanted(a: Assessed): ReplaceKind | undefined {
    if (needsRemediation(a)) return 'remediate';
    if (a.retiringAt !== undefined) return 'retire';
    if (a.outdated) return 'update';
    return undefined;
  }

  #remediate(a: Assessed): ReplaceKind | undefined {
    const p = this.#policy;
    const id = a.instance.id;
    const what = a.condition === 'failed' ? 'failed' : 'unhealthy past its timeout';
    if (p.remediationBlocked !== undefined) {
      this.#holds.hold(id, 'max-unhealthy-percent', `${what}: ${p.remediationBlocked}`);
      return undefined;
    }
    if (a.condition !== 'failed') {
      if (p.ladder[0] === 'reboot' && p.rebooted[id] === undefined) {
        this.#reboots.push(id);
        return undefined;
      }
      if (!p.ladder.includes('replace')) {
        this.#holds.hold(
          id,
          'ladder-exhausted',
          `${what} after its reboot; health.remediation has no replace`,
        );
        return undefined;
      }
    }
    if (this.#budgetLeft <= 0) {
      this.#holds.hold(id, 'replacement-budget', `${what}: maxReplacementsPerWindow used up`);
      return undefined;
    }
    this.#budgetLeft -= 1;
    return 'remediate';
  }

  #update(a: Assessed): ReplaceKind | undefined {
    const p = this.#policy;
    const id = a.instance.id;
    if (p.updatePaused) {
      this.#holds.hold(id, 'rollout-paused', 'outdated: update.paused is true');
      return undefined;
    }
    if (p.rolloutHalted !== undefined) {
      this.#holds.hold(id, 'rollout-halted', `outdated, kept: ${p.rolloutHalted}`);
      return undefined;
    }
    return 'update';
  }
}

/**
 * How many outdated instances may be replaced this pass with `update.canary`: first the canary, and
 * once as many new instances are available, waves as large as the new instances proven so far
 * (1, 1, 2, 4, … for a canary of 1), less the new instances still on their way.
 */
export function waveSize(canary: number, updatedAvailable: number, inFlight: number): number {
  if (canary <= 0) return Number.POSITIVE_INFINITY;
  return Math.max(0, Math.max(canary, updatedAvailable) - inFlight);
}
