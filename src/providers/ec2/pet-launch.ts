import type { Volume } from '@aws-sdk/client-ec2';
import { type FieldIssue, InvalidConfigurationError, SpecValidationError } from '../../errors.js';
import type { InstanceOwner, ProvisionRequest } from '../types.js';
import type { Ec2Api } from './api.js';
import { clientToken, ec2Tags } from './launch-input.js';
import { type Holding, holdingOf, listPetResources, petTags, TAG_DEVICE } from './pet-resources.js';
import { type SubnetInfo, subnetForIp } from './placement.js';
import { type Ec2Properties, petResourcesOf } from './properties.js';

/** Where a pet launches: its subnet, and its own network interface as device 0 when it has one. */
export interface PetPlacement {
  readonly subnetId: string;
  readonly networkInterfaceId?: string;
}

/** The operator's Elastic IP allocation for `logicalId`, if the spec names one. */
export function ownAllocation(p: Ec2Properties, logicalId: string): string | undefined {
  return typeof p.elasticIp === 'object' ? p.elasticIp.allocationIds[logicalId] : undefined;
}

/**
 * Pure, at PUT (`validateLaunch`): what a pet keeps is kept per logical ID, so a group declaring it
 * must be pets, and every logical ID needs its own Elastic IP allocation when the spec names them.
 * Paths start with `properties.` (the provider's properties, as the request sees them).
 */
export function checkPetRequest(p: Ec2Properties, request: ProvisionRequest): void {
  const kinds = petResourcesOf(p);
  if (!kinds) return;
  const issues: FieldIssue[] = [];
  if (request.logicalId === undefined) {
    const first = kinds.volumes ? 'volumes' : kinds.eni ? 'networkInterface' : 'elasticIp';
    issues.push({
      path: `properties.${first}`,
      message: 'is kept per logical ID: the group must be pets (allocation.logicalIds)',
    });
  } else if (typeof p.elasticIp === 'object' && !p.elasticIp.allocationIds[request.logicalId]) {
    issues.push({
      path: 'properties.elasticIp.allocationIds',
      message: 'has no allocation id for this logical ID',
    });
  }
  if (issues.length > 0) throw new SpecValidationError(issues);
}

/** What to read of a group's pet resources for these properties. */
export function wantedFor(p: Ec2Properties, logicalIds: readonly string[] = []) {
  const kinds = petResourcesOf(p) ?? { volumes: false, eni: false, eip: false };
  const allocationIds = logicalIds.flatMap((id) => ownAllocation(p, id) ?? []);
  return { ...kinds, eip: p.elasticIp === true, allocationIds };
}

/**
 * The subnet a logical ID must launch in (pure): its interface's subnet, else one in the AZ of its
 * volumes (the preferred one when it is there), else the preferred one. A volume cannot move to
 * another AZ, nor an interface to another subnet: when `subnets` offer no such place the spec
 * contradicts what the logical ID holds (refused at PUT; here, an invalid configuration).
 */
export function pinnedSubnet(
  holding: Holding,
  subnets: readonly SubnetInfo[],
  preferred: string | undefined,
  logicalId: string,
): SubnetInfo {
  const eniSubnet = holding.networkInterface?.SubnetId;
  if (eniSubnet) {
    const s = subnets.find((x) => x.id === eniSubnet);
    if (!s)
      throw new InvalidConfigurationError(
        `logical ID ${logicalId} keeps network interface ${holding.networkInterface?.NetworkInterfaceId} in ${eniSubnet}, which subnetIds no longer name`,
      );
    return s;
  }
  const zone = [...holding.volumes.values()][0]?.AvailabilityZone;
  const pick = subnets.find((x) => x.id === preferred) ?? subnets[0];
  if (!zone) {
    if (!pick)
      throw new InvalidConfigurationError(`logical ID ${logicalId}: no subnet to create its resources in`);
    return pick;
  }
  if (pick?.availabilityZone === zone) return pick;
  const inZone = subnets.find((x) => x.availabilityZone === zone);
  if (!inZone)
    throw new InvalidConfigurationError(
      `logical ID ${logicalId} keeps its volumes in ${zone}, where subnetIds name no subnet`,
    );
  return inZone;
}

