import type { Plan } from '../plan/types.js';
import { canonicalJson } from '../spec/hash.js';
import type { GroupState, PlanMemory, StatePatch as StoreStatePatch } from '../store/types.js';
import type { PreparedInput } from './plan-input.js';

/**
 * A configuration the provider rejected (`InvalidConfigurationError`) blocks the group until the
 * spec's config hash changes. The rejected hash is kept inside the `blocked` text itself, so the
 * store needs no extra field and a user reads exactly what is blocked and why.
 */
const REJECTED_PREFIX = 'configuration rejected by the provider';
const REJECTED_HASH = /^configuration rejected by the provider \(config ([0-9a-f]+)\)/;

export function configRejection(hash: string, message: string): string {
  return `${REJECTED_PREFIX} (config ${hash}): ${message}; change the spec's instance or flavor to retry`;
}

/** The config hash a `blocked` reason says was rejected, if it is such a reason. */
export function rejectedConfigHash(blocked: string | undefined): string | undefined {
  return blocked ? REJECTED_HASH.exec(blocked)?.[1] : undefined;
}

/** The state fields a pass writes (besides the intents the store maintains itself). */
export interface StatePatch {
  lastSummary: string;
  blocked: string | undefined;
  healthSince: PreparedInput['healthSince'];
  retiring: PreparedInput['retiring'];
  lifecycleDone: PreparedInput['lifecycleDone'];
  nextCheckAt: number | undefined;
  memory: PlanMemory | undefined;
  lastReconcileAt?: number;
}

/**
 * What the planner must remember after this plan, without empty fields (undefined when nothing),
 * so an unchanged memory compares equal and a steady sweep writes nothing. The last automatic
 * rollback is kept for the status until another rollout starts.
 */
export function memoryOf(plan: Plan, previous: PlanMemory | undefined): PlanMemory | undefined {
  const lastRollback =
    previous?.rollback &&
    (plan.rollout === undefined || plan.rollout.configHash === previous.rollback.restoredConfigHash)
      ? previous.rollback
      : undefined;
  const attempted =
    previous?.rollbackAttempted !== undefined && plan.rollout?.configHash === previous.rollbackAttempted
      ? previous.rollbackAttempted
      : undefined;
  const memory: PlanMemory = {
    ...(plan.rollout ? { rollout: plan.rollout } : {}),
    ...(plan.remediations.length > 0 ? { remediations: plan.remediations } : {}),
    ...(Object.keys(plan.rebooted).length > 0 ? { rebooted: plan.rebooted } : {}),
    ...(lastRollback ? { rollback: lastRollback } : {}),
    ...(attempted !== undefined ? { rollbackAttempted: attempted } : {}),
  };
  return Object.keys(memory).length > 0 ? memory : undefined;
}

/** The state this pass would leave behind. `blocked` prefers a rejected configuration over the plan's reason. */
export function desiredState(
  prepared: PreparedInput,
  plan: Plan,
  rejection: string | undefined,
  previous: PlanMemory | undefined,
): StatePatch {
  return {
    memory: memoryOf(plan, previous),
    lastSummary: rejection ?? plan.summary,
    blocked: rejection ?? plan.blocked?.reason,
    healthSince: prepared.healthSince,
    retiring: prepared.retiring,
    lifecycleDone: prepared.lifecycleDone,
    nextCheckAt: plan.nextCheckAt,
  };
}

/**
 * True when writing `next` would change something a reader cares about. `lastReconcileAt` and
 * `nextCheckAt` alone never justify a write: a steady-state sweep must write nothing at all.
 */
export function stateChanged(state: GroupState, next: StatePatch): boolean {
  return (
    state.lastSummary !== next.lastSummary ||
    state.blocked !== next.blocked ||
    canonicalJson(state.healthSince) !== canonicalJson(next.healthSince) ||
    canonicalJson(state.retiring) !== canonicalJson(next.retiring) ||
    canonicalJson(state.lifecycleDone) !== canonicalJson(next.lifecycleDone) ||
    canonicalJson(state.memory ?? null) !== canonicalJson(next.memory ?? null)
  );
}

/**
 * The store write for `next`: retiring marks are removed key by key (only those this pass saw go),
 * never rewritten, so a mark an events handler merged during the pass survives.
 */
export function toStorePatch(state: GroupState, next: StatePatch): StoreStatePatch {
  const { retiring, lifecycleDone, ...rest } = next;
  const retiringRemove = Object.keys(state.retiring).filter((id) => !(id in retiring));
  const gone = Object.entries(state.lifecycleDone).filter(([id]) => !(id in lifecycleDone));
  return {
    ...rest,
    ...(retiringRemove.length > 0 ? { retiringRemove } : {}),
    ...(gone.length > 0 ? { lifecycleDoneRemove: Object.fromEntries(gone) } : {}),
  };
}
