import { type GroupContext, type GroupOutcome, goesAtOnce, holdLeaving, type Leaving } from './context.js';
import { terminateReason } from './gate.js';
import { type Assessed, isAvailable, needsRemediation, removalOrder } from './health.js';
import { AvailabilityBudget, rolloutBounds } from './rollout.js';

/**
 * Cattle: `size` interchangeable instances.
 *
 * Instances split into *keepers* (on the current config and fine, or frozen: protected, or failed
 * while remediation is blocked) and *leaving* ones (to be replaced: failed, unhealthy past their
 * timeout, retiring, outdated). Then, in one pass:
 *
 * 1. Failed instances, and retiring ones past their deadline, are terminated first.
 * 2. Launches fill the keepers up to `size`, never taking the total (observed, not going, plus
 *    unobserved launches) above `size + maxSurge`. When that leaves replacements unlaunched,
 *    leaving instances are terminated first to make room: unavailable ones freely, available ones
 *    only while `size − maxUnavailable` available instances remain.
 * 3. The other leaving instances are terminated after the launches, within the same budget:
 *    a new instance must be available (healthy for `minHealthySeconds`) before an old one goes.
 *    Retiring instances go only when the group stays at `size` available without them, i.e. once
 *    their replacement is healthy (or when their deadline passes).
 * 4. Keepers above `size` are scaled down in the removal order (unhealthy, outdated, oldest),
 *    within the same budget. Protected instances are never chosen; they still fill a slot.
 *
 * Starting from a full healthy group, the live count therefore stays within
 * `[size − maxUnavailable, size + maxSurge]` at every step, also when the size changes too.
 */
export function planCattle(ctx: GroupContext, size: number): GroupOutcome {
  const { observed, actions, skips, now } = ctx;
  const bounds = rolloutBounds(size, ctx.spec.update.maxSurge, ctx.spec.update.maxUnavailable);

  let pendingCurrent = 0;
  let pendingOld = 0;
  for (const p of ctx.pendingLaunches) {
    if (p.configHash === ctx.configHash) pendingCurrent += p.count;
    else pendingOld += p.count;
  }

  const keepers: Assessed[] = [];
  const leaving: Leaving[] = [];
  const order = removalOrder();
  // In removal order, so a limited budget or wave goes to the most urgent first.
  for (const a of [...observed].sort(order)) {
    const kind = ctx.gate.kind(a);
    if (kind) leaving.push({ a, kind });
    else keepers.push(a);
  }

  const countBefore = observed.length + pendingCurrent + pendingOld;
  const slotsFilled = keepers.length + pendingCurrent;
  const need = Math.max(0, size - slotsFilled);
  const budget = new AvailabilityBudget(observed);
  const floorOf = (l: Leaving) =>
    goesAtOnce(l.a, l.kind, now) ? 0 : l.kind === 'retire' ? size : bounds.minAvailable;
  const gone = new Set<Leaving>();
  let total = countBefore;

  // 1. Failed and past-deadline retiring instances make room before anything is launched.
  for (const l of leaving) {
    if (!goesAtOnce(l.a, l.kind, now)) continue;
    actions.terminate('before', terminateReason(l.a, l.kind), l.a.instance.id);
    gone.add(l);
    total -= 1;
  }

  // 2. Launch within maxSurge; terminate first (within maxUnavailable) when surge leaves no room.
  // Outdated instances go, and are launched for, only within the canary's wave.
  let updatesGone = 0;
  const waveAllows = (l: Leaving) => l.kind !== 'update' || updatesGone < ctx.wave;
  const room = () => Math.min(need, Math.max(0, bounds.maxTotal - total));
  for (const l of leaving) {
    if (room() >= need) break;
    if (gone.has(l) || !waveAllows(l) || !budget.take(l.a, floorOf(l))) continue;
    actions.terminate('before', terminateReason(l.a, l.kind), l.a.instance.id);
    gone.add(l);
    if (l.kind === 'update') updatesGone += 1;
    total -= 1;
  }
  const launches = room();
  const scaleUp = Math.min(launches, Math.max(0, size - countBefore));
  const replaceSlots = leaving.filter((l) => l.kind !== 'update').length;
  const replace = Math.min(launches - scaleUp, replaceSlots);
  actions.launch('scale-up', scaleUp);
  actions.launch('replace', replace);
  const updateLaunches = Math.min(launches - scaleUp - replace, ctx.wave);
  actions.launch('update', updateLaunches);

  // 3. The rest of the leaving instances, after the launches, as far as availability allows.
  for (const l of leaving) {
    if (gone.has(l) || !waveAllows(l) || !budget.take(l.a, floorOf(l))) continue;
    actions.terminate('after', terminateReason(l.a, l.kind), l.a.instance.id);
    gone.add(l);
    if (l.kind === 'update') updatesGone += 1;
  }
  // Those left: the first ones have their replacement launched (they wait for it), the rest wait
  // for the wave when it is spent.
  const waveSpent = Math.max(updatesGone, updateLaunches) >= ctx.wave;
  let launchedFor = updateLaunches - updatesGone;
  for (const l of leaving) {
    if (gone.has(l)) continue;
    const byWave = l.kind === 'update' && waveSpent && launchedFor <= 0;
    if (l.kind === 'update') launchedFor -= 1;
    holdLeaving(ctx, l, bounds.minAvailable, byWave);
  }

  // 4. Scale down keepers above size (unobserved launches cannot be chosen: they come next pass).
  // A protected instance passed over is named in a note.
  let excess = slotsFilled - size;
  for (const a of [...keepers].sort(order)) {
    if (excess <= 0) break;
    // A failing rollout never removes an old instance, not even as surplus.
    if (ctx.halted && a.outdated) continue;
    if (a.instance.protected) skips.skip(a.instance.id, 'scale-down');
    else if (budget.take(a, bounds.minAvailable)) {
      actions.terminate('after', 'scale-down', a.instance.id);
      excess -= 1;
    }
  }

  return outcome(ctx, size, countBefore, pendingCurrent + pendingOld, leaving, pendingOld);
}

function outcome(
  ctx: GroupContext,
  size: number,
  countBefore: number,
  pending: number,
  leaving: readonly Leaving[],
  pendingOld: number,
): GroupOutcome {
  let available = 0;
  let updated = 0;
  let starting = pending;
  const { observed } = ctx;
  for (const a of observed) {
    if (isAvailable(a)) {
      available += 1;
      if (!a.outdated) updated += 1;
    } else if (a.condition === 'starting' || a.condition === 'warming') starting += 1;
  }
  // Outdated instances held back (paused, halted, waiting for a wave) still mean a rollout.
  const rolling =
    pendingOld > 0 ||
    leaving.some((l) => l.kind === 'update') ||
    observed.some((a) => a.outdated && !a.instance.protected && !needsRemediation(a));
  const settled = pending === 0 && ctx.going.length === 0 && observed.length === size && updated === size;
  return {
    desired: size,
    current: countBefore,
    available: Math.min(available, size),
    updated: Math.min(updated, size),
    starting,
    rolling,
    settled,
  };
}
