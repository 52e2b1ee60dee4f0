import { messageOf } from '../errors.js';
import type { RetainedResource } from '../providers/types.js';
import type { GroupRecord } from '../store/types.js';
import type { ApiDeps } from './types.js';

/** What a destroy leaves behind or deletes, as the DELETE response says it. */
export interface KeptView {
  /** Whether the pets' volumes, interfaces and addresses are deleted with the group. */
  readonly deleteVolumes: boolean;
  /** What the group's pets keep and the destroy leaves in place (empty with `deleteVolumes`). */
  readonly kept?: readonly RetainedResource[];
  /** What is deleted once the instances are gone (with `deleteVolumes`). */
  readonly deleting?: readonly RetainedResource[];
  /** Why the provider could not be asked (the destroy goes on all the same). */
  readonly keptError?: string;
}

/**
 * The DELETE response's account of what the group's pets keep across replacement (a provider's
 * `retained`, read-only): by default a destroy keeps it all and says so, item by item; with
 * `deleteVolumes` it lists what goes. A provider that keeps nothing, or no controller identity to
 * ask with, gives an empty list.
 */
export async function keptView(deps: ApiDeps, record: GroupRecord): Promise<KeptView> {
  const deleteVolumes = record.deleteVolumes === true;
  const provider = deps.providers.get(record.spec.instance.provider);
  let resources: readonly RetainedResource[] = [];
  if (provider?.retained && deps.controllerId) {
    try {
      resources = await provider.retained(record.spec.instance.properties, {
        controllerId: deps.controllerId,
        groupId: record.id,
      });
    } catch (err) {
      return { deleteVolumes, keptError: messageOf(err) };
    }
  }
  return deleteVolumes
    ? { deleteVolumes, kept: [], deleting: resources }
    : { deleteVolumes, kept: resources };
}