/** Creates the declared volumes the logical ID does not hold yet, in `zone`, tagged at creation. */
async function createMissingVolumes(
  api: Ec2Api,
  p: Ec2Properties,
  owner: InstanceOwner,
  logicalId: string,
  holding: Holding,
  zone: string,
  token: string,
  signal: AbortSignal | undefined,
): Promise<Volume[]> {
  const created: Volume[] = [];
  for (const v of p.volumes ?? []) {
    if (holding.volumes.has(v.device)) continue;
    signal?.throwIfAborted();
    const tags = petTags(owner, logicalId, p.tags, { [TAG_DEVICE]: v.device });
    const out = await api.createVolume(
      {
        AvailabilityZone: zone,
        Size: v.sizeGiB,
        VolumeType: v.type,
        Encrypted: v.encrypted,
        ...(v.iops !== undefined ? { Iops: v.iops } : {}),
        ...(v.throughput !== undefined ? { Throughput: v.throughput } : {}),
        ...(v.kmsKeyId ? { KmsKeyId: v.kmsKeyId } : {}),
        ...(v.snapshotId ? { SnapshotId: v.snapshotId } : {}),
        // The intent's retry of this very call is one volume on EC2 (moto ignores the token: the
        // listing by tags before this call is what keeps a retry from making a second one).
        ClientToken: clientToken(token, `volume ${logicalId} ${v.device}`),
        TagSpecifications: [{ ResourceType: 'volume', Tags: ec2Tags(tags) }],
      },
      { signal },
    );
    created.push(out);
  }
  return created;
}

/**
 * Makes sure `logicalId` holds what the properties declare before its instance is launched, and
 * says where to launch it. Each resource is looked for by its tags first and created only when
 * absent (tagged at creation, client token derived from the launch intent's), so a launch retried
 * after a crash at any point finds what the first attempt made. Duplicates a race may have left
 * (two volumes for one device, neither ever attached) are deleted here, before anything uses them.
 * Elastic IPs are allocated here too; volumes and addresses are attached once the instance runs
 * (`pet-attach.ts`).
 */
export async function preparePet(
  api: Ec2Api,
  p: Ec2Properties,
  owner: InstanceOwner,
  logicalId: string,
  subnets: readonly SubnetInfo[],
  preferred: string | undefined,
  token: string,
  signal: AbortSignal | undefined,
): Promise<PetPlacement> {
  const resources = await listPetResources(api, owner, wantedFor(p, [logicalId]), [logicalId], signal);
  const holding = holdingOf(resources, logicalId, ownAllocation(p, logicalId));
  await deleteUnusedDuplicates(api, holding, signal);
  const subnet = pinnedSubnet(holding, subnets, preferred, logicalId);
  if (p.volumes && subnet.availabilityZone) {
    await createMissingVolumes(api, p, owner, logicalId, holding, subnet.availabilityZone, token, signal);
  }
  let networkInterfaceId = holding.networkInterface?.NetworkInterfaceId;
  if (p.networkInterface && networkInterfaceId && p.securityGroupIds) {
    // The interface brings the instance's security groups: a spec that changed them (a rollout
    // launches with the same interface) changes them on the interface first.
    const has = (holding.networkInterface?.Groups ?? []).map((g) => g.GroupId).sort();
    const wants = [...p.securityGroupIds].sort();
    if (JSON.stringify(has) !== JSON.stringify(wants))
      await api.modifyNetworkInterfaceAttribute(
        { NetworkInterfaceId: networkInterfaceId, Groups: wants },
        { signal },
      );
  }
  if (p.networkInterface && !networkInterfaceId) {
    signal?.throwIfAborted();
    // A logical ID that is an address of this subnet becomes the interface's private IP.
    const ip = subnetForIp([subnet], logicalId) ? logicalId : undefined;
    const out = await api.createNetworkInterface(
      {
        SubnetId: subnet.id,
        ...(p.securityGroupIds ? { Groups: [...p.securityGroupIds] } : {}),
        ...(ip ? { PrivateIpAddress: ip } : {}),
        Description: `${owner.groupId} ${logicalId}`,
        ClientToken: clientToken(token, `eni ${logicalId}`),
        TagSpecifications: [
          { ResourceType: 'network-interface', Tags: ec2Tags(petTags(owner, logicalId, p.tags)) },
        ],
      },
      { signal },
    );
    networkInterfaceId = out.NetworkInterface?.NetworkInterfaceId;
  }
  if (p.elasticIp === true && !holding.address) {
    signal?.throwIfAborted();
    await api.allocateAddress(
      {
        Domain: 'vpc',
        TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: ec2Tags(petTags(owner, logicalId, p.tags)) }],
      },
      { signal },
    );
  }
  return { subnetId: subnet.id, ...(networkInterfaceId ? { networkInterfaceId } : {}) };
}

/** Deletes a slot's extra volumes, interfaces and addresses that nothing uses (never one in use). */
async function deleteUnusedDuplicates(api: Ec2Api, holding: Holding, signal: AbortSignal | undefined) {
  for (const v of holding.extraVolumes) {
    if (v.State === 'available' && v.VolumeId) await api.deleteVolume({ VolumeId: v.VolumeId }, { signal });
  }
  for (const n of holding.extraInterfaces) {
    if (n.Status === 'available' && n.NetworkInterfaceId)
      await api.deleteNetworkInterface({ NetworkInterfaceId: n.NetworkInterfaceId }, { signal });
  }
  for (const a of holding.extraAddresses) {
    if (!a.AssociationId && a.AllocationId)
      await api.releaseAddress({ AllocationId: a.AllocationId }, { signal });
  }
}
