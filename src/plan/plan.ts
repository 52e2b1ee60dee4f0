import { ActionList, ProtectedSkips } from './actions.js';
import { planCattle } from './cattle.js';
import type { GroupContext } from './context.js';
import { explainInstances } from './explain.js';
import { Holds, ReplacementGate, waveSize } from './gate.js';
import { type Assessed, assess, isAvailable, needsRemediation, timingsOf } from './health.js';
import { remediationLimit } from './limits.js';
import { planPets } from './pets.js';
import { deadlineOf, trackRollout, unwatch } from './progress.js';
import { summarize } from './summary.js';
import type { ObservedInstance, Plan, PlanAction, PlanInput, RolloutProgress } from './types.js';
import { replacementWindow } from './window.js';

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

/** A plan that does nothing, for `reason` (the group could not be observed or planned). */
export function refusedPlan(reason: string): Plan {
  return {
    actions: [],
    blocked: { reason },
    converged: false,
    summary: reason,
    notes: [],
    holds: [],
    explain: [],
    remediations: [],
    rebooted: {},
  };
}

/** What every plan carries beside its actions, paused or not. */
interface Carried {
  readonly rollout: RolloutProgress | undefined;
  readonly remediations: readonly number[];
  readonly rebooted: Readonly<Record<string, number>>;
}

function pausedPlan(input: PlanInput, observed: readonly Assessed[], carried: Carried): Plan {
  const desired = input.spec.allocation.logicalIds?.length ?? input.spec.allocation.size ?? 0;
  const available = observed.filter(isAvailable).length;
  return {
    actions: [],
    blocked: { reason: 'paused: spec.paused is true, no action is taken' },
    converged: false,
    summary: `paused: no actions (${Math.min(available, desired)}/${desired} healthy)`,
    notes: [],
    holds: [],
    explain: [],
    ...(carried.rollout ? { rollout: carried.rollout } : {}),
    remediations: carried.remediations,
    rebooted: carried.rebooted,
  };
}

function pendingCounts(input: PlanInput): { pendingOld: number; pendingCurrent: number } {
  let pendingOld = 0;
  let pendingCurrent = 0;
  for (const p of input.pending.launches) {
    if (p.configHash === input.configHash) pendingCurrent += p.count;
    else pendingOld += p.count;
  }
  return { pendingOld, pendingCurrent };
}

/** New-config instances proven (available), and the ones still on their way (for the canary wave). */
function waveCounts(input: PlanInput, observed: readonly Assessed[]): { proven: number; inFlight: number } {
  let proven = 0;
  let inFlight = input.pending.launches.reduce(
    (n, p) => n + (p.configHash === input.configHash ? p.count : 0),
    0,
  );
  for (const a of observed) {
    if (a.outdated) continue;
    if (isAvailable(a)) proven += 1;
    else if (!needsRemediation(a)) inFlight += 1;
  }
  return { proven, inFlight };
}

function hasKeys(record: Readonly<Record<string, number>>): boolean {
  for (const _ in record) return true;
  return false;
}

/** The ladder's reboots to remember: earlier ones of instances still unhealthy, and this plan's. */
function nextRebooted(
  previous: Readonly<Record<string, number>> | undefined,
  observed: readonly Assessed[],
  reboots: readonly string[],
  now: number,
): Readonly<Record<string, number>> {
  const next: Record<string, number> = {};
  if (previous) {
    // Once healthy again, an instance's next bad spell starts the ladder from its first step.
    for (const a of observed) {
      const at = previous[a.instance.id];
      if (at !== undefined && !isAvailable(a)) next[a.instance.id] = at;
    }
  }
  for (const id of reboots) next[id] = now;
  return next;
}

function earliest(...times: readonly (number | undefined)[]): number | undefined {
  let next: number | undefined;
  for (const t of times) if (t !== undefined && (next === undefined || t < next)) next = t;
  return next;
}

