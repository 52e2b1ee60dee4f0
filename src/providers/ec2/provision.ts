import type { Instance } from '@aws-sdk/client-ec2';
import { InsufficientCapacityError } from '../../errors.js';
import { TAG_CONTROLLER, TAG_GROUP } from '../../tags.js';
import type { InstanceDescription, ProvisionRequest, ProvisionResult } from '../types.js';
import type { Ec2Api } from './api.js';
import { listInstances, toDescription } from './describe.js';
import { classifyAwsError, describeAwsError, toProviderError } from './errors.js';
import { LIVE_STATES } from './health.js';
import { baseLaunchInput, type LaunchCall, launchInput } from './launch-input.js';
import { preparePet } from './pet-launch.js';
import { type SubnetInfo, spread, subnetForIp } from './placement.js';
import { type Ec2Properties, instanceTypeChoices, petResourcesOf } from './properties.js';

/** Requests launched by one RunInstances call: same intent token, tags, init and subnet. */
interface Batch {
  readonly key: string;
  readonly requests: ProvisionRequest[];
  readonly subnetId?: string;
  /** Pets whose logical ID is an IP inside a subnet: that IP, in that subnet only. */
  readonly privateIp?: string;
  /** A pet that keeps volumes or an interface: their subnet only, its interface as device 0. */
  readonly pinned?: boolean;
  readonly networkInterfaceId?: string;
  readonly availabilityZone?: string;
}

/** Subnet CIDRs, read only when some pet's logical ID looks like an IPv4 address. */
async function subnetInfo(
  api: Ec2Api,
  p: Ec2Properties,
  requests: readonly ProvisionRequest[],
  signal: AbortSignal | undefined,
): Promise<SubnetInfo[]> {
  const ids = p.subnetIds ?? [];
  const wantsIp = requests.some((r) => r.logicalId !== undefined && /^\d+\.\d+\.\d+\.\d+$/.test(r.logicalId));
  // A pet's volumes pin it to their AZ: the subnets' AZs are needed to place it.
  const wantsZones = petResourcesOf(p) !== undefined && requests.some((r) => r.logicalId !== undefined);
  if (ids.length === 0 || !(wantsIp || wantsZones)) return ids.map((id) => ({ id }));
  const out = await api.describeSubnets({ SubnetIds: [...ids] }, { signal });
  const byId = new Map((out.Subnets ?? []).map((s) => [s.SubnetId, s]));
  return ids.map((id) => {
    const s = byId.get(id);
    return {
      id,
      ...(s?.CidrBlock ? { cidr: s.CidrBlock } : {}),
      ...(s?.AvailabilityZone ? { availabilityZone: s.AvailabilityZone } : {}),
    };
  });
}

/**
 * How many live instances of `group` each subnet holds. Placement reads the group itself (one
 * paginated DescribeInstances per provision, only when there is more than one subnet to choose
 * from) rather than trusting a hint from the caller: the real world is the source of truth, and an
 * instance launched by another reconciler a moment ago is counted too.
 */
async function subnetLoad(
  api: Ec2Api,
  group: string,
  signal: AbortSignal | undefined,
): Promise<Map<string, number>> {
  const load = new Map<string, number>();
  const instances = await listInstances(
    api,
    [
      { Name: `tag:${TAG_GROUP}`, Values: [group] },
      { Name: 'instance-state-name', Values: [...LIVE_STATES] },
    ],
    signal,
  );
  for (const i of instances) if (i.SubnetId) load.set(i.SubnetId, (load.get(i.SubnetId) ?? 0) + 1);
  return load;
}

/** A request's fixed place: a subnet, and what the pet keeps there (its interface). */
interface PinnedSubnet extends SubnetInfo {
  /** The logical ID, when it is an IPv4 address of this subnet. */
  readonly ip?: string;
  readonly networkInterfaceId?: string;
}

/**
 * Pets that keep volumes, an interface or an Elastic IP: each first gets what it holds (found by
 * tags or created once, `pet-launch.ts`) and is pinned to where that lives, the spread's choice
 * when it can be. One pet at a time: each is its own RunInstances call anyway.
 */
