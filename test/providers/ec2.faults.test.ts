import {
  CreateTagsCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  EC2Client,
  type Instance,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InsufficientCapacityError,
  InvalidConfigurationError,
  NotOwnedError,
  ThrottledError,
} from '../../src/errors.js';
import { Ec2Provider } from '../../src/providers/ec2/provider.js';
import type { ProvisionRequest } from '../../src/providers/types.js';
import { TAG_CONTROLLER, TAG_GROUP, TAG_INTENT, TAG_LOGICAL_ID } from '../../src/tags.js';
import { AMI, awsError, fakeClock } from './ec2-fixtures.js';

/**
 * Fault injection at the SDK boundary: the client's `send` is replaced by aws-sdk-client-mock, so
 * these run without moto and without real sleeping (the clock only moves when slept on).
 */

const client = new EC2Client({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
const ec2 = mockClient(client);
let clock: ReturnType<typeof fakeClock>;
let provider: Ec2Provider;

beforeEach(() => {
  ec2.reset();
  clock = fakeClock();
  provider = new Ec2Provider({ client, now: clock.now, sleep: clock.sleep, retry: { maxAttempts: 4 } });
});
afterEach(() => ec2.reset());

let nextId = 0;
function fakeInstances(input: RunInstancesCommandInput): Instance[] {
  return Array.from({ length: input.MaxCount ?? 1 }, () => ({
    InstanceId: `i-${(nextId++).toString(16).padStart(17, '0')}`,
    State: { Name: 'pending' },
    LaunchTime: new Date(clock.now()),
    InstanceType: input.InstanceType,
    SubnetId: input.SubnetId,
    Tags: input.TagSpecifications?.[0]?.Tags,
  }));
}

const cattle = (n: number, token = 'tok-1'): ProvisionRequest[] =>
  Array.from({ length: n }, () => ({ token, tags: { [TAG_GROUP]: 'web', [TAG_INTENT]: token } }));
const props = (extra: Record<string, unknown> = {}) =>
  provider.validate({ imageId: AMI, instanceType: 'c5.large', ...extra });
const runInputs = () => ec2.commandCalls(RunInstancesCommand).map((c) => c.args[0].input);

describe('throttling', () => {
  it('retries a throttling storm with backoff, then succeeds', async () => {
    ec2
      .on(RunInstancesCommand)
      .rejectsOnce(awsError('RequestLimitExceeded'))
      .rejectsOnce(awsError('RequestLimitExceeded'))
      .rejectsOnce(awsError('Throttling'))
      .callsFake((input) => ({ Instances: fakeInstances(input) }));
    const { launched } = await provider.provision(props(), cattle(3));
    expect(launched).toHaveLength(3);
    expect(provider.calls.snapshot()).toEqual({ RunInstances: 4 });
    // Every retry carries the same client token, so EC2 could never launch a retried call twice.
    expect(new Set(runInputs().map((i) => i.ClientToken)).size).toBe(1);
  });

  it('gives up with ThrottledError after the attempts run out', async () => {
    ec2.on(RunInstancesCommand).rejects(awsError('RequestLimitExceeded'));
    await expect(provider.provision(props(), cattle(1))).rejects.toBeInstanceOf(ThrottledError);
    expect(provider.calls.snapshot()).toEqual({ RunInstances: 4 });
  });

  it('paces RunInstances with the 5-burst, 2-per-second bucket', async () => {
    const sentAt: number[] = [];
    ec2.on(RunInstancesCommand).callsFake((input) => {
      sentAt.push(clock.elapsed());
      return { Instances: fakeInstances(input) };
    });
    // Pets: one RunInstances each.
    const pets = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((id) => ({
      token: 'tok',
      logicalId: id,
      tags: { [TAG_GROUP]: 'web', [TAG_LOGICAL_ID]: id },
    }));
    await provider.provision(props(), pets);
    expect(sentAt).toEqual([0, 0, 0, 0, 0, 500, 1000, 1500]);
  });
});

describe('capacity', () => {
  it('falls back to the next instance type when the first has no capacity', async () => {
    ec2
      .on(RunInstancesCommand, { InstanceType: 'c5.large' })
      .rejects(awsError('InsufficientInstanceCapacity'));
    ec2
      .on(RunInstancesCommand, { InstanceType: 'c5a.large' })
      .callsFake((input) => ({ Instances: fakeInstances(input) }));
    const { launched } = await provider.provision(
      props({ instanceTypes: ['c5a.large', 'm5.large'] }),
      cattle(2),
    );
    expect(launched.map((d) => d.details?.instanceType)).toEqual(['c5a.large', 'c5a.large']);
    expect(runInputs().map((i) => [i.InstanceType, i.MaxCount])).toEqual([
      ['c5.large', 2],
      ['c5a.large', 2],
    ]);
  });

  it('sends what one type could not launch to the next type, then the next subnet', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(RunInstancesCommand).callsFake((input: RunInstancesCommandInput) => {
      if (input.SubnetId === 'subnet-000000a1') {
        if (input.InstanceType === 'c5.large') return { Instances: fakeInstances({ ...input, MaxCount: 1 }) };
        throw awsError('InsufficientInstanceCapacity');
      }
      return { Instances: fakeInstances(input) };
    });
    const p = props({ instanceTypes: ['c5a.large'], subnetIds: ['subnet-000000a1', 'subnet-000000b2'] });
    const { launched } = await provider.provision(p, cattle(4));
    expect(launched).toHaveLength(4);
    expect(runInputs().map((i) => [i.SubnetId, i.InstanceType, i.MaxCount])).toEqual([
      ['subnet-000000a1', 'c5.large', 2], // got 1 of 2
      ['subnet-000000a1', 'c5a.large', 1], // none
      ['subnet-000000b2', 'c5.large', 1], // the rest
      ['subnet-000000b2', 'c5.large', 2], // the other subnet's own share
    ]);
  });

  it('throws InsufficientCapacityError with the ids launched so far when all choices are exhausted', async () => {
    let calls = 0;
    ec2.on(RunInstancesCommand).callsFake((input) => {
      // The first call gets one instance of the three; after that, no capacity anywhere.
      if (calls++ === 0) return { Instances: fakeInstances({ ...input, MaxCount: 1 }) };
      throw awsError('InsufficientInstanceCapacity');
    });
    const err = await provider
      .provision(props({ instanceTypes: ['m5.large'] }), cattle(3))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientCapacityError);
    expect((err as InsufficientCapacityError).launchedIds).toHaveLength(1);
  });
});

