import { createHash } from 'node:crypto';
import type { BlockDeviceMapping, RunInstancesCommandInput, Tag } from '@aws-sdk/client-ec2';
import type { Ec2Properties } from './properties.js';

/** EC2 accepts client tokens of up to 64 ASCII characters. */
export const MAX_CLIENT_TOKEN_LENGTH = 64;

/**
 * The `ClientToken` of one RunInstances call: the intent token (readable, for tracing in
 * CloudTrail) plus a hash of the token and of everything that makes this call differ from the
 * intent's other calls (subnet, instance type, count, tags, …). The same call retried gets the same
 * token, so EC2 launches it at most once; a different call of the same intent (the next subnet, the
 * remainder after a crash) gets its own, since EC2 refuses a reused token with other parameters.
 */
export function clientToken(intentToken: string, discriminator: string): string {
  const readable = intentToken.replace(/[^A-Za-z0-9._:-]/g, '_').slice(0, 40);
  const digest = createHash('sha256').update(`${intentToken}\n${discriminator}`).digest('hex').slice(0, 20);
  return `${readable}-${digest}`;
}

/** Tags as EC2 wants them, sorted by key for stable requests. */
export function ec2Tags(tags: Readonly<Record<string, string>>): Tag[] {
  return Object.entries(tags)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([Key, Value]) => ({ Key, Value }));
}

function blockDevices(p: Ec2Properties): BlockDeviceMapping[] | undefined {
  return p.blockDeviceMappings?.map((m) => ({
    DeviceName: m.deviceName,
    ...(m.virtualName ? { VirtualName: m.virtualName } : {}),
    ...(m.noDevice ? { NoDevice: '' } : {}),
    ...(m.ebs
      ? {
          Ebs: {
            DeleteOnTermination: m.ebs.deleteOnTermination,
            ...(m.ebs.volumeSize !== undefined ? { VolumeSize: m.ebs.volumeSize } : {}),
            ...(m.ebs.volumeType ? { VolumeType: m.ebs.volumeType } : {}),
            ...(m.ebs.iops !== undefined ? { Iops: m.ebs.iops } : {}),
            ...(m.ebs.throughput !== undefined ? { Throughput: m.ebs.throughput } : {}),
            ...(m.ebs.encrypted !== undefined ? { Encrypted: m.ebs.encrypted } : {}),
            ...(m.ebs.kmsKeyId ? { KmsKeyId: m.ebs.kmsKeyId } : {}),
            ...(m.ebs.snapshotId ? { SnapshotId: m.ebs.snapshotId } : {}),
          },
        }
      : {}),
  }));
}

/** The parts of a RunInstances input that come from the group's properties alone. */
export function baseLaunchInput(p: Ec2Properties): Partial<RunInstancesCommandInput> {
  const lt = p.launchTemplate;
  const devices = blockDevices(p);
  const md = p.metadataOptions;
  return {
    ...(lt
      ? {
          LaunchTemplate: {
            ...(lt.id ? { LaunchTemplateId: lt.id } : { LaunchTemplateName: lt.name }),
            ...(lt.version ? { Version: lt.version } : {}),
          },
        }
      : {}),
    ...(p.imageId ? { ImageId: p.imageId } : {}),
    ...(p.securityGroupIds ? { SecurityGroupIds: [...p.securityGroupIds] } : {}),
    ...(p.keyName ? { KeyName: p.keyName } : {}),
    ...(p.iamInstanceProfile
      ? {
          IamInstanceProfile: p.iamInstanceProfile.startsWith('arn:')
            ? { Arn: p.iamInstanceProfile }
            : { Name: p.iamInstanceProfile },
        }
      : {}),
    ...(devices ? { BlockDeviceMappings: devices } : {}),
    MetadataOptions: {
      HttpTokens: md.httpTokens,
      HttpEndpoint: md.httpEndpoint,
      HttpPutResponseHopLimit: md.httpPutResponseHopLimit,
      ...(md.instanceMetadataTags ? { InstanceMetadataTags: md.instanceMetadataTags } : {}),
    },
    ...(p.spot
      ? {
          InstanceMarketOptions: {
            MarketType: 'spot',
            SpotOptions: {
              ...(p.spot.maxPrice ? { MaxPrice: p.spot.maxPrice } : {}),
              InstanceInterruptionBehavior: p.spot.interruptionBehavior,
              // EC2 only stops or hibernates instances of a persistent Spot request.
              SpotInstanceType: p.spot.interruptionBehavior === 'terminate' ? 'one-time' : 'persistent',
            },
          },
        }
      : {}),
  };
}

/** What varies between the RunInstances calls of one provision. */
export interface LaunchCall {
  readonly count: number;
  readonly intentToken: string;
  /** Identifies the batch within the intent (its tags, init, logical ID). */
  readonly batchKey: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly init?: string;
  readonly subnetId?: string;
  readonly instanceType?: string;
  readonly privateIp?: string;
  /** A pet's own network interface, attached as device 0 (it brings subnet, IP and security groups). */
  readonly networkInterfaceId?: string;
  /** The interface's zone, said explicitly (it must match; some EC2 emulators do not derive it). */
  readonly availabilityZone?: string;
}

/**
 * One RunInstances input. Tags go on the instance and its volumes in the same call (never tagged
 * after launch: an instance must never exist, even briefly, without its group tag). `MinCount` =
 * `MaxCount`: EC2 launches the whole batch or fails with a capacity error, and the provider then
 * sends the whole batch to the next type or subnet (moto, too, launches exactly `MinCount`).
 */
export function launchInput(
  base: Partial<RunInstancesCommandInput>,
  call: LaunchCall,
): RunInstancesCommandInput {
  const tags = ec2Tags(call.tags);
  const discriminator = [call.batchKey, call.subnetId ?? '', call.instanceType ?? '', call.count].join('\n');
  if (call.networkInterfaceId) {
    // EC2 refuses a subnet, an IP or instance-level security groups next to an interface.
    const { SecurityGroupIds: _groups, ...rest } = base;
    return {
      ...launchInput(rest, {
        ...call,
        networkInterfaceId: undefined,
        subnetId: undefined,
        privateIp: undefined,
      }),
      NetworkInterfaces: [{ DeviceIndex: 0, NetworkInterfaceId: call.networkInterfaceId }],
      ...(call.availabilityZone ? { Placement: { AvailabilityZone: call.availabilityZone } } : {}),
    };
  }
  return {
    ...base,
    MinCount: call.count,
    MaxCount: call.count,
    ClientToken: clientToken(call.intentToken, discriminator),
    ...(call.instanceType
      ? { InstanceType: call.instanceType as RunInstancesCommandInput['InstanceType'] }
      : {}),
    ...(call.subnetId ? { SubnetId: call.subnetId } : {}),
    ...(call.privateIp ? { PrivateIpAddress: call.privateIp } : {}),
    ...(call.init !== undefined && call.init !== ''
      ? { UserData: Buffer.from(call.init, 'utf8').toString('base64') }
      : {}),
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
    ],
  };
}
