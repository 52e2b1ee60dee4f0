import type { Address, Filter, NetworkInterface, Volume } from '@aws-sdk/client-ec2';
import { ownerTags, TAG_CONTROLLER, TAG_GROUP, TAG_LOGICAL_ID } from '../../tags.js';
import type { InstanceOwner } from '../types.js';
import type { Ec2Api } from './api.js';
import { tagRecord } from './describe.js';

/**
 * What a pet keeps across replacement (architecture §3.4 for instances, the same tags here): each
 * volume, network interface and Elastic IP of a logical ID carries this controller's identity, the
 * group and the logical ID from the moment it is created (TagSpecifications, never tagged after),
 * and is found again by those tags. A volume also carries its device.
 */
export const TAG_DEVICE = 'infrakit.device';

/** The tags a logical ID's resources are created with: the user's, then the controller's on top. */
export function petTags(
  owner: InstanceOwner,
  logicalId: string,
  userTags: Readonly<Record<string, string>>,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return { ...userTags, ...ownerTags(owner), [TAG_LOGICAL_ID]: logicalId, ...extra };
}

/** Everything a group's pets hold, as EC2 lists it. */
export interface PetResources {
  readonly volumes: readonly Volume[];
  readonly interfaces: readonly NetworkInterface[];
  /** Addresses allocated for the group (tagged), and the operator's own allocations it uses. */
  readonly addresses: readonly Address[];
}

/** What one logical ID holds: the one of each kind it uses, and extras (duplicates) if any. */
export interface Holding {
  /** By device: the volume in use first. */
  readonly volumes: ReadonlyMap<string, Volume>;
  readonly networkInterface?: NetworkInterface;
  readonly address?: Address;
  /** Volumes and interfaces beyond the first of their slot (a race or EC2's eventual consistency). */
  readonly extraVolumes: readonly Volume[];
  readonly extraInterfaces: readonly NetworkInterface[];
  /** Addresses allocated for the logical ID beyond the one it uses (AllocateAddress takes no client token). */
  readonly extraAddresses: readonly Address[];
}

/** Server-side filters: this controller's, this group's, and (when given) these logical IDs only. */
function filtersFor(owner: InstanceOwner, logicalIds?: readonly string[]): Filter[] {
  return [
    { Name: `tag:${TAG_CONTROLLER}`, Values: [owner.controllerId] },
    { Name: `tag:${TAG_GROUP}`, Values: [owner.groupId] },
    logicalIds
      ? { Name: `tag:${TAG_LOGICAL_ID}`, Values: [...logicalIds] }
      : { Name: 'tag-key', Values: [TAG_LOGICAL_ID] },
  ];
}

/** Reads every page; a repeated token is an error (never loop, never act on a partial list). */
async function allPages<T>(
  page: (token: string | undefined) => Promise<{ items: readonly T[]; next: string | undefined }>,
  signal: AbortSignal | undefined,
): Promise<T[]> {
  const out: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    signal?.throwIfAborted();
    const { items, next } = await page(token);
    out.push(...items);
    token = next || undefined;
    if (token !== undefined) {
      if (seen.has(token)) throw new Error('EC2 returned a repeated NextToken');
      seen.add(token);
    }
  } while (token !== undefined);
  return out;
}

export interface ListWanted {
  readonly volumes: boolean;
  readonly eni: boolean;
  readonly eip: boolean;
  /** The operator's own Elastic IP allocations to read along. */
  readonly allocationIds?: readonly string[];
}

/**
 * The group's pet resources (of the logical IDs given, or all), one paginated Describe per kind
 * asked for. Throws on any failure: a missing volume must never look like one to create.
 */
