import { messageOf } from '../errors.js';
import type {
  DescribeSelector,
  InstanceDescription,
  InstanceOwner,
  InstanceProvider,
} from '../providers/types.js';
import { controllerSelector, groupSelector, TAG_GROUP } from '../tags.js';
import { CallTimeoutError, withTimeout } from './timeout.js';

/** The result of reading a provider: the instances, or why they could not be read. */
export type Observation =
  | { readonly ok: true; readonly instances: readonly InstanceDescription[] }
  | { readonly ok: false; readonly reason: string };

/**
 * `provider.describe` bounded by `timeoutMs`. A failure or a timeout is an unsuccessful observation,
 * never a partial one: the caller must plan nothing from it (DESIGN §5.5).
 */
export async function describeWithTimeout(
  provider: InstanceProvider,
  selector: DescribeSelector,
  timeoutMs: number,
): Promise<Observation> {
  const what = `${provider.name} describe`;
  try {
    return { ok: true, instances: await withTimeout(provider.describe(selector), timeoutMs, what) };
  } catch (err) {
    if (err instanceof CallTimeoutError) return { ok: false, reason: err.message };
    return { ok: false, reason: `${what} failed: ${messageOf(err)}` };
  }
}

/** Observes one group of this controller alone (its `infrakit.controller` and `infrakit.group`). */
export function observeGroup(
  provider: InstanceProvider,
  owner: InstanceOwner,
  timeoutMs: number,
): Promise<Observation> {
  return describeWithTimeout(provider, groupSelector(owner), timeoutMs);
}

/**
 * A whole sweep's observation of one provider (one `describe` of this controller's instances that
 * carry a group tag), split by group. A failed read fails every group of that provider.
 */
export async function observeAllGroups(
  provider: InstanceProvider,
  controllerId: string,
  timeoutMs: number,
): Promise<(groupId: string) => Observation> {
  const all = await describeWithTimeout(provider, controllerSelector(controllerId), timeoutMs);
  if (!all.ok) return () => all;
  const byGroup = new Map<string, InstanceDescription[]>();
  for (const instance of all.instances) {
    const group = instance.tags[TAG_GROUP];
    if (group === undefined) continue;
    const list = byGroup.get(group);
    if (list) list.push(instance);
    else byGroup.set(group, [instance]);
  }
  return (groupId) => ({ ok: true, instances: byGroup.get(groupId) ?? [] });
}
