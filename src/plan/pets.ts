import { type GroupContext, type GroupOutcome, goesAtOnce, holdLeaving } from './context.js';
import { terminateReason } from './gate.js';
import { type Assessed, isAvailable, needsRemediation, removalOrder } from './health.js';
import { AvailabilityBudget } from './rollout.js';

/**
 * Which of several instances holding one logical ID stays: protected first (never terminated),
 * then the healthiest (available, warming, starting, unhealthy, failed), then the one on the
 * current config, then the oldest (the one clients have known longest), then the lowest id.
 */
const CONDITION_PREFERENCE = [
  'available',
  'warming',
  'starting',
  'unhealthy-waiting',
  'unhealthy-due',
  'failed',
];
function keeperPreference(a: Assessed, b: Assessed): number {
  return (
    Number(b.instance.protected) - Number(a.instance.protected) ||
    CONDITION_PREFERENCE.indexOf(a.condition) - CONDITION_PREFERENCE.indexOf(b.condition) ||
    Number(a.outdated) - Number(b.outdated) ||
    a.instance.launchedAt - b.instance.launchedAt ||
    (a.instance.id < b.instance.id ? -1 : a.instance.id > b.instance.id ? 1 : 0)
  );
}

/**
 * Pets: one instance per logical ID, keeping its identity across replacement.
 *
 * - A logical ID held by no instance (observed, going, or pending launch) is launched with its ID.
 * - Extra instances on one ID are terminated (`duplicate-logical-id`), keeping the preferred one.
 * - Instances without a logical ID, or with one not declared, are terminated (`unknown-logical-id`).
 * - A pet is replaced in place: terminated first, and launched again under the same ID in a later
 *   pass, once the old instance is gone (two instances can never share an ID: it may be a private
 *   IP address). Failed and unhealthy pets are unavailable, so terminating them costs nothing;
 *   outdated and retiring ones are replaced while `size − maxUnavailable` pets stay available.
 *
 * Pets cannot surge, so `maxUnavailable: 0` (with the `maxSurge` the schema then requires) means
 * one pet at a time: the plan says so in a note when it happens. Retiring pets are therefore
 * replaced early within that budget, rather than launch-first.
 */
export function planPets(ctx: GroupContext, logicalIds: readonly string[]): GroupOutcome {
  const { actions, skips, now } = ctx;
  const size = logicalIds.length;
  const position = new Map<string, number>(logicalIds.map((id, i) => [id, i]));

  const occupied = new Set<string>();
  for (const p of ctx.pendingLaunches) for (const id of p.logicalIds ?? []) occupied.add(id);
  // An ID whose old instance is still shutting down stays taken until it is gone.
  for (const g of ctx.going) if (g.logicalId !== undefined) occupied.add(g.logicalId);

  const byId = new Map<string, Assessed[]>();
  for (const a of ctx.observed) {
    const lid = a.instance.logicalId;
    if (lid === undefined || !position.has(lid)) {
      if (a.instance.protected) skips.skip(a.instance.id, 'unknown logical ID');
      else actions.terminate('after', 'unknown-logical-id', a.instance.id);
      continue;
    }
    occupied.add(lid);
    const list = byId.get(lid);
    if (list) list.push(a);
    else byId.set(lid, [a]);
  }

  const missing = logicalIds.filter((id) => !occupied.has(id));
  actions.launch('missing-logical-id', missing.length, missing);

  const keepers: Assessed[] = [];
  for (const list of byId.values()) {
    list.sort(keeperPreference);
    list.forEach((a, i) => {
      if (i === 0) keepers.push(a);
      else if (a.instance.protected) skips.skip(a.instance.id, 'duplicate logical ID');
      else actions.terminate('after', 'duplicate-logical-id', a.instance.id);
    });
  }

  const { maxUnavailable } = ctx.spec.update;
  const floor = Math.max(0, size - Math.max(1, maxUnavailable));
  const budget = new AvailabilityBudget(keepers);
  const order = removalOrder((a) => position.get(a.instance.logicalId ?? '') ?? 0);
  let rolling = false;
  let spentWithoutSurge = false;
  let updates = 0;
  for (const a of [...keepers].sort(order)) {
    if (a.outdated && !needsRemediation(a) && a.retiringAt === undefined) rolling = true;
    const kind = ctx.gate.kind(a);
    if (!kind) continue;
    const byWave = kind === 'update' && updates >= ctx.wave;
    const wasAvailable = isAvailable(a);
    if (byWave || !budget.take(a, goesAtOnce(a, kind, now) ? 0 : floor)) {
      holdLeaving(ctx, { a, kind }, floor, byWave);
      continue;
    }
    if (kind === 'update') updates += 1;
    if (wasAvailable && maxUnavailable === 0 && !goesAtOnce(a, kind, now)) spentWithoutSurge = true;
    actions.terminate('before', terminateReason(a, kind), a.instance.id);
  }
  if (spentWithoutSurge) {
    actions.note(
      'pets cannot surge (one instance per logical ID): replacing 1 at a time although maxUnavailable is 0',
    );
  }
  return outcome(ctx, keepers, size, rolling);
}

function outcome(
  ctx: GroupContext,
  keepers: readonly Assessed[],
  size: number,
  rolling: boolean,
): GroupOutcome {
  let available = 0;
  let updated = 0;
  let pending = 0;
  for (const p of ctx.pendingLaunches) pending += p.logicalIds?.length ?? p.count;
  let starting = pending;
  for (const a of keepers) {
    if (isAvailable(a)) {
      available += 1;
      if (!a.outdated) updated += 1;
    } else if (a.condition === 'starting' || a.condition === 'warming') starting += 1;
  }
  return {
    desired: size,
    current: keepers.length + pending,
    available,
    updated,
    starting,
    rolling,
    settled: pending === 0 && ctx.going.length === 0 && ctx.observed.length === size && updated === size,
  };
}
