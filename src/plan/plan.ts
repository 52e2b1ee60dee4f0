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
  let next: number | undefined;
  for (const a of observed) {
    for (const t of [a.changesAt, a.retiringAt]) {
      if (t !== undefined && t > now && (next === undefined || t < next)) next = t;
    }
  }
  return next;
}

function pausedPlan(input: PlanInput, observed: readonly Assessed[]): Plan {
  const desired = input.spec.allocation.logicalIds?.length ?? input.spec.allocation.size ?? 0;
  const available = observed.filter(isAvailable).length;
  return {
    actions: [],
    blocked: { reason: 'paused: spec.paused is true, no action is taken' },
    summary: `paused: no actions (${Math.min(available, desired)}/${desired} healthy)`,
    notes: [],
  };
}

/**
 * The planner: what to launch and terminate so that the observed instances become the declared
 * ones, within the spec's update and health bounds. Pure and deterministic: no I/O, no clock
 * (`now` is passed in), and the same input (in any instance order) gives the same plan, with ids
 * and notes sorted and actions in a fixed order.
 */
export function plan(input: PlanInput, now: number): Plan {
  const { spec } = input;
  const timings = timingsOf(spec);
  const goingIds = new Set(input.pending.terminations);
  const observed: Assessed[] = [];
  const going: ObservedInstance[] = [];
  const seen = new Set<string>();
  for (const instance of [...input.instances].sort(byId)) {
    if (seen.has(instance.id)) continue; // a double report of one instance is still one instance
    seen.add(instance.id);
    if (goingIds.has(instance.id)) going.push(instance);
    else observed.push(assess(instance, timings, input.configHash, now, input.retiring?.get(instance.id)));
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
    summary: summarize(list, outcome, blocked),
    notes: actions.notes(),
  };
}
