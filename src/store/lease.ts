import { randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ATTR, lifecycleMember } from './codec.js';
import {
  atRevision,
  atVersion,
  holdsLease,
  itemExists,
  leaseFree,
  noOpenIntents,
  notDestroying,
} from './conditions.js';
import type { StoreContext } from './context.js';
import { GroupNotFoundError, LeaseLostError } from './errors.js';
import { all, type Expr, num, str, type UpdateBuilder } from './expr.js';
import { currentVersion } from './specs.js';
import type { LeaseState, LifecycleResult, StatePatch } from './types.js';
import { updateGroupRecord } from './write.js';

/**
 * The lease and the reconcile state, kept on the group record. State writes touch only state
 * attributes and spec writes only spec attributes, so the API and the reconcilers never clobber
 * each other's fields; state writes are fenced by the lease token.
 */

/** Runs a lease-fenced update; LeaseLostError when the caller no longer holds the lease. */
export async function fencedUpdate(
  ctx: StoreContext,
  id: string,
  lease: LeaseState,
  build: (update: UpdateBuilder, e: Expr) => void,
): Promise<void> {
  const conflict = await updateGroupRecord(ctx, id, (update, e) => {
    build(update, e);
    // Race: a holder that stalled past its expiry, and whose lease another reconciler took, must
    // not write anything more for the group (fencing). Also fails when the group was deleted.
    return holdsLease(e, lease.token);
  });
  if (conflict) throw new LeaseLostError(id, { cause: conflict });
}

/** Takes the lease when it is free or expired; undefined when another live holder has it. */
export async function acquireLease(
  ctx: StoreContext,
  id: string,
  owner: string,
  ttlMs: number,
  now: number,
): Promise<LeaseState | undefined> {
  const lease: LeaseState = { owner, token: randomUUID(), expiresAt: now + ttlMs };
  const conflict = await updateGroupRecord(ctx, id, (update, e) => {
    update
      .set(ATTR.leaseOwner, str(lease.owner))
      .set(ATTR.leaseToken, str(lease.token))
      .set(ATTR.leaseExpiresAt, num(lease.expiresAt));
    // Race: several reconcilers acquiring at once (one wins); never create a record for a deleted group.
    return all(itemExists(e), leaseFree(e, now));
  });
  if (!conflict) return lease;
  // Held by someone else, or no such group: only a (rare, contended) re-read can tell which.
  if ((await currentVersion(ctx, id)) === 0) throw new GroupNotFoundError(id, { cause: conflict });
  return undefined;
}

/** Extends the caller's lease; LeaseLostError when it was taken over. */
export async function renewLease(
  ctx: StoreContext,
  id: string,
  lease: LeaseState,
  ttlMs: number,
  now: number,
): Promise<LeaseState> {
  const renewed: LeaseState = { ...lease, expiresAt: now + ttlMs };
  // Renewing a lapsed lease that nobody took is safe: its token is still the only one.
  await fencedUpdate(ctx, id, lease, (update) => {
    update.set(ATTR.leaseExpiresAt, num(renewed.expiresAt));
  });
  return renewed;
}

/** Gives the lease up; LeaseLostError when it was already taken over (the new holder keeps it). */
export async function releaseLease(ctx: StoreContext, id: string, lease: LeaseState): Promise<void> {
  await fencedUpdate(ctx, id, lease, (update) => {
    update.remove(ATTR.leaseOwner).remove(ATTR.leaseToken).remove(ATTR.leaseExpiresAt);
  });
}

