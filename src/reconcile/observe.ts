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
 * Observes one group of this controller alone (its `infrakit.controller` and `infrakit.group`), in
 * `places` alone when given (`places.ts`); aborted when any of `signals` is.
 */
export function observeGroup(
  provider: InstanceProvider,
  owner: InstanceOwner,
  timeoutMs: number,
  signals: readonly (AbortSignal | undefined)[] = [],
  places?: readonly string[],
): Promise<Observation> {
  const selector = groupSelector(owner);
  return describeWithTimeout(provider, places ? { ...selector, places } : selector, timeoutMs, signals);
}

/** Instances by their `infrakit.group` tag; instances without it are no group's. Pure. */
function byGroupTag(instances: readonly InstanceDescription[]): Map<string, InstanceDescription[]> {
  const byGroup = new Map<string, InstanceDescription[]>();
  for (const instance of instances) {
    const group = instance.tags[TAG_GROUP];
    if (group === undefined) continue;
    const list = byGroup.get(group);
    if (list) list.push(instance);
    else byGroup.set(group, [instance]);
  }
  return byGroup;
}

/**
 * A whole sweep's observation of one provider (one `describe` of this controller's instances that
 * carry a group tag), split by group. A failed read fails every group of that provider. Aborted
 * when any of `signals` is.
 *
 * With `placesOf` (a provider with places: `places.ts`), one `describe` per place any group names
 * instead, each on its own: a group's observation is complete when every place it names was read,
 * and fails with the first unread place's reason otherwise, whatever the other places did.
 */
export async function observeAllGroups(
  provider: InstanceProvider,
  controllerId: string,
  timeoutMs: number,
  signals: readonly (AbortSignal | undefined)[] = [],
  placesOf?: ReadonlyMap<string, readonly string[]>,
): Promise<(groupId: string) => Observation> {
  const selector = controllerSelector(controllerId);
  if (!placesOf) {
    const all = await describeWithTimeout(provider, selector, timeoutMs, signals);
    if (!all.ok) return () => all;
    const byGroup = byGroupTag(all.instances);
    return (groupId) => ({ ok: true, instances: byGroup.get(groupId) ?? [] });
  }
  const places = [...new Set([...placesOf.values()].flat())].sort();
  const read = new Map<string, Observation>();
  await Promise.all(
    places.map(async (place) => {
      read.set(
        place,
        await describeWithTimeout(provider, { ...selector, places: [place] }, timeoutMs, signals),
      );
    }),
  );
  const byGroup = byGroupTag([...read.values()].flatMap((o) => (o.ok ? o.instances : [])));
  return (groupId) => {
    const named = placesOf.get(groupId);
    if (!named)
      return { ok: false, reason: `${provider.name} describe: the places of ${groupId} are unknown` };
    for (const place of named) {
      const seen = read.get(place);
      if (seen && !seen.ok) return seen;
    }
    return { ok: true, instances: byGroup.get(groupId) ?? [] };
  };
}
