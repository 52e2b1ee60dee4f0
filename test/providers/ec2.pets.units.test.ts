import type { Volume } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { admitSpec } from '../../src/admission/admit.js';
import { InvalidConfigurationError, SpecValidationError } from '../../src/errors.js';
import { vanillaFlavor } from '../../src/flavors/vanilla/index.js';
import { launchInput } from '../../src/providers/ec2/launch-input.js';
import { pinnedSubnet } from '../../src/providers/ec2/pet-launch.js';
import { zoneContradictions } from '../../src/providers/ec2/pet-placement.js';
import { holdingOf, type PetResources, TAG_DEVICE } from '../../src/providers/ec2/pet-resources.js';
import { parseEc2Properties } from '../../src/providers/ec2/properties.js';
import { Ec2Provider } from '../../src/providers/ec2/provider.js';
import { TAG_LOGICAL_ID } from '../../src/tags.js';

/** The pure parts of pets that keep state: properties, placement, which copy is the one, the launch input. */

const inline = { imageId: 'ami-12c6146b', instanceType: 't3.micro', subnetIds: ['subnet-0aaa1111'] };
const provider = new Ec2Provider({ client: async () => ({ send: async () => ({}) }) as never });
const registries = {
  providers: new Map([['ec2', provider]]),
  flavors: new Map([['vanilla', vanillaFlavor]]),
};

function paths(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof SpecValidationError) return err.issues.map((i) => i.path);
    throw err;
  }
  return [];
}

const subnets = [
  { id: 'subnet-a', availabilityZone: 'us-east-1a', cidr: '10.0.1.0/24' },
  { id: 'subnet-b', availabilityZone: 'us-east-1b', cidr: '10.0.2.0/24' },
];

function volume(id: string, lid: string, device: string, extra: Partial<Volume> = {}): Volume {
  return {
    VolumeId: id,
    AvailabilityZone: 'us-east-1b',
    State: 'available',
    Tags: [
      { Key: TAG_LOGICAL_ID, Value: lid },
      { Key: TAG_DEVICE, Value: device },
    ],
    ...extra,
  };
}

const none: PetResources = { volumes: [], interfaces: [], addresses: [] };

describe('pet properties', () => {
  it('fill encrypted gp3 volumes by default and refuse what EC2 would', () => {
    const p = parseEc2Properties({ ...inline, volumes: [{ device: '/dev/sdf', sizeGiB: 10 }] });
    expect(p.volumes).toEqual([{ device: '/dev/sdf', sizeGiB: 10, type: 'gp3', encrypted: true }]);
    expect(
      paths(() =>
        parseEc2Properties({
          ...inline,
          volumes: [
            { device: '/dev/sda1', sizeGiB: 10 },
            { device: '/dev/sdf', sizeGiB: 10, type: 'gp2', throughput: 200 },
            { device: '/dev/sdg', sizeGiB: 10, type: 'io2' },
          ],
        }),
      ).sort(),
    ).toEqual(['volumes.0.device', 'volumes.1.throughput', 'volumes.2.iops']);
    expect(
      paths(() =>
        parseEc2Properties({
          ...inline,
          volumes: [
            { device: '/dev/sdf', sizeGiB: 10 },
            { device: '/dev/sdf', sizeGiB: 20 },
          ],
        }),
      ),
    ).toEqual(['volumes']);
  });

  it('need subnets to create volumes and interfaces in, and no launch template beside an interface', () => {
    const { subnetIds: _, ...noSubnets } = inline;
    expect(
      paths(() => parseEc2Properties({ ...noSubnets, volumes: [{ device: '/dev/sdf', sizeGiB: 1 }] })),
    ).toEqual(['volumes']);
    expect(paths(() => parseEc2Properties({ ...noSubnets, networkInterface: true }))).toEqual([
      'networkInterface',
    ]);
    expect(
      paths(() =>
        parseEc2Properties({
          launchTemplate: { id: 'lt-0abc12345678def90' },
          subnetIds: ['subnet-0aaa1111'],
          networkInterface: true,
        }),
      ),
    ).toEqual(['networkInterface']);
  });

  it('are refused at PUT for cattle, and for a logical ID without its own Elastic IP allocation', () => {
    const spec = (allocation: object, properties: object) => ({
      id: 'zk',
      allocation,
      instance: { provider: 'ec2', properties: { ...inline, ...properties } },
    });
    const cattle = admitSpec(spec({ size: 2 }, { networkInterface: true }), registries);
    expect(cattle.ok ? [] : cattle.issues.map((i) => i.path)).toEqual([
      'instance.properties.networkInterface',
    ]);
    const missing = admitSpec(
      spec(
        { logicalIds: ['zk1', 'zk2'] },
        { elasticIp: { allocationIds: { zk1: 'eipalloc-0abc12345678def90' } } },
      ),
      registries,
    );
    expect(missing.ok ? [] : missing.issues).toEqual([
      {
        path: 'instance.properties.elasticIp.allocationIds',
        message: 'has no allocation id for this logical ID (logical ID zk2)',
      },
    ]);
    expect(
      admitSpec(spec({ logicalIds: ['zk1'] }, { elasticIp: true, networkInterface: true }), registries).ok,
    ).toBe(true);
  });
});