async function placePets(
  api: Ec2Api,
  p: Ec2Properties,
  subnets: readonly SubnetInfo[],
  pinned: Map<ProvisionRequest, PinnedSubnet>,
  placed: ReadonlyMap<ProvisionRequest, string | undefined>,
  signal: AbortSignal | undefined,
): Promise<void> {
  for (const r of [...pinned.keys(), ...placed.keys()]) {
    if (r.logicalId === undefined) continue;
    const owner = { controllerId: r.tags[TAG_CONTROLLER] ?? '', groupId: r.tags[TAG_GROUP] ?? '' };
    const preferred = pinned.get(r)?.id ?? placed.get(r);
    const place = await preparePet(api, p, owner, r.logicalId, subnets, preferred, r.token, signal);
    const subnet = subnets.find((s) => s.id === place.subnetId) ?? { id: place.subnetId };
    const ip = pinned.get(r)?.ip;
    pinned.set(r, {
      ...subnet,
      ...(ip ? { ip } : {}),
      ...(place.networkInterfaceId ? { networkInterfaceId: place.networkInterfaceId } : {}),
    });
  }
}

/** Places every request in a subnet and groups them into batches of one RunInstances call each. */
async function planBatches(
  api: Ec2Api,
  p: Ec2Properties,
  requests: readonly ProvisionRequest[],
  signal: AbortSignal | undefined,
): Promise<Batch[]> {
  const subnets = await subnetInfo(api, p, requests, signal);
  const subnetIds = subnets.map((s) => s.id);
  const pinned = new Map<ProvisionRequest, PinnedSubnet>();
  for (const r of requests) {
    const s = r.logicalId !== undefined ? subnetForIp(subnets, r.logicalId) : undefined;
    if (s && r.logicalId !== undefined) pinned.set(r, { ...s, ip: r.logicalId });
  }
  const free = requests.filter((r) => !pinned.has(r));
  const placed = new Map<ProvisionRequest, string | undefined>();
  const byGroup = new Map<string, ProvisionRequest[]>();
  for (const r of free) {
    const group = r.tags[TAG_GROUP] ?? '';
    byGroup.set(group, [...(byGroup.get(group) ?? []), r]);
  }
  for (const [group, rs] of byGroup) {
    const load =
      subnetIds.length > 1 && group !== '' ? await subnetLoad(api, group, signal) : new Map<string, number>();
    const targets = spread(subnetIds, load, rs.length);
    rs.forEach((r, i) => {
      placed.set(r, targets[i]);
    });
  }
  if (petResourcesOf(p)) await placePets(api, p, subnets, pinned, placed, signal);
  const batches = new Map<string, Batch>();
  requests.forEach((r, index) => {
    const pin = pinned.get(r);
    const subnetId = pin?.id ?? placed.get(r);
    // Cattle sharing token, tags and init go in one call; a pet's tags differ (its logical ID).
    const content = JSON.stringify([r.token, Object.entries(r.tags).sort(), r.init ?? '', r.logicalId ?? '']);
    const key = r.logicalId !== undefined ? `${content}#${index}` : `${content}@${subnetId ?? ''}`;
    const batch = batches.get(key) ?? {
      key: content,
      requests: [],
      ...(subnetId ? { subnetId } : {}),
      ...(pin ? { pinned: true } : {}),
      // An interface brings its own private IP (made from the logical ID when it was created).
      ...(pin?.networkInterfaceId
        ? {
            networkInterfaceId: pin.networkInterfaceId,
            ...(pin.availabilityZone ? { availabilityZone: pin.availabilityZone } : {}),
          }
        : pin?.ip
          ? { privateIp: pin.ip }
          : {}),
    };
    batch.requests.push(r);
    batches.set(key, batch);
  });
  return [...batches.values()];
}

