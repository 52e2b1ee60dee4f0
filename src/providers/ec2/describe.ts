import type { Filter, Instance } from '@aws-sdk/client-ec2';
import type { DescribeSelector, InstanceDescription, InstanceState, ProviderHealth } from '../types.js';
import type { Ec2Api } from './api.js';
import { fetchHealth, LIVE_STATES } from './health.js';

/** The largest page DescribeInstances returns (moto counts reservations here, EC2 instances). */
export const DESCRIBE_PAGE_SIZE = 1000;

const STATES: ReadonlySet<string> = new Set(LIVE_STATES);

/** EC2 `Tags` as a record. */
export function tagRecord(
  tags: readonly { Key?: string; Value?: string }[] | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

/** Whether `tags` carry every tag and tag key the selector asks for. */
export function matchesSelector(tags: Readonly<Record<string, string>>, selector: DescribeSelector): boolean {
  for (const [k, v] of Object.entries(selector.tags ?? {})) if (tags[k] !== v) return false;
  for (const k of selector.tagKeys ?? []) if (!(k in tags)) return false;
  return true;
}

/** Server-side filters for a selector: every `tag:<k>`, the first tag key, and the live states. */
export function selectorFilters(selector: DescribeSelector): Filter[] {
  const filters: Filter[] = Object.entries(selector.tags ?? {}).map(([k, v]) => ({
    Name: `tag:${k}`,
    Values: [v],
  }));
  // One `tag-key` filter narrows the listing; further keys are checked client-side, since a
  // repeated filter name would OR rather than AND.
  const firstKey = selector.tagKeys?.[0];
  if (firstKey !== undefined) filters.push({ Name: 'tag-key', Values: [firstKey] });
  filters.push({ Name: 'instance-state-name', Values: [...LIVE_STATES] });
  return filters;
}

/** An EC2 instance as the provider contract describes it; undefined for a terminated one. */
export function toDescription(instance: Instance, health: ProviderHealth): InstanceDescription | undefined {
  const state = instance.State?.Name;
  if (!instance.InstanceId || state === undefined || !STATES.has(state)) return undefined;
  const details: Record<string, string | number> = {};
  if (instance.PrivateIpAddress) details.privateIp = instance.PrivateIpAddress;
  if (instance.SubnetId) details.subnetId = instance.SubnetId;
  if (instance.Placement?.AvailabilityZone) details.availabilityZone = instance.Placement.AvailabilityZone;
  if (instance.InstanceType) details.instanceType = instance.InstanceType;
  if (instance.ImageId) details.imageId = instance.ImageId;
  if (instance.InstanceLifecycle) details.lifecycle = instance.InstanceLifecycle;
  return {
    id: instance.InstanceId,
    state: state as InstanceState,
    tags: tagRecord(instance.Tags),
    launchedAt: instance.LaunchTime?.getTime() ?? 0,
    health,
    details,
  };
}

/**
 * Every instance matching `filters`, reading all pages. Any failing page throws: a caller must never
 * act on a partial listing (a missing page would look like missing instances, and missing instances
 * get replaced). Once `signal` aborts, no further page is asked for.
 */
export async function listInstances(
  api: Ec2Api,
  filters: Filter[],
  signal?: AbortSignal,
): Promise<Instance[]> {
  const instances: Instance[] = [];
  const seenTokens = new Set<string>();
  let token: string | undefined;
  do {
    signal?.throwIfAborted();
    const out = await api.describeInstances(
      {
        Filters: filters,
        MaxResults: DESCRIBE_PAGE_SIZE,
        ...(token ? { NextToken: token } : {}),
      },
      { signal },
    );
    for (const r of out.Reservations ?? []) instances.push(...(r.Instances ?? []));
    token = out.NextToken || undefined;
    if (token !== undefined) {
      if (seenTokens.has(token)) throw new Error('DescribeInstances returned a repeated NextToken');
      seenTokens.add(token);
    }
  } while (token !== undefined);
  return instances;
}

/**
 * The provider's `describe`: one paginated DescribeInstances for the selector (a sweep asks once
 * for `tagKeys: ['infrakit.group']` and splits by group itself), then the status checks of what was
 * found (see `fetchHealth` for the call count). For 1,000 instances this is 2 requests. Once
 * `signal` aborts, no further request is sent (between pages, and before the status checks).
 */
export async function describeInstances(
  api: Ec2Api,
  selector: DescribeSelector,
  signal?: AbortSignal,
): Promise<InstanceDescription[]> {
  const byId = new Map<string, Instance>();
  for (const i of await listInstances(api, selectorFilters(selector), signal)) {
    // Pages are not a snapshot: an instance can show up twice while the listing moves; keep one.
    if (i.InstanceId && STATES.has(i.State?.Name ?? '') && matchesSelector(tagRecord(i.Tags), selector))
      byId.set(i.InstanceId, i);
  }
  const matching = [...byId.values()];
  signal?.throwIfAborted();
  const health = await fetchHealth(api, [...byId.keys()], signal);
  const out: InstanceDescription[] = [];
  for (const i of matching) {
    const d = toDescription(i, health.get(i.InstanceId ?? '') ?? { status: 'unknown' });
    if (d) out.push(d);
  }
  // Deterministic order for the planner and for tests.
  return out.sort((a, b) => a.launchedAt - b.launchedAt || a.id.localeCompare(b.id));
}

/** Filter values per `instance-id` filter in one DescribeInstances call (EC2's limit is 200). */
export const IDS_PER_FILTER = 200;

/**
 * The instances among `ids` that EC2 knows, in any state (terminated included), by id. Uses an
 * `instance-id` filter rather than `InstanceIds`, because one unknown id makes EC2 fail a whole
 * `InstanceIds` call, while a filter simply matches nothing for it.
 */
export async function lookupByIds(
  api: Ec2Api,
  ids: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, Instance>> {
  const found = new Map<string, Instance>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += IDS_PER_FILTER) {
    const chunk = unique.slice(i, i + IDS_PER_FILTER);
    for (const inst of await listInstances(api, [{ Name: 'instance-id', Values: chunk }], signal))
      if (inst.InstanceId) found.set(inst.InstanceId, inst);
  }
  return found;
}