describe('invalid configuration', () => {
  it('turns InvalidAMIID.NotFound into InvalidConfigurationError without retrying or falling back', async () => {
    ec2
      .on(RunInstancesCommand)
      .rejects(awsError('InvalidAMIID.NotFound', "The image id '[ami-1]' does not exist"));
    const err = await provider
      .provision(props({ instanceTypes: ['m5.large'] }), cattle(2))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidConfigurationError);
    expect((err as Error).message).toContain('InvalidAMIID.NotFound');
    expect(provider.calls.snapshot()).toEqual({ RunInstances: 1 });
  });
});

const CONTROLLER = 'faults-controller';
const WEB = { controllerId: CONTROLLER, groupId: 'web' };
const owned = (id: string, group = 'web', controller = CONTROLLER): Instance => ({
  InstanceId: id,
  State: { Name: 'running' },
  LaunchTime: new Date(0),
  Tags: [
    { Key: TAG_CONTROLLER, Value: controller },
    { Key: TAG_GROUP, Value: group },
  ],
});

describe('describe', () => {
  it('throws when a page fails mid-pagination, never returning the pages it had', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [{ Instances: [owned('i-1')] }], NextToken: 'page-2' })
      .rejects(awsError('InternalError'));
    await expect(provider.describe({ tagKeys: [TAG_GROUP] })).rejects.toMatchObject({
      name: 'InternalError',
    });
    expect(ec2.commandCalls(DescribeInstanceStatusCommand)).toHaveLength(0);
  });

  it('throws when the status checks fail', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [owned('i-1')] }] });
    ec2.on(DescribeInstanceStatusCommand).rejects(awsError('UnauthorizedOperation'));
    await expect(provider.describe({ tagKeys: [TAG_GROUP] })).rejects.toBeInstanceOf(
      InvalidConfigurationError,
    );
  });

  it('observes 1,000 instances with one DescribeInstances and one DescribeInstanceStatus', async () => {
    const instances = Array.from({ length: 1000 }, (_, i) => owned(`i-${i}`, `g${i % 100}`));
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: instances }] });
    ec2.on(DescribeInstanceStatusCommand).resolves({
      InstanceStatuses: instances.map((i) => ({
        InstanceId: i.InstanceId,
        InstanceStatus: { Status: i.InstanceId === 'i-7' ? 'impaired' : 'ok' },
        SystemStatus: { Status: 'ok' },
      })),
    });
    const seen = await provider.describe({ tagKeys: [TAG_GROUP] });
    expect(seen).toHaveLength(1000);
    expect(seen.find((d) => d.id === 'i-7')?.health.status).toBe('impaired');
    expect(seen.find((d) => d.id === 'i-8')?.health.status).toBe('ok');
    expect(provider.calls.snapshot()).toEqual({ DescribeInstanceStatus: 1, DescribeInstances: 1 });
  });

  it('asks for the status checks of a small group by id', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolves({ Reservations: [{ Instances: [owned('i-1'), owned('i-2')] }] });
    ec2.on(DescribeInstanceStatusCommand).resolves({ InstanceStatuses: [] });
    await provider.describe({ tags: { [TAG_GROUP]: 'web' } });
    expect(ec2.commandCalls(DescribeInstanceStatusCommand)[0]?.args[0].input.InstanceIds).toEqual([
      'i-1',
      'i-2',
    ]);
  });
});