function describeLaunched(
  instances: readonly Instance[],
  sent: Readonly<Record<string, string>>,
): InstanceDescription[] {
  return instances.flatMap((i) => {
    // Some endpoints leave Tags out of the RunInstances answer; they were set at launch all the same.
    const withTags =
      i.Tags && i.Tags.length > 0
        ? i
        : { ...i, Tags: Object.entries(sent).map(([Key, Value]) => ({ Key, Value })) };
    const d = toDescription(withTags, { status: 'unknown' });
    return d ? [d] : [];
  });
}

/**
 * Launches one batch: in its subnet, each instance type in order; what EC2 lacks capacity for
 * goes to the next type, then to the next subnet. Throws `InsufficientCapacityError` (with every
 * id launched by this provision so far) when all are exhausted; any other error is classified
 * and thrown at once (no fallback can fix an invalid configuration).
 */
async function launchBatch(
  api: Ec2Api,
  p: Ec2Properties,
  batch: Batch,
  launchedSoFar: InstanceDescription[],
  signal: AbortSignal | undefined,
): Promise<void> {
  const first = batch.requests[0];
  if (!first) return;
  const tags = { ...p.tags, ...first.tags };
  const types = instanceTypeChoices(p);
  const subnets: (string | undefined)[] =
    batch.privateIp || batch.pinned
      ? [batch.subnetId]
      : [batch.subnetId, ...(p.subnetIds ?? []).filter((s) => s !== batch.subnetId)];
  const base = baseLaunchInput(p);
  let remaining = batch.requests.length;
  let lastCapacityError: unknown;
  for (const subnetId of subnets) {
    for (const instanceType of types) {
      if (remaining === 0) return;
      const call: LaunchCall = {
        count: remaining,
        intentToken: first.token,
        batchKey: batch.key,
        tags,
        ...(first.init !== undefined ? { init: first.init } : {}),
        ...(subnetId ? { subnetId } : {}),
        ...(instanceType ? { instanceType } : {}),
        ...(batch.privateIp ? { privateIp: batch.privateIp } : {}),
        ...(batch.networkInterfaceId ? { networkInterfaceId: batch.networkInterfaceId } : {}),
        ...(batch.availabilityZone ? { availabilityZone: batch.availabilityZone } : {}),
      };
      try {
        signal?.throwIfAborted();
        const out = await api.runInstances(launchInput(base, call), { signal });
        const launched = describeLaunched(out.Instances ?? [], tags);
        launchedSoFar.push(...launched);
        remaining -= Math.min(remaining, launched.length);
      } catch (err) {
        if (classifyAwsError(err) !== 'capacity')
          throw toProviderError(
            err,
            'launching instances',
            launchedSoFar.map((d) => d.id),
          );
        lastCapacityError = err;
      }
    }
  }
  if (remaining > 0) {
    throw new InsufficientCapacityError(
      `no capacity for ${remaining} instance(s) with type(s) ${types.filter(Boolean).join(', ') || 'from the launch template'} ` +
        `in subnet(s) ${subnets.filter(Boolean).join(', ') || 'chosen by EC2'}: ` +
        (lastCapacityError ? describeAwsError(lastCapacityError) : 'EC2 launched fewer than asked'),
      launchedSoFar.map((d) => d.id),
      { cause: lastCapacityError },
    );
  }
}

/**
 * The provider's `provision`: places the requests across subnets, then one RunInstances per batch
 * (paced by the token bucket, retried on throttling inside `api`), with capacity fallback. Once
 * `signal` aborts, no further RunInstances is sent; what was launched carries the token's tag.
 */
export async function provisionInstances(
  api: Ec2Api,
  p: Ec2Properties,
  requests: readonly ProvisionRequest[],
  signal?: AbortSignal,
): Promise<ProvisionResult> {
  if (requests.length === 0) return { launched: [] };
  let batches: Batch[];
  try {
    batches = await planBatches(api, p, requests, signal);
  } catch (err) {
    throw toProviderError(err, 'placing instances');
  }
  const launched: InstanceDescription[] = [];
  for (const batch of batches) await launchBatch(api, p, batch, launched, signal);
  return { launched };
}
