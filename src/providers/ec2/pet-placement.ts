import type { FieldIssue } from '../../errors.js';
import type { PreflightContext } from '../types.js';
import type { Ec2Api } from './api.js';
import { holdingOf, listPetResources, type PetResources } from './pet-resources.js';
import type { SubnetInfo } from './placement.js';
import type { Ec2Properties } from './properties.js';

/**
 * Where a spec's subnets contradict what its logical IDs already hold (pure): a volume lives in one
 * Availability Zone and an interface in one subnet, so a logical ID whose volumes are in a zone
 * `subnets` do not reach, or whose interface is in a subnet they do not name, could never be
 * launched again with them. Such a spec is refused at PUT rather than blocked later.
 */
export function zoneContradictions(
  resources: PetResources,
  subnets: readonly SubnetInfo[],
  logicalIds: readonly string[],
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const zones = new Set(subnets.flatMap((s) => s.availabilityZone ?? []));
  for (const logicalId of logicalIds) {
    const holding = holdingOf(resources, logicalId);
    const eni = holding.networkInterface;
    if (eni?.SubnetId && !subnets.some((s) => s.id === eni.SubnetId)) {
      issues.push({
        path: 'subnetIds',
        message: `logical ID ${logicalId} keeps network interface ${eni.NetworkInterfaceId} in ${eni.SubnetId}: subnetIds must include it`,
      });
      continue;
    }
    const volume = [...holding.volumes.values()][0];
    const zone = volume?.AvailabilityZone;
    if (zone && !zones.has(zone))
      issues.push({
        path: 'subnetIds',
        message: `logical ID ${logicalId} keeps volume ${volume?.VolumeId} in ${zone}: subnetIds must include a subnet in ${zone}`,
      });
  }
  return issues;
}

/** `zoneContradictions` for a submitted spec: the group's volumes and interfaces, and its subnets' zones. */
export async function zoneIssues(
  api: Ec2Api,
  p: Ec2Properties,
  context: PreflightContext,
): Promise<FieldIssue[]> {
  const logicalIds = context.logicalIds ?? [];
  if (logicalIds.length === 0 || !p.subnetIds) return [];
  const resources = await listPetResources(
    api,
    context.owner,
    { volumes: true, eni: true, eip: false },
    logicalIds,
  );
  if (resources.volumes.length === 0 && resources.interfaces.length === 0) return [];
  const out = await api.describeSubnets({ SubnetIds: [...p.subnetIds] });
  const subnets = (out.Subnets ?? []).map((s) => ({
    id: s.SubnetId ?? '',
    ...(s.AvailabilityZone ? { availabilityZone: s.AvailabilityZone } : {}),
  }));
  return zoneContradictions(resources, subnets, logicalIds);
}
