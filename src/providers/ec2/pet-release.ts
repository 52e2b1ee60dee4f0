import type { NetworkInterface, Volume } from '@aws-sdk/client-ec2';
import type { InstanceOwner, ReleaseRequest, ReleaseResult, RetainedResource } from '../types.js';
import type { Ec2Api } from './api.js';
import { tagRecord } from './describe.js';
import { awsErrorCode, isResourceGone } from './errors.js';
import { holderOf, holdersAlive } from './pet-attach.js';
import { wantedFor } from './pet-launch.js';
import { listPetResources, logicalIdOf, type PetResources, TAG_DEVICE } from './pet-resources.js';
import type { Ec2Properties } from './properties.js';

/** Runs `call`; a resource EC2 no longer knows counts as done. */
async function unlessGone(call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (err) {
    if (!isResourceGone(err)) throw err;
  }
}

/** Every volume, interface and tagged address of the group's pets (the operator's own addresses are never ours). */
function listAll(
  api: Ec2Api,
  p: Ec2Properties,
  owner: InstanceOwner,
  signal?: AbortSignal,
): Promise<PetResources> {
  const kinds = wantedFor(p);
  // Read every kind, not only those the spec declares now: a resource outlives a spec change.
  return listPetResources(
    api,
    owner,
    { ...kinds, volumes: true, eni: true, eip: true, allocationIds: [] },
    undefined,
    signal,
  );
}

/** What the group's pets keep, as the API lists it (DELETE answers with it). Read-only. */
export async function retainedPets(
  api: Ec2Api,
  p: Ec2Properties,
  owner: InstanceOwner,
  signal?: AbortSignal,
): Promise<RetainedResource[]> {
  const r = await listAll(api, p, owner, signal);
  const out: RetainedResource[] = [];
  for (const v of r.volumes)
    out.push({
      kind: 'volume',
      id: v.VolumeId ?? '',
      logicalId: logicalIdOf(v.Tags) ?? '',
      details: {
        device: tagRecord(v.Tags)[TAG_DEVICE] ?? '',
        sizeGiB: v.Size ?? 0,
        availabilityZone: v.AvailabilityZone ?? '',
      },
    });
  for (const n of r.interfaces)
    out.push({
      kind: 'network-interface',
      id: n.NetworkInterfaceId ?? '',
      logicalId: logicalIdOf(n.TagSet) ?? '',
      details: { privateIp: n.PrivateIpAddress ?? '', subnetId: n.SubnetId ?? '' },
    });
  for (const a of r.addresses)
    out.push({
      kind: 'elastic-ip',
      id: a.AllocationId ?? '',
      logicalId: logicalIdOf(a.Tags) ?? '',
      details: { publicIp: a.PublicIp ?? '' },
    });
  return out;
}

/**
 * The provider's `release`: deletes what the logical IDs outside `request.keep` hold, once no
 * live instance holds it. Without `request.all` only when the properties say `retainRemoved:
 * false` (otherwise nothing is read at all). A volume or interface still attached to a live
 * instance is waited for (the call says so and a later one finishes); one attached to an instance
 * that no longer exists is detached first (moto keeps such attachments). Addresses the group
 * allocated are disassociated and released; the operator's own are left alone. Idempotent.
 */
export async function releasePets(
  api: Ec2Api,
  p: Ec2Properties,
  owner: InstanceOwner,
  request: ReleaseRequest,
  signal?: AbortSignal,
): Promise<ReleaseResult> {
  if (!request.all && p.retainRemoved !== false) return { done: true, released: [], waiting: [] };
  const keep = new Set(request.all ? [] : request.keep);
  const r = await listAll(api, p, owner, signal);
  const gone = (tags: Parameters<typeof logicalIdOf>[0]) => !keep.has(logicalIdOf(tags) ?? '');
  const volumes = r.volumes.filter((v) => gone(v.Tags));
  const interfaces = r.interfaces.filter((n) => gone(n.TagSet));
  const addresses = r.addresses.filter((a) => gone(a.Tags));
  const holders = [
    ...volumes.flatMap((v) => (v.Attachments ?? []).flatMap((a) => a.InstanceId ?? [])),
    ...interfaces.flatMap((n) => n.Attachment?.InstanceId ?? []),
  ];
  const alive = await holdersAlive(api, holders, signal);
  const released: string[] = [];
  const waiting: string[] = [];
  for (const a of addresses) {
    if (!a.AllocationId) continue;
    signal?.throwIfAborted();
    const { AssociationId } = a;
    if (AssociationId) await unlessGone(() => api.disassociateAddress({ AssociationId }, { signal }));
    await unlessGone(() => api.releaseAddress({ AllocationId: a.AllocationId }, { signal }));
    released.push(a.AllocationId);
  }
  const releasing: Releasing = { api, alive, waiting, signal };
  for (const n of interfaces)
    if (await deleteInterface(releasing, n)) released.push(n.NetworkInterfaceId ?? '');
  for (const v of volumes) if (await deleteVolume(releasing, v)) released.push(v.VolumeId ?? '');
  return { done: waiting.length === 0, released, waiting };
}

/** What a release pass shares: the port, the live holders, and what it still waits for. */
interface Releasing {
  readonly api: Ec2Api;
  readonly alive: ReadonlySet<string>;
  readonly waiting: string[];
  readonly signal: AbortSignal | undefined;
}

/** Whether a live instance still holds `id` (then it is waited for, never taken). */
function stillHeld(r: Releasing, id: string, holder: string | undefined): boolean {
  if (!holder || !r.alive.has(holder)) return false;
  r.waiting.push(`${id} is still attached to ${holder}`);
  return true;
}

async function deleteInterface(r: Releasing, n: NetworkInterface): Promise<boolean> {
  const NetworkInterfaceId = n.NetworkInterfaceId;
  if (!NetworkInterfaceId || stillHeld(r, NetworkInterfaceId, n.Attachment?.InstanceId)) return false;
  const { api, signal } = r;
  signal?.throwIfAborted();
  // An interface of an instance that no longer exists is free (EC2 ends the attachment itself;
  // moto reports it `in-use` still, but deletes it). Device 0 could not be detached anyway.
  try {
    await unlessGone(() => api.deleteNetworkInterface({ NetworkInterfaceId }, { signal }));
  } catch (err) {
    if (awsErrorCode(err) !== 'InvalidNetworkInterface.InUse') throw err;
    r.waiting.push(`${NetworkInterfaceId} is still in use`);
    return false;
  }
  return true;
}

async function deleteVolume(r: Releasing, v: Volume): Promise<boolean> {
  const VolumeId = v.VolumeId;
  const holder = holderOf(v);
  if (!VolumeId || stillHeld(r, VolumeId, holder)) return false;
  const { api, signal } = r;
  signal?.throwIfAborted();
  if (holder) await unlessGone(() => api.detachVolume({ VolumeId, InstanceId: holder }, { signal }));
  await unlessGone(() => api.deleteVolume({ VolumeId }, { signal }));
  return true;
}