/** Terminations for remediation (failed or unhealthy): kept running instead with `retainForForensics`. */
function isRemediation(a: PlanAction): boolean {
  return a.kind === 'terminate' && (a.reason === 'unhealthy' || a.reason === 'failed');
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
 * - A rollout (`progress.ts`) halts after `maxFailedReplacements` new instances in a row never
 *   became healthy, or when none did within `progressDeadlineSeconds`. Halted, it launches
 *   nothing, replaces no outdated instance and freezes its own failing ones; the plan asks the
 *   engine to roll back (`rollback`) when `autoRollback` is on. Old healthy instances are only
 *   ever removed within `maxUnavailable`, and never by a halted rollout.
 * - `update.paused` holds outdated instances only; healing and scaling go on.
 * - Every instance held back is listed in `holds` with why.
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
  const rebooted = input.rebooted !== undefined && hasKeys(input.rebooted) ? input.rebooted : undefined;
  const observed: Assessed[] = [];
  const going: ObservedInstance[] = [];
  for (const instance of sortedUnique(input.instances)) {
    if (goingIds?.has(instance.id)) going.push(instance);
    else
      observed.push(
        assess(instance, timings, input.configHash, now, retiring?.get(instance.id), rebooted?.[instance.id]),
      );
  }
  const tracked = trackRollout(input.rollout, {
    spec,
    configHash: input.configHash,
    observed,
    ...pendingCounts(input),
    desired: spec.allocation.logicalIds?.length ?? spec.allocation.size ?? 0,
    going: new Set(going.map((g) => g.id)),
    now,
  });
  let rollout = tracked;
  const window = replacementWindow(spec, input.remediations ?? [], now);
  if (spec.paused)
    return pausedPlan(input, observed, {
      rollout,
      remediations: window.recent,
      rebooted: nextRebooted(rebooted, observed, [], now),
    });

  const limit = remediationLimit(observed, spec.health.maxUnhealthyPercent);
  const halted = rollout?.halted;
  const wave = waveCounts(input, observed);
  const actions = new ActionList();
  const skips = new ProtectedSkips();
  const holds = new Holds();
  if (halted !== undefined) actions.holdLaunches(halted);
  const gate = new ReplacementGate(
    {
      ...(limit.blockedReason !== undefined ? { remediationBlocked: limit.blockedReason } : {}),
      ...(halted !== undefined ? { rolloutHalted: halted } : {}),
      updatePaused: spec.update.paused,
      ladder: spec.health.remediation,
      rebooted: rebooted ?? {},
      budgetLeft: window.left,
    },
    holds,
    skips,
  );
  const ctx: GroupContext = {
    spec,
    configHash: input.configHash,
    now,
    observed,
    going,
    pendingLaunches: input.pending.launches,
    gate,
    holds,
    wave: waveSize(spec.update.canary, wave.proven, wave.inFlight),
    halted: halted !== undefined,
    actions,
    skips,
  };
  const logicalIds = spec.allocation.logicalIds;
  const outcome = logicalIds ? planPets(ctx, logicalIds) : planCattle(ctx, spec.allocation.size ?? 0);
  actions.reboot(gate.reboots());
  skips.writeTo(actions);

  let list = actions.actions();
  if (rollout?.watching)
    rollout = unwatch(rollout, new Set(list.flatMap((a) => (a.kind === 'terminate' ? a.ids : []))));
  if (spec.health.retainForForensics)
    list = list.map((a) =>
      a.kind === 'terminate' && isRemediation(a) ? { ...a, retain: true as const } : a,
    );
  let replaced = 0;
  for (const a of list) if (a.kind === 'terminate' && isRemediation(a)) replaced += a.ids.length;
  const blockedReason = halted ?? limit.blockedReason;
  const blocked = blockedReason !== undefined ? { reason: blockedReason } : undefined;
  const holdList = holds.list();
  const nextCheckAt = earliest(
    nextCheck(observed, now),
    deadlineOf(rollout, spec),
    holdList.some((h) => h.reason === 'replacement-budget') ? window.freesAt : undefined,
  );
  return {
    actions: list,
    ...(blocked ? { blocked } : {}),
    ...(nextCheckAt !== undefined ? { nextCheckAt } : {}),
    converged: list.length === 0 && blocked === undefined && outcome.settled,
    summary: summarize(list, outcome, blocked),
    notes: actions.notes(),
    holds: holdList,
    explain: input.explain ? explainInstances(observed, going, list, holds) : [],
    ...(rollout ? { rollout } : {}),
    ...(halted !== undefined && spec.update.autoRollback && rollout
      ? { rollback: { failedConfigHash: rollout.configHash, reason: halted } }
      : {}),
    remediations:
      replaced > 0 ? [...window.recent, ...Array.from({ length: replaced }, () => now)] : window.recent,
    rebooted: nextRebooted(rebooted, observed, gate.reboots(), now),
  };
}