describe('which copy of a slot is the logical ID’s', () => {
  it('is the attached one, else the oldest, else the lowest id: the same for every reconciler', () => {
    const older = volume('vol-2', 'zk1', '/dev/sdf', { CreateTime: new Date(1_000) });
    const newer = volume('vol-1', 'zk1', '/dev/sdf', { CreateTime: new Date(2_000) });
    const attached = volume('vol-3', 'zk1', '/dev/sdf', {
      CreateTime: new Date(3_000),
      State: 'in-use',
      Attachments: [{ InstanceId: 'i-1' }],
    });
    const root = { ...volume('vol-0', 'zk1', ''), Tags: [{ Key: TAG_LOGICAL_ID, Value: 'zk1' }] };
    for (const order of [
      [older, newer],
      [newer, older],
    ]) {
      const h = holdingOf({ ...none, volumes: [...order, root] }, 'zk1');
      expect(h.volumes.get('/dev/sdf')?.VolumeId).toBe('vol-2');
      expect(h.extraVolumes.map((v) => v.VolumeId)).toEqual(['vol-1']);
    }
    expect(holdingOf({ ...none, volumes: [older, attached] }, 'zk1').volumes.get('/dev/sdf')?.VolumeId).toBe(
      'vol-3',
    );
    // An address allocated twice (AllocateAddress takes no client token): the associated one is used.
    const eip = (id: string, associated: boolean) => ({
      AllocationId: id,
      ...(associated ? { AssociationId: `eipassoc-${id}` } : {}),
      Tags: [{ Key: TAG_LOGICAL_ID, Value: 'zk1' }],
    });
    const twice = holdingOf(
      { ...none, addresses: [eip('eipalloc-1', false), eip('eipalloc-2', true)] },
      'zk1',
    );
    expect(twice.address?.AllocationId).toBe('eipalloc-2');
    expect(twice.extraAddresses.map((a) => a.AllocationId)).toEqual(['eipalloc-1']);
    // With the operator's own allocation, what the group allocated earlier is not an extra to release.
    expect(
      holdingOf({ ...none, addresses: [eip('eipalloc-1', false)] }, 'zk1', 'eipalloc-9').extraAddresses,
    ).toEqual([]);
    // Another logical ID's volume, and an instance's root volume (no device tag), are not zk1's.
    expect(
      holdingOf({ ...none, volumes: [volume('vol-9', 'zk2', '/dev/sdf'), root] }, 'zk1').volumes.size,
    ).toBe(0);
  });
});

describe('placement of a pet that keeps state', () => {
  it('follows its interface’s subnet, else its volumes’ zone (the preferred subnet when it is there)', () => {
    const withVolume = holdingOf({ ...none, volumes: [volume('vol-1', 'zk1', '/dev/sdf')] }, 'zk1');
    expect(pinnedSubnet(withVolume, subnets, 'subnet-a', 'zk1').id).toBe('subnet-b');
    expect(pinnedSubnet(holdingOf(none, 'zk1'), subnets, 'subnet-b', 'zk1').id).toBe('subnet-b');
    const withEni = holdingOf(
      {
        ...none,
        interfaces: [
          {
            NetworkInterfaceId: 'eni-1',
            SubnetId: 'subnet-a',
            TagSet: [{ Key: TAG_LOGICAL_ID, Value: 'zk1' }],
          },
        ],
      },
      'zk1',
    );
    expect(pinnedSubnet(withEni, subnets, 'subnet-b', 'zk1').id).toBe('subnet-a');
    expect(() => pinnedSubnet(withVolume, [subnets[0] as (typeof subnets)[0]], 'subnet-a', 'zk1')).toThrow(
      InvalidConfigurationError,
    );
  });

  it('is contradicted by subnets that leave out a zone or subnet a logical ID holds (refused at PUT)', () => {
    const held: PetResources = {
      ...none,
      volumes: [volume('vol-1', 'zk1', '/dev/sdf')],
      interfaces: [
        {
          NetworkInterfaceId: 'eni-2',
          SubnetId: 'subnet-b',
          TagSet: [{ Key: TAG_LOGICAL_ID, Value: 'zk2' }],
        },
      ],
    };
    expect(zoneContradictions(held, subnets, ['zk1', 'zk2'])).toEqual([]);
    const issues = zoneContradictions(held, [subnets[0] as (typeof subnets)[0]], ['zk1', 'zk2', 'zk3']);
    expect(issues.map((i) => i.path)).toEqual(['subnetIds', 'subnetIds']);
    expect(issues[0]?.message).toMatch(/zk1 keeps volume vol-1 in us-east-1b/);
    expect(issues[1]?.message).toMatch(/zk2 keeps network interface eni-2 in subnet-b/);
    // A logical ID no longer in the spec constrains nothing.
    expect(zoneContradictions(held, [subnets[0] as (typeof subnets)[0]], ['zk3'])).toEqual([]);
  });
});

describe('the launch input of a pet with its own interface', () => {
  it('names the interface as device 0, in its zone, and no subnet, IP or instance-level security group', () => {
    const input = launchInput(
      { ImageId: 'ami-12c6146b', SecurityGroupIds: ['sg-0abc1234'] },
      {
        count: 1,
        intentToken: 'zk-1',
        batchKey: 'k',
        tags: { a: 'b' },
        subnetId: 'subnet-a',
        privateIp: '10.0.1.10',
        networkInterfaceId: 'eni-1',
        availabilityZone: 'us-east-1a',
      },
    );
    expect(input.NetworkInterfaces).toEqual([{ DeviceIndex: 0, NetworkInterfaceId: 'eni-1' }]);
    expect(input.Placement).toEqual({ AvailabilityZone: 'us-east-1a' });
    expect(input.SubnetId).toBeUndefined();
    expect(input.PrivateIpAddress).toBeUndefined();
    expect(input.SecurityGroupIds).toBeUndefined();
    expect(input.MinCount).toBe(1);
  });
});
