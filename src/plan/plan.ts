import { ActionList, ProtectedSkips } from './actions.js';
import { planCattle } from './cattle.js';
import type { GroupContext } from './context.js';
import { type Assessed, assess, isAvailable, timingsOf } from './health.js';
import { remediationLimit } from './limits.js';
import { planPets } from './pets.js';
import { summarize } from './summary.js';
import type { ObservedInstance, Plan, PlanInput } from './types.js';

function byId(a: ObservedInstance, b: ObservedInstance): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Earliest future moment at which some instance's condition changes on its own, or a deadline falls. */
function nextCheck(observed: readonly Assessed[], now: number): number | undefined {
  let next = Number.POSITIVE_INFINITY;
  for (const a of observed) {
    if (a.changesAt !== undefined && a.changesAt > now && a.changesAt < next) next = a.changesAt;
    if (a.retiringAt !== undefined && a.retiringAt > now && a.retiringAt < next) next = a.retiringAt;
  }
  return next === Number.POSITIVE_INFINITY ? undefined : next;
}

/** The instances sorted by id (copied only when the caller's order differs), duplicates dropped. */
function sortedUnique(instances: readonly ObservedInstance[]): readonly ObservedInstance[] {
  let sorted = true;
  for (let i = 1; i < instances.length && sorted; i += 1) {
    sorted = byId(instances[i - 1] as ObservedInstance, instances[i] as ObservedInstance) < 0;
  }
  if (sorted) return instances;
  // A double report of one instance is still one instance: adjacent after sorting.
  return [...instances].sort(byId).filter((x, i, all) => i === 0 || all[i - 1]?.id !== x.id);
}

function pausedPlan(input: PlanInput, observed: readonly Assessed[]): Plan {
  const desired = input.spec.allocation.logicalIds?.length ?? input.spec.allocation.size ?? 0;
  const available = observed.filter(isAvailable).length;
  return {
    actions: [],
    blocked: { reason: 'paused: spec.paused is true, no action is taken' },
    converged: false,
    summary: `paused: no actions (${Math.min(available, desired)}/${desired} healthy)`,
    notes: [],
  };
}

/**
 * Decisions where the issue leaves room, as an EC2 Auto Scaling / Cluster API operator expects:
 *
 * - Remediation limit (`maxUnhealthyPercent`) counts failed plus unhealthy-past-timeout over the
 *   observed instances, rounded up to whole instances (a group of 1 can repair its only instance;
 *   0 turns remediation off). Above it only remediation stops, as CAPI's short-circuit does:
 *   scaling to size and rolling updates go on, like an ASG keeping its desired count.
 * - Protected instances keep their slot (they count toward size) and are never chosen; every one
 *   passed over is named in `notes`.
 * - Pets cannot surge, so with `maxUnavailable: 0` they are replaced one at a time (noted).
 * - A retiring instance's replacement is launched within `maxSurge`; the instance goes once the
 *   group stays at `size` available without it, or at its deadline.
 * - `unknown` health past the grace period counts as unhealthy.
 *
 * The planner: what to launch and terminate so that the observed instances become the declared
 * ones, within the spec's update and health bounds. Pure and deterministic: no I/O, no clock
 * (`now` is passed in), and the same input (in any instance order) gives the same plan, with ids
 * and notes sorted and actions in a fixed order.
 */
export function plan(input: PlanInput, now: number): Plan {
  const { spec } = input;
  const timings = timingsOf(spec);
  const goingIds = input.pending.terminations.length > 0 ? new Set(input.pending.terminations) : undefined;
  const retiring = input.retiring !== undefined && input.retiring.size > 0 ? input.retiring : undefined;
  const observed: Assessed[] = [];
  const going: ObservedInstance[] = [];
  for (const instance of sortedUnique(input.instances)) {
    if (goingIds?.has(instance.id)) going.push(instance);
    else observed.push(assess(instance, timings, input.configHash, now, retiring?.get(instance.id)));
  }
  if (spec.paused) return pausedPlan(input, observed);

  const limit = remediationLimit(observed, spec.health.maxUnhealthyPercent);
  const actions = new ActionList();
  const skips = new ProtectedSkips();
  const ctx: GroupContext = {
    spec,
    configHash: input.configHash,
    now,
    observed,
    going,
    pendingLaunches: input.pending.launches,
    remediationBlocked: limit.blockedReason !== undefined,
    actions,
    skips,
  };
  const logicalIds = spec.allocation.logicalIds;
  const outcome = logicalIds ? planPets(ctx, logicalIds) : planCattle(ctx, spec.allocation.size ?? 0);
  skips.writeTo(actions);

  const list = actions.actions();
  const blocked = limit.blockedReason !== undefined ? { reason: limit.blockedReason } : undefined;
  const nextCheckAt = nextCheck(observed, now);
  return {
    actions: list,
    ...(blocked ? { blocked } : {}),
    ...(nextCheckAt !== undefined ? { nextCheckAt } : {}),
    converged: list.length === 0 && blocked === undefined && outcome.settled,
    summary: summarize(list, outcome, blocked),
    notes: actions.notes(),
  };
}
