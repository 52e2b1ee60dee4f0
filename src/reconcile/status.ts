import type { InstanceVerdict } from '../plan/types.js';
import type { InstanceDescription } from '../providers/types.js';
import type { GroupRecord } from '../store/types.js';
import type { Decision } from './reconcile-group.js';
import type { MemberTarget } from './registration.js';
import type { GroupStatus } from './types.js';

/** The status of a group that could not be planned (not observed, not resolvable). Pure. */
export function unplannedStatus(record: GroupRecord, reason: string): GroupStatus {
  return {
    instances: [],
    converged: false,
    blocked: reason,
    summary: reason,
    holds: [],
    ...lastReconcile(record),
  };
}

/**
 * The status view of a group from one planned observation: what `engine.status` answers, and what a
 * pass that planned without acting already knows (so a caller need not describe the group again).
 * Pure.
 */
export function plannedStatus(
  record: GroupRecord,
  decision: Decision,
  instances: readonly InstanceDescription[],
  explain?: readonly InstanceVerdict[],
  /** Groups with load balancers: where each member is registered, from the same observation. */
  targets?: ReadonlyMap<string, MemberTarget[]>,
): GroupStatus {
  const memory = decision.desired.memory;
  const described = new Map(instances.map((i) => [i.id, i]));
  const blocked = decision.desired.blocked;
  return {
    instances: decision.prepared.observed.map((i) => {
      const found = described.get(i.id);
      const d = found?.details;
      const t = targets?.get(i.id);
      return {
        ...i,
        ...(d ? { details: d } : {}),
        ...(found ? { tags: found.tags } : {}),
        ...(t ? { targets: t } : {}),
      };
    }),
    converged: decision.plan.converged && decision.actions.length === 0 && blocked === undefined,
    ...(blocked !== undefined ? { blocked } : {}),
    summary: decision.desired.lastSummary,
    holds: decision.plan.holds,
    ...(memory?.rollout ? { rollout: memory.rollout } : {}),
    ...(memory?.rollback ? { lastRollback: memory.rollback.message } : {}),
    ...(explain ? { explain } : {}),
    ...lastReconcile(record),
  };
}

function lastReconcile(record: GroupRecord): { lastReconcileAt?: number } {
  const at = record.state.lastReconcileAt;
  return at !== undefined ? { lastReconcileAt: at } : {};
}
