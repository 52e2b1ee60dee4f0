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
 * `provider.describe` bounded by `timeoutMs`, and aborted (with the reason of the first) when any of
 * `signals` is: a late or abandoned describe is cancelled, so it sends no further request. A
 * failure, a timeout or an abort is an unsuccessful observation, never a partial one: the caller
 * must plan nothing from it (architecture §5.5).
 */
export async function describeWithTimeout(
  provider: InstanceProvider,
  selector: DescribeSelector,
  timeoutMs: number,
  signals: readonly (AbortSignal | undefined)[] = [],
): Promise<Observation> {
  const what = `${provider.name} describe`;
  try {
    const instances = await withTimeout(
      (signal) => provider.describe(selector, { signal }),
      timeoutMs,
      what,
      signals,
    );
    return { ok: true, instances };
  } catch (err) {
    if (err instanceof CallTimeoutError) return { ok: false, reason: err.message };
    return { ok: false, reason: `${what} failed: ${messageOf(err)}` };
  }
}

/**
 * Observes one group of this controller alone (its `infrakit.controller` and `infrakit.group`);
 * aborted when any of `signals` is.
 */
export function observeGroup(
  provider: InstanceProvider,
  owner: InstanceOwner,
  timeoutMs: number,
  signals: readonly (AbortSignal | undefined)[] = [],
): Promise<Observation> {
  return describeWithTimeout(provider, groupSelector(owner), timeoutMs, signals);
}

/**
 * A whole sweep's observation of one provider (one `describe` of this controller's instances that
 * carry a group tag), split by group. A failed read fails every group of that provider. Aborted
 * when any of `signals` is.
 */
export async function observeAllGroups(
  provider: InstanceProvider,
  controllerId: string,
  timeoutMs: number,
  signals: readonly (AbortSignal | undefined)[] = [],
): Promise<(groupId: string) => Observation> {
  const all = await describeWithTimeout(provider, controllerSelector(controllerId), timeoutMs, signals);
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