describe('status checks of a region shared with foreign instances', () => {
  it('stops listing the region after ⌈n/100⌉ pages and asks for the rest by id', async () => {
    const ours = Array.from({ length: 150 }, (_, i) => owned(`i-ours-${i}`));
    const foreignPage = (n: number) =>
      Array.from({ length: 1000 }, (_, i) => ({
        InstanceId: `i-foreign-${n}-${i}`,
        InstanceStatus: { Status: 'ok' },
      }));
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: ours }] });
    ec2.on(DescribeInstanceStatusCommand).callsFake((input) =>
      input.InstanceIds
        ? {
            InstanceStatuses: input.InstanceIds.map((id: string) => ({
              InstanceId: id,
              InstanceStatus: { Status: 'impaired' },
              SystemStatus: { Status: 'ok' },
            })),
          }
        : {
            InstanceStatuses: foreignPage(input.NextToken ? 2 : 1),
            NextToken: `after-${input.NextToken ?? 'start'}`,
          },
    );
    const seen = await provider.describe({ tags: { [TAG_GROUP]: 'web' } });
    expect(seen.every((d) => d.health.status === 'impaired')).toBe(true);
    const calls = ec2
      .commandCalls(DescribeInstanceStatusCommand)
      .map((c) => c.args[0].input.InstanceIds?.length ?? 'page');
    expect(calls).toEqual(['page', 'page', 100, 50]);
  });
});

describe('label', () => {
  it('skips ids EC2 no longer knows and still tags the others', async () => {
    ec2.on(CreateTagsCommand).callsFake((input) => {
      // EC2 fails the whole call when one resource is unknown.
      if (input.Resources.includes('i-gone')) throw awsError('InvalidInstanceID.NotFound');
      return {};
    });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [owned('i-1')] }] });
    await provider.label(['i-1', 'i-gone'], { owner: 'ops' });
    expect(ec2.commandCalls(CreateTagsCommand).map((c) => c.args[0].input.Resources)).toEqual([
      ['i-1', 'i-gone'],
      ['i-1'],
    ]);
  });
});

describe('destroy', () => {
  it('terminates in batches of at most 1,000', async () => {
    const ids = Array.from({ length: 2500 }, (_, i) => `i-${i}`);
    ec2.on(DescribeInstancesCommand).callsFake((input) => ({
      Reservations: [{ Instances: (input.Filters?.[0]?.Values ?? []).map((id: string) => owned(id)) }],
    }));
    ec2.on(TerminateInstancesCommand).resolves({});
    const { destroyed } = await provider.destroy(ids, WEB, 'scale down');
    expect(destroyed).toHaveLength(2500);
    expect(
      ec2.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input.InstanceIds?.length),
    ).toEqual([1000, 1000, 500]);
  });

  it('refuses the whole call when one instance belongs to another group', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolves({ Reservations: [{ Instances: [owned('i-1'), owned('i-2', 'db')] }] });
    const err = await provider.destroy(['i-1', 'i-2'], WEB, 'scale down').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotOwnedError);
    expect((err as NotOwnedError).instanceIds).toEqual(['i-2']);
    expect(ec2.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
  });

  it('refuses the whole call when one instance is the same group of another controller', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolves({ Reservations: [{ Instances: [owned('i-1'), owned('i-2', 'web', 'prod-stack')] }] });
    const err = await provider.destroy(['i-1', 'i-2'], WEB, 'scale down').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotOwnedError);
    expect((err as NotOwnedError).instanceIds).toEqual(['i-2']);
    expect(ec2.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
  });
});