export async function listPetResources(
  api: Ec2Api,
  owner: InstanceOwner,
  wanted: ListWanted,
  logicalIds: readonly string[] | undefined,
  signal?: AbortSignal,
): Promise<PetResources> {
  const Filters = filtersFor(owner, logicalIds);
  // Instances' own volumes carry the instance's tags too (logical ID included): a data volume is
  // one with a device tag. (With no logical IDs to name, that tag key alone selects them.)
  const volumeFilters = logicalIds
    ? [...Filters, { Name: 'tag-key', Values: [TAG_DEVICE] }]
    : [...Filters.slice(0, 2), { Name: 'tag-key', Values: [TAG_DEVICE] }];
  const volumes = wanted.volumes
    ? await allPages(async (NextToken) => {
        const out = await api.describeVolumes(
          { Filters: volumeFilters, MaxResults: 500, ...(NextToken ? { NextToken } : {}) },
          { signal },
        );
        return { items: out.Volumes ?? [], next: out.NextToken };
      }, signal)
    : [];
  const interfaces = wanted.eni
    ? await allPages(async (NextToken) => {
        const out = await api.describeNetworkInterfaces(
          { Filters, MaxResults: 1000, ...(NextToken ? { NextToken } : {}) },
          { signal },
        );
        return { items: out.NetworkInterfaces ?? [], next: out.NextToken };
      }, signal)
    : [];
  // DescribeAddresses is not paginated (an account holds few addresses).
  const tagged = wanted.eip ? ((await api.describeAddresses({ Filters }, { signal })).Addresses ?? []) : [];
  const own = wanted.allocationIds?.length
    ? ((await api.describeAddresses({ AllocationIds: [...wanted.allocationIds] }, { signal })).Addresses ??
      [])
    : [];
  const addresses = [...tagged, ...own.filter((a) => !tagged.some((t) => t.AllocationId === a.AllocationId))];
  return { volumes, interfaces, addresses };
}

/** The logical ID a resource is tagged with. */
export function logicalIdOf(
  tags: readonly { Key?: string; Value?: string }[] | undefined,
): string | undefined {
  return tagRecord(tags)[TAG_LOGICAL_ID];
}

const byId = (a: string | undefined, b: string | undefined) =>
  (a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0;

/**
 * Which of several volumes of one slot is the slot's: the one attached first (it holds the data),
 * then the oldest, then the lowest id. Every reconciler picks the same one from the same listing.
 */
export function volumePreference(a: Volume, b: Volume): number {
  const attached = (v: Volume) => Number((v.Attachments ?? []).length > 0);
  return (
    attached(b) - attached(a) ||
    (a.CreateTime?.getTime() ?? 0) - (b.CreateTime?.getTime() ?? 0) ||
    byId(a.VolumeId, b.VolumeId)
  );
}

/** As `volumePreference`, for interfaces (which carry no creation time): in use first, then the lowest id. */
export function interfacePreference(a: NetworkInterface, b: NetworkInterface): number {
  const used = (n: NetworkInterface) => Number(n.Attachment?.InstanceId !== undefined);
  return used(b) - used(a) || byId(a.NetworkInterfaceId, b.NetworkInterfaceId);
}

/**
 * What `logicalId` holds in `resources`. `allocationId` is the operator's allocation for it, if
 * the spec names one; otherwise the address tagged with the logical ID.
 */
export function holdingOf(resources: PetResources, logicalId: string, allocationId?: string): Holding {
  const slots = new Map<string, Volume[]>();
  for (const v of resources.volumes) {
    const tags = tagRecord(v.Tags);
    const device = tags[TAG_DEVICE];
    if (tags[TAG_LOGICAL_ID] !== logicalId || device === undefined) continue;
    slots.set(device, [...(slots.get(device) ?? []), v]);
  }
  const volumes = new Map<string, Volume>();
  const extraVolumes: Volume[] = [];
  for (const [device, list] of slots) {
    const [first, ...rest] = [...list].sort(volumePreference);
    if (first) volumes.set(device, first);
    extraVolumes.push(...rest);
  }
  const [networkInterface, ...extraInterfaces] = resources.interfaces
    .filter((n) => logicalIdOf(n.TagSet) === logicalId)
    .sort(interfacePreference);
  const tagged = resources.addresses
    .filter((a) => logicalIdOf(a.Tags) === logicalId)
    .sort(
      (a, b) => Number(!!b.AssociationId) - Number(!!a.AssociationId) || byId(a.AllocationId, b.AllocationId),
    );
  const address = allocationId ? resources.addresses.find((a) => a.AllocationId === allocationId) : tagged[0];
  // Only copies of the address the group allocates are extras: with the operator's own allocation,
  // an address the group allocated earlier is kept (released only as the rules say).
  const extraAddresses = allocationId ? [] : tagged.slice(1);
  return {
    volumes,
    ...(networkInterface ? { networkInterface } : {}),
    ...(address ? { address } : {}),
    extraVolumes,
    extraInterfaces,
    extraAddresses,
  };
}
