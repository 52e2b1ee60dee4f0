import type { Volume } from '@aws-sdk/client-ec2';
import { InvalidConfigurationError } from '../../errors.js';
import { TAG_LOGICAL_ID } from '../../tags.js';
import type { AttachResult, InstanceDescription, InstanceOwner } from '../types.js';
import type { Ec2Api } from './api.js';
import { lookupByIds } from './describe.js';
import { ownAllocation, wantedFor } from './pet-launch.js';
import { type Holding, holdingOf, listPetResources } from './pet-resources.js';
import type { Ec2Properties } from './properties.js';

/** Instance states in which an instance still holds what is attached to it. */
const HOLDING_STATES: ReadonlySet<string> = new Set([
  'pending',
  'running',
  'stopping',
  'stopped',
  'shutting-down',
]);

/** Ids among `ids` of instances that still exist and hold their attachments (one DescribeInstances). */
export async function holdersAlive(
  api: Ec2Api,
  ids: readonly string[],
  signal: AbortSignal | undefined,
): Promise<ReadonlySet<string>> {
  if (ids.length === 0) return new Set();
  const found = await lookupByIds(api, [...new Set(ids)], signal);
  return new Set([...found].filter(([, i]) => HOLDING_STATES.has(i.State?.Name ?? '')).map(([id]) => id));
}

/** The instance a volume is attached to (or being attached to), if any. */
export function holderOf(v: Volume): string | undefined {
  return (v.Attachments ?? []).find((a) => a.InstanceId)?.InstanceId;
}

/**
 * Attaches one running pet's volumes: each volume of its logical ID already attached to it is left
 * alone (an attach retried after a crash finds it done); one still held by another live instance
 * (the one it replaces, shutting down) is waited for, never taken; one attached to an instance that
 * no longer exists is detached first (moto keeps such attachments; EC2 ends them itself).
 */
async function attachVolumes(
  api: Ec2Api,
  p: Ec2Properties,
  instance: InstanceDescription,
  holding: Holding,
  alive: ReadonlySet<string>,
  waiting: string[],
  signal: AbortSignal | undefined,
): Promise<void> {
  const zone = instance.details?.availabilityZone;
  for (const { device } of p.volumes ?? []) {
    const v = holding.volumes.get(device);
    if (!v?.VolumeId) {
      waiting.push(`${instance.id}: no volume for ${device} yet`);
      continue;
    }
    if (zone !== undefined && v.AvailabilityZone !== zone)
      throw new InvalidConfigurationError(
        `volume ${v.VolumeId} is in ${v.AvailabilityZone}, instance ${instance.id} in ${zone}: a volume cannot change zone`,
      );
    const holder = holderOf(v);
    if (holder === instance.id) continue;
    if (holder !== undefined && alive.has(holder)) {
      waiting.push(`${v.VolumeId} is still attached to ${holder}`);
      continue;
    }
    if (holder !== undefined) {
      await api.detachVolume({ VolumeId: v.VolumeId, InstanceId: holder }, { signal });
    } else if (v.State !== 'available') {
      waiting.push(`${v.VolumeId} is ${v.State}`);
      continue;
    }
    signal?.throwIfAborted();
    await api.attachVolume({ VolumeId: v.VolumeId, InstanceId: instance.id, Device: device }, { signal });
  }
}

/** Associates the pet's Elastic IP with its interface (it then follows every replacement) or instance. */
async function associateAddress(
  api: Ec2Api,
  instance: InstanceDescription,
  holding: Holding,
  waiting: string[],
  signal: AbortSignal | undefined,
): Promise<void> {
  const address = holding.address;
  if (!address?.AllocationId) {
    waiting.push(`${instance.id}: no Elastic IP allocated yet`);
    return;
  }
  const eni = holding.networkInterface?.NetworkInterfaceId;
  if (eni ? address.NetworkInterfaceId === eni : address.InstanceId === instance.id) return;
  signal?.throwIfAborted();
  await api.associateAddress(
    {
      AllocationId: address.AllocationId,
      ...(eni ? { NetworkInterfaceId: eni } : { InstanceId: instance.id }),
      // The logical ID's address: the instance it replaced is gone (pets never surge).
      AllowReassociation: true,
    },
    { signal },
  );
}

/**
 * The provider's `attach`: the pets among `instances` get their volumes and Elastic IP once they
 * run. Reads what the logical IDs hold (one Describe per kind) and the instances holding any of it,
 * then attaches what is missing. Idempotent; returns what it still waits for (a pending instance, a
 * volume still held by the instance being replaced).
 */
export async function attachPets(
  api: Ec2Api,
  p: Ec2Properties,
  owner: InstanceOwner,
  instances: readonly InstanceDescription[],
  signal?: AbortSignal,
): Promise<AttachResult> {
  const wantsVolumes = (p.volumes ?? []).length > 0;
  const wantsAddress = p.elasticIp !== undefined && p.elasticIp !== false;
  const pets = instances.filter((i) => i.tags[TAG_LOGICAL_ID] !== undefined);
  if (pets.length === 0 || !(wantsVolumes || wantsAddress)) return { done: true, waiting: [] };
  const logicalIds = pets.map((i) => i.tags[TAG_LOGICAL_ID] ?? '');
  const resources = await listPetResources(api, owner, wantedFor(p, logicalIds), logicalIds, signal);
  const holders = resources.volumes
    .flatMap((v) => holderOf(v) ?? [])
    .filter((id) => !pets.some((i) => i.id === id));
  const alive = await holdersAlive(api, holders, signal);
  const waiting: string[] = [];
  for (const instance of pets) {
    if (instance.state === 'pending') {
      waiting.push(`${instance.id} is pending`);
      continue;
    }
    // An instance on its way out needs nothing more; one that is stopped keeps what it has.
    if (instance.state !== 'running') continue;
    const logicalId = instance.tags[TAG_LOGICAL_ID] ?? '';
    const holding = holdingOf(resources, logicalId, ownAllocation(p, logicalId));
    if (wantsVolumes) await attachVolumes(api, p, instance, holding, alive, waiting, signal);
    if (wantsAddress) await associateAddress(api, instance, holding, waiting, signal);
  }
  return { done: waiting.length === 0, waiting };
}
