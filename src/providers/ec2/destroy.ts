import { NotOwnedError } from '../../errors.js';
import { isOwnedBy } from '../../tags.js';
import type { DestroyResult, InstanceOwner } from '../types.js';
import type { Ec2Api } from './api.js';
import { lookupByIds, tagRecord } from './describe.js';
import { isNotFound, toProviderError } from './errors.js';

/** TerminateInstances takes at most 1,000 ids per call. */
export const TERMINATE_BATCH = 1000;

/** Terminates one batch; an id EC2 no longer knows counts as terminated, the others still go. */
async function terminateBatch(api: Ec2Api, ids: readonly string[], signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  try {
    await api.terminateInstances({ InstanceIds: [...ids] }, { signal });
  } catch (err) {
    if (!isNotFound(err)) throw toProviderError(err, 'terminating instances');
    // One unknown id fails the whole call (an instance gone since the ownership check): retry the
    // batch one id at a time so the unknown one is skipped and the rest are still terminated.
    if (ids.length === 1) return;
    for (const id of ids) await terminateBatch(api, [id], signal);
  }
}

/**
 * Of `ids`, the instances still there (not terminated, known to EC2), after checking in one
 * DescribeInstances that each carries `owner`'s `infrakit.controller` and `infrakit.group`: if any
 * live one does not, `NotOwnedError` names them and the caller changes nothing.
 */
export async function ownedLive(
  api: Ec2Api,
  ids: readonly string[],
  owner: InstanceOwner,
  before: string,
  signal?: AbortSignal,
): Promise<string[]> {
  let found: Awaited<ReturnType<typeof lookupByIds>>;
  try {
    found = await lookupByIds(api, ids, signal);
  } catch (err) {
    throw toProviderError(err, `checking instances before ${before}`);
  }
  const live: string[] = [];
  const notOwned: string[] = [];
  for (const id of ids) {
    const instance = found.get(id);
    if (!instance || instance.State?.Name === 'terminated') continue;
    if (!isOwnedBy(tagRecord(instance.Tags), owner)) notOwned.push(id);
    else live.push(id);
  }
  if (notOwned.length > 0) throw new NotOwnedError(notOwned, owner);
  return live;
}

/**
 * The provider's `destroy`. First one DescribeInstances by id (any state) re-checks that every
 * instance carries this owner's `infrakit.controller` and `infrakit.group`; if any live one does not, nothing at all is
 * terminated and `NotOwnedError` names them. The check runs here, right before TerminateInstances,
 * rather than trusting the caller's observation: an id typed by an operator or taken from a stale
 * event must never reach an instance that is not ours. (The deployed IAM policy adds the same
 * condition on EC2's side.) Then TerminateInstances in batches of at most 1,000. Ids EC2 does not
 * know, and instances already terminated, count as destroyed without a call. Once `signal`
 * aborts, no further batch is sent.
 */
export async function destroyInstances(
  api: Ec2Api,
  ids: readonly string[],
  owner: InstanceOwner,
  signal?: AbortSignal,
): Promise<DestroyResult> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return { destroyed: [] };
  const live = await ownedLive(api, unique, owner, 'termination', signal);
  for (let i = 0; i < live.length; i += TERMINATE_BATCH)
    await terminateBatch(api, live.slice(i, i + TERMINATE_BATCH), signal);
  return { destroyed: unique };
}