/** SET or REMOVE (when undefined / empty) each field present in `patch`. */
function applyPatch(update: UpdateBuilder, patch: StatePatch): void {
  const optional = (name: string, value: AttributeValue | undefined) =>
    value === undefined ? update.remove(name) : update.set(name, value);
  if ('lastSummary' in patch)
    optional(ATTR.lastSummary, patch.lastSummary === undefined ? undefined : str(patch.lastSummary));
  if ('blocked' in patch)
    optional(ATTR.blocked, patch.blocked === undefined ? undefined : str(patch.blocked));
  if ('lastReconcileAt' in patch)
    optional(
      ATTR.lastReconcileAt,
      patch.lastReconcileAt === undefined ? undefined : num(patch.lastReconcileAt),
    );
  if ('nextCheckAt' in patch)
    optional(ATTR.nextCheckAt, patch.nextCheckAt === undefined ? undefined : num(patch.nextCheckAt));
  if ('openIntents' in patch) {
    const tokens = [...new Set(patch.openIntents ?? [])];
    optional(ATTR.openIntents, tokens.length > 0 ? { SS: tokens } : undefined);
  }
  if ('healthSince' in patch) update.set(ATTR.healthSince, str(JSON.stringify(patch.healthSince ?? {})));
  if ('memory' in patch)
    optional(ATTR.memory, patch.memory === undefined ? undefined : str(JSON.stringify(patch.memory)));
  // Key by key, so a mark merged by an events handler during this pass is never lost.
  for (const instanceId of new Set(patch.retiringRemove ?? []))
    update.removeMapKey(ATTR.retiring, instanceId);
  // Exactly the members read: a result the API adds during this pass stays for the next one.
  const acted = Object.entries(patch.lifecycleDoneRemove ?? {}).map(([id, r]) => lifecycleMember(id, r));
  if (acted.length > 0) update.deleteFromSet(ATTR.lifecycleDone, acted);
}

/** Writes state fields under the lease and bumps `revision`. */
export async function updateState(
  ctx: StoreContext,
  id: string,
  lease: LeaseState,
  patch: StatePatch,
): Promise<void> {
  await fencedUpdate(ctx, id, lease, (update) => {
    applyPatch(update, patch);
    update.increment(ATTR.revision);
  });
}

/**
 * Records state that a lock-free pass derived from its observation, in one conditional write and
 * without the lease: only when the group is exactly as the pass read it. Such a pass calls no
 * provider, so there is nothing to fence over time; the write itself is atomic. Returns false,
 * writing nothing, when the record moved on; the caller then takes the lease and plans again.
 */
export async function recordState(
  ctx: StoreContext,
  id: string,
  read: { readonly version: number; readonly revision: number },
  patch: StatePatch,
  now: number,
): Promise<boolean> {
  const conflict = await updateGroupRecord(ctx, id, (update, e) => {
    applyPatch(update, patch);
    update.increment(ATTR.revision);
    // The condition below admits no live lease, so an expired one (a crashed holder's) goes too.
    update.remove(ATTR.leaseOwner).remove(ATTR.leaseToken).remove(ATTR.leaseExpiresAt);
    // Races, each refused: a holder took the lease (it may be acting right now); a spec was
    // written (another plan); a holder recorded state or opened an intent (revision moved on, or
    // `openIntents` appeared); DELETE marked the group. Also fails when the group was deleted.
    return all(
      itemExists(e),
      leaseFree(e, now),
      atVersion(e, read.version),
      atRevision(e, read.revision),
      noOpenIntents(e),
      notDestroying(e),
    );
  });
  return conflict === undefined;
}

/** Adds one lifecycle completion, without the lease (the API is not a holder). */
export async function markLifecycleDone(
  ctx: StoreContext,
  id: string,
  instanceId: string,
  result: LifecycleResult,
): Promise<void> {
  const conflict = await updateGroupRecord(ctx, id, (update, e) => {
    update.addToSet(ATTR.lifecycleDone, [lifecycleMember(instanceId, result)]);
    // Race: the group was deleted meanwhile; do not create a stray record holding only this mark.
    return itemExists(e);
  });
  if (conflict) throw new GroupNotFoundError(id, { cause: conflict });
}

/** Merges one retiring mark, without the lease (the events handler is not a holder). */
export async function markRetiring(
  ctx: StoreContext,
  id: string,
  instanceId: string,
  deadline: number,
): Promise<void> {
  const conflict = await updateGroupRecord(ctx, id, (update, e) => {
    update.setMapKey(ATTR.retiring, instanceId, num(deadline));
    // Race: the group was deleted meanwhile; do not create a stray record holding only this mark.
    return itemExists(e);
  });
  if (conflict) throw new GroupNotFoundError(id, { cause: conflict });
}
