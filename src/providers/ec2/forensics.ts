import { NotOwnedError } from '../../errors.js';
import { TAG_CONTROLLER, TAG_GROUP, TAG_RETAINED } from '../../tags.js';
import type { DestroyResult, InstanceOwner } from '../types.js';
import type { Ec2Api } from './api.js';
import { lookupByIds, tagRecord } from './describe.js';
import { ownedLive } from './destroy.js';
import { isNotFound, toProviderError } from './errors.js';

/** RebootInstances, CreateTags and DeleteTags take many ids; 1,000 keeps each request modest. */
const BATCH = 1000;

function batches(ids: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < ids.length; i += BATCH) out.push(ids.slice(i, i + BATCH));
  return out;
}

/**
 * The provider's `reboot` (the remediation ladder's first step): ownership re-checked by tag as
 * for `destroy`, then RebootInstances. An instance gone meanwhile is skipped.
 */
export async function rebootInstances(
  api: Ec2Api,
  ids: readonly string[],
  owner: InstanceOwner,
  signal?: AbortSignal,
): Promise<void> {
  const live = await ownedLive(api, [...new Set(ids)], owner, 'rebooting', signal);
  for (const batch of batches(live)) {
    signal?.throwIfAborted();
    try {
      await api.rebootInstances({ InstanceIds: batch }, { signal });
    } catch (err) {
      // Gone since the check: nothing left to reboot. (A batch is retried no further: the next
      // step of the ladder replaces whatever stays unhealthy.)
      if (!isNotFound(err)) throw toProviderError(err, 'rebooting instances');
    }
  }
}

/**
 * The provider's `keepForForensics`: the instance leaves the group but keeps running. First
 * `infrakit.retained=<group>` is added, then `infrakit.group` removed, in that order so that a
 * crash in between leaves an instance still in the group and marked (the engine treats it as
 * going and finishes the job), never one that belongs to nothing and is not marked. An instance
 * already retained by this group, or gone, counts as retained; one of someone else is refused
 * (`NotOwnedError`) before anything is tagged.
 */
export async function keepInstances(
  api: Ec2Api,
  ids: readonly string[],
  owner: InstanceOwner,
  signal?: AbortSignal,
): Promise<DestroyResult> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return { destroyed: [] };
  let found: Awaited<ReturnType<typeof lookupByIds>>;
  try {
    found = await lookupByIds(api, unique, signal);
  } catch (err) {
    throw toProviderError(err, 'checking instances before keeping them for forensics');
  }
  const members: string[] = [];
  const notOwned: string[] = [];
  for (const id of unique) {
    const instance = found.get(id);
    if (!instance || instance.State?.Name === 'terminated') continue;
    const tags = tagRecord(instance.Tags);
    if (tags[TAG_CONTROLLER] !== owner.controllerId) notOwned.push(id);
    else if (tags[TAG_GROUP] === owner.groupId) members.push(id);
    else if (tags[TAG_GROUP] !== undefined || tags[TAG_RETAINED] !== owner.groupId) notOwned.push(id);
  }
  if (notOwned.length > 0) throw new NotOwnedError(notOwned, owner);
  for (const batch of batches(members)) {
    signal?.throwIfAborted();
    try {
      await api.createTags(
        { Resources: batch, Tags: [{ Key: TAG_RETAINED, Value: owner.groupId }] },
        { signal },
      );
      await api.deleteTags({ Resources: batch, Tags: [{ Key: TAG_GROUP }] }, { signal });
    } catch (err) {
      if (!isNotFound(err)) throw toProviderError(err, 'keeping instances for forensics');
      // One instance gone since the check fails the whole batch: keep the others one by one.
      if (batch.length > 1) for (const id of batch) await keepInstances(api, [id], owner, signal);
    }
  }
  return { destroyed: unique };
}
