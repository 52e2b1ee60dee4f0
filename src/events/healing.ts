import type { ReconcileResult } from '../reconcile/types.js';
import type { EventDeps } from './context.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The group an instance belongs to: the store's instance index first (written at launch, one
 * read), then one provider lookup by id. An instance that is not ours costs exactly that.
 */
export async function groupOfInstance(deps: EventDeps, instanceId: string): Promise<string | undefined> {
  const indexed = await deps.store.groupOfInstance(instanceId);
  if (indexed) return indexed;
  return deps.lookupInstanceGroup ? deps.lookupInstanceGroup(instanceId) : undefined;
}

/**
 * Reconciles one group now. When another reconciler holds the lease it may have observed before
 * this event, so the pass is retried a few times shortly after; if the lease stays busy the next
 * sweep (or that holder's own follow-up) takes care of it.
 */
async function reconcileOne(
  deps: EventDeps,
  groupId: string,
  retryRejected: boolean,
): Promise<ReconcileResult> {
  const delays = deps.busyRetryDelaysMs ?? [250, 750];
  const now = deps.now ?? Date.now;
  // An event says something changed: go straight to the lease (no lock-free pre-check).
  let result = await deps.engine.reconcileGroup(groupId, { urgent: true, retryRejected });
  for (const delay of delays) {
    if (result.outcome !== 'busy') break;
    if (deps.deadline !== undefined && now() + delay >= deps.deadline) break;
    await sleep(delay);
    result = await deps.engine.reconcileGroup(groupId, { urgent: true, retryRejected });
  }
  return result;
}

/** Reconciles `groupIds` now: one pass for one group, a sweep restricted to them for several. */
export async function reconcileNow(
  deps: EventDeps,
  groupIds: readonly string[],
  options: { readonly retryRejected?: boolean } = {},
): Promise<ReconcileResult[]> {
  const ids = [...new Set(groupIds)];
  if (ids.length === 0) return [];
  if (ids.length === 1 && ids[0] !== undefined)
    return [await reconcileOne(deps, ids[0], options.retryRejected === true)];
  const report = await deps.engine.sweep({
    ids,
    ...(deps.deadline !== undefined ? { deadline: deps.deadline } : {}),
  });
  if (report.skipped.length > 0) {
    deps.log?.warn('groups skipped for lack of time; the next sweep will take them', {
      skipped: report.skipped.length,
    });
  }
  return [...report.results];
}
