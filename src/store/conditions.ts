import { ATTR } from './codec.js';
import { type Expr, num, str } from './expr.js';
import { TABLE_KEY } from './table.js';

/**
 * The named clauses every conditional write is built from. Each says which race it prevents; the
 * writes in the store combine them with `all(...)`.
 *
 * Lease timeline of one group record (one actor at a time, architecture §5.1 and §5.7):
 *
 *   A acquires ──── A holds (token a) ──── expiresAt ──── B may acquire (token b) ──── …
 *                   every write by A: leaseToken = a      after takeover A's writes fail → LeaseLostError
 */

/** The item does not exist yet: a second creator loses instead of overwriting the first. */
export function itemAbsent(e: Expr): string {
  return `attribute_not_exists(${e.name(TABLE_KEY.sort)})`;
}

/** The item exists: an update never creates a stray half-item for a deleted group. */
export function itemExists(e: Expr): string {
  return `attribute_exists(${e.name(TABLE_KEY.sort)})`;
}

/** The spec is still at the version the writer read: of two racing writers only one moves it on. */
export function atVersion(e: Expr, version: number): string {
  return `${e.name(ATTR.version)} = ${e.value(num(version))}`;
}

/**
 * The group is not being destroyed: a spec written after DELETE marked it would be terminated
 * unseen, or would survive as the spec of a group that is about to vanish.
 */
export function notDestroying(e: Expr): string {
  const lifecycle = e.name(ATTR.lifecycle);
  return `attribute_not_exists(${lifecycle}) OR ${lifecycle} <> ${e.value(str('destroying'))}`;
}

/**
 * The reconcile state is still at the revision the writer read: no holder recorded anything (state,
 * an intent) since. A record never written by a reconciler has no revision attribute (revision 0).
 */
export function atRevision(e: Expr, revision: number): string {
  const name = e.name(ATTR.revision);
  const at = `${name} = ${e.value(num(revision))}`;
  return revision === 0 ? `attribute_not_exists(${name}) OR ${at}` : at;
}

/** No launch or termination is open: the record's `openIntents` set is absent (sets are never empty). */
export function noOpenIntents(e: Expr): string {
  return `attribute_not_exists(${e.name(ATTR.openIntents)})`;
}

/**
 * Nobody holds a live lease: either none was ever taken (or it was released), or it expired before
 * `now`. Two reconcilers acquiring at once both evaluate this against the same item, and DynamoDB
 * serialises the writes, so exactly one of them gets it.
 */
export function leaseFree(e: Expr, now: number): string {
  return `attribute_not_exists(${e.name(ATTR.leaseToken)}) OR ${e.name(ATTR.leaseExpiresAt)} < ${e.value(num(now))}`;
}

/**
 * The writer still holds the lease (fencing): a holder that stalled past its expiry, and whose
 * lease another reconciler took, can no longer write state or intents. Implies the item exists.
 */
export function holdsLease(e: Expr, token: string): string {
  return `${e.name(ATTR.leaseToken)} = ${e.value(str(token))}`;
}

/**
 * A history item may be written when it is absent, or when it was left by an earlier incarnation
 * of a group with the same id (deleted, then created again): that one is stale, never current.
 * A writer from the earlier incarnation that resumes late fails this, so it cannot overwrite the
 * new incarnation's history.
 */
export function historyWritable(e: Expr, groupCreatedAt: number): string {
  return `attribute_not_exists(${e.name(TABLE_KEY.sort)}) OR ${e.name(ATTR.createdAt)} < ${e.value(num(groupCreatedAt))}`;
}

/** The intent is not done yet: progress is never recorded on a finished intent. */
export function intentOpen(e: Expr): string {
  return `attribute_not_exists(${e.name(ATTR.doneAt)})`;
}

/**
 * The instance is not indexed under another group: an instance id maps to one group for its
 * whole life, so a buggy or confused writer cannot redirect another group's events.
 */
export function instanceFreeOrOurs(e: Expr, groupId: string): string {
  return `attribute_not_exists(${e.name(TABLE_KEY.sort)}) OR ${e.name(ATTR.groupId)} = ${e.value(str(groupId))}`;
}
