import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  type EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotOwnedError } from '../../src/errors.js';
import { Ec2Provider } from '../../src/providers/ec2/provider.js';
import type { ProvisionRequest } from '../../src/providers/types.js';
import {
  TAG_CONFIG_HASH,
  TAG_CONTROLLER,
  TAG_GROUP,
  TAG_INTENT,
  TAG_LOGICAL_ID,
  TAG_RETAINED,
} from '../../src/tags.js';
import { type MotoServer, motoAvailable, startMoto } from '../helpers/moto.js';
import {
  AMI,
  awsError,
  createNetwork,
  ec2Client,
  fakeClock,
  faultyClient,
  type TestNetwork,
} from './ec2-fixtures.js';

/** The EC2 provider against moto server: real requests, real tags, real filters. */

let moto: MotoServer;
let client: EC2Client;
let net: TestNetwork;
let provider: Ec2Provider;

const CONTROLLER = 'moto-controller';
const owner = (groupId: string) => ({ controllerId: CONTROLLER, groupId });

const cattle = (group: string, n: number, token = `${group}-tok`, init?: string): ProvisionRequest[] =>
  Array.from({ length: n }, () => ({
    token,
    tags: { [TAG_CONTROLLER]: CONTROLLER, [TAG_GROUP]: group, [TAG_INTENT]: token, [TAG_CONFIG_HASH]: 'h1' },
    ...(init !== undefined ? { init } : {}),
  }));

async function rawInstance(id: string) {
  const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
  return out.Reservations?.[0]?.Instances?.[0];
}

describe.runIf(motoAvailable())('ec2 provider on moto', () => {
  beforeAll(async () => {
    moto = await startMoto();
    await moto.reset();
    client = ec2Client(moto.endpoint);
    net = await createNetwork(client);
    provider = new Ec2Provider({ client });
  });
  afterAll(async () => {
    await moto?.reset();
    await moto?.stop();
  });

  const props = (extra: Record<string, unknown> = {}) =>
    provider.validate({ imageId: AMI, instanceType: 't3.micro', tags: { team: 'payments' }, ...extra });

  it('tags instances and their volumes at launch, never afterwards', async () => {
    // Prepare
    provider.calls.reset();
    // Act
    const { launched } = await provider.provision(props(), cattle('tagged', 2));
    // Assess
    expect(launched).toHaveLength(2);
    for (const d of launched) {
      expect(d.tags).toMatchObject({ [TAG_GROUP]: 'tagged', [TAG_INTENT]: 'tagged-tok', team: 'payments' });
      const volumes = await client.send(
        new DescribeVolumesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [d.id] }] }),
      );
      expect(volumes.Volumes?.length).toBeGreaterThan(0);
      for (const v of volumes.Volumes ?? [])
        expect(v.Tags).toEqual(expect.arrayContaining([{ Key: TAG_GROUP, Value: 'tagged' }]));
    }
    expect(provider.calls.snapshot()).toEqual({ RunInstances: 1 });
  });

  it('passes the init script as base64 user data and requires IMDSv2', async () => {
    const init = '#!/bin/sh\necho "hello from infrakit" > /tmp/hello';
    const { launched } = await provider.provision(props(), cattle('userdata', 1, 'ud-tok', init));
    const id = launched[0]?.id ?? '';
    const attr = await client.send(
      new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'userData' }),
    );
    expect(Buffer.from(attr.UserData?.Value ?? '', 'base64').toString('utf8')).toBe(init);
    expect((await rawInstance(id))?.MetadataOptions?.HttpTokens).toBe('required');
  });

  it('spreads new instances so each AZ holds the same share of the group', async () => {
    const [a, b, c] = net.subnets;
    // Prepare: 2 instances already in the first subnet.
    await provider.provision(props({ subnetIds: [a?.id] }), cattle('spread', 2, 'first'));
    // Act
    const { launched } = await provider.provision(
      props({ subnetIds: net.subnets.map((s) => s.id) }),
      cattle('spread', 4, 'second'),
    );
    // Assess
    expect(launched.map((d) => d.details?.subnetId).sort()).toEqual([b?.id, b?.id, c?.id, c?.id].sort());
    const all = await provider.describe({ tags: { [TAG_GROUP]: 'spread' } });
    const perAz = new Map<unknown, number>();
    for (const d of all)
      perAz.set(d.details?.availabilityZone, (perAz.get(d.details?.availabilityZone) ?? 0) + 1);
    expect(Object.fromEntries(perAz)).toEqual({ 'us-east-1a': 2, 'us-east-1b': 2, 'us-east-1c': 2 });
  });

  it('gives a pet whose logical ID is an IP inside a subnet that private IP; other IDs are only tags', async () => {
    const pet = (id: string): ProvisionRequest => ({
      token: 'pets-tok',
      logicalId: id,
      tags: { [TAG_GROUP]: 'pets', [TAG_LOGICAL_ID]: id },
    });
    const { launched } = await provider.provision(props({ subnetIds: net.subnets.map((s) => s.id) }), [
      pet('10.20.2.50'),
      pet('zk1'),
    ]);
    const byLogical = new Map(launched.map((d) => [d.tags[TAG_LOGICAL_ID], d]));
    expect(byLogical.get('10.20.2.50')?.details).toMatchObject({
      privateIp: '10.20.2.50',
      subnetId: net.subnets[1]?.id,
    });
    expect(byLogical.get('zk1')?.details?.privateIp).not.toBe('10.20.2.50');
    expect(byLogical.get('zk1')?.tags[TAG_LOGICAL_ID]).toBe('zk1');
  });

  it('reboots only its own members, and keeps one for forensics: out of the group, still running, tagged infrakit.retained', async () => {
    const ids = (await provider.provision(props(), cattle('forensic', 2))).launched.map((d) => d.id);
    const [kept = '', other = ''] = ids;
    const foreign =
      (await client.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1 }))).Instances?.[0]
        ?.InstanceId ?? '';
    await expect(provider.reboot(ids.concat(foreign), owner('forensic'))).rejects.toBeInstanceOf(
      NotOwnedError,
    );
    provider.calls.reset();
    await provider.reboot(ids, owner('forensic'));
    expect(provider.calls.snapshot()).toMatchObject({ RebootInstances: 1 });

    await expect(provider.keepForForensics([kept, foreign], owner('forensic'))).rejects.toBeInstanceOf(
      NotOwnedError,
    );
    expect((await provider.keepForForensics([kept], owner('forensic'))).destroyed).toEqual([kept]);
    const raw = await rawInstance(kept);
    expect(raw?.State?.Name).toBe('running');
    const tags = Object.fromEntries((raw?.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({ [TAG_CONTROLLER]: CONTROLLER, [TAG_RETAINED]: 'forensic' });
    expect(tags[TAG_GROUP]).toBeUndefined();
    // Out of the group: not observed, and destroy refuses it; retaining it again changes nothing.
    expect((await provider.describe({ tags: { [TAG_GROUP]: 'forensic' } })).map((d) => d.id)).toEqual([
      other,
    ]);
    await expect(provider.destroy([kept], owner('forensic'), 'test')).rejects.toBeInstanceOf(NotOwnedError);
    expect((await provider.keepForForensics([kept], owner('forensic'))).destroyed).toEqual([kept]);
  });

  it('describes by tag and key in every live state, with status-check health', async () => {
    const web = (await provider.provision(props(), cattle('d-web', 3))).launched.map((d) => d.id);
    await provider.provision(props(), cattle('d-db', 1));
    await client.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1 })); // not ours
    const [stopped, terminated] = web;
    await client.send(new StopInstancesCommand({ InstanceIds: [stopped ?? ''] }));
    await client.send(new TerminateInstancesCommand({ InstanceIds: [terminated ?? ''] }));

    const seen = await provider.describe({ tags: { [TAG_GROUP]: 'd-web' } });
    expect(seen.map((d) => d.id).sort()).toEqual(web.filter((id) => id !== terminated).sort());
    expect(seen.find((d) => d.id === stopped)?.state).toBe('stopped');
    const running = seen.find((d) => d.state === 'running');
    expect(running?.health.status).toBe('ok');
    expect(running?.launchedAt).toBeGreaterThan(0);

    const everyGroup = await provider.describe({ tagKeys: [TAG_GROUP] });
    expect(everyGroup.every((d) => d.tags[TAG_GROUP] !== undefined)).toBe(true);
    expect(everyGroup.some((d) => d.tags[TAG_GROUP] === 'd-db')).toBe(true);
    expect(everyGroup.some((d) => d.id === terminated)).toBe(false);
  });

  it('never terminates an instance without the group tag, and destroys idempotently', async () => {
    // Prepare: one of ours, one launched by someone else in the same account.
    const [ours] = (await provider.provision(props(), cattle('victim', 1))).launched.map((d) => d.id);
    const foreign = await client.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1 }));
    const foreignId = foreign.Instances?.[0]?.InstanceId ?? '';
    const oursId = ours ?? '';
    // Act + Assess: the mixed call is refused as a whole.
    await expect(provider.destroy([oursId, foreignId], owner('victim'), 'test')).rejects.toBeInstanceOf(
      NotOwnedError,
    );
    await expect(provider.destroy([oursId], owner('another-group'), 'test')).rejects.toBeInstanceOf(
      NotOwnedError,
    );
    // The same group name under another controller's identity is not ours either.
    await expect(
      provider.destroy([oursId], { controllerId: 'other-stack', groupId: 'victim' }, 'test'),
    ).rejects.toBeInstanceOf(NotOwnedError);
    expect((await rawInstance(oursId))?.State?.Name).toBe('running');
    expect((await rawInstance(foreignId))?.State?.Name).toBe('running');
    // Our own goes; repeating the call, or naming an unknown id, is not an error.
    await expect(provider.destroy([oursId], owner('victim'), 'scale down')).resolves.toEqual({
      destroyed: [oursId],
    });
    expect(['shutting-down', 'terminated']).toContain((await rawInstance(oursId))?.State?.Name);
    const unknown = 'i-0123456789abcdef0';
    await expect(provider.destroy([oursId, unknown], owner('victim'), 'again')).resolves.toEqual({
      destroyed: [oursId, unknown],
    });
    expect(await provider.describe({ tags: { [TAG_GROUP]: 'victim' } })).toEqual([]);
    expect((await rawInstance(foreignId))?.State?.Name).toBe('running');
  });

  it('labels instances with CreateTags', async () => {
    const ids = (await provider.provision(props(), cattle('labels', 2))).launched.map((d) => d.id);
    await provider.label(ids, { 'infrakit.protected': 'true', owner: 'ops' });
    const seen = await provider.describe({ tags: { [TAG_GROUP]: 'labels', 'infrakit.protected': 'true' } });
    expect(seen.map((d) => d.id).sort()).toEqual([...ids].sort());
    expect(seen.every((d) => d.tags.owner === 'ops')).toBe(true);
  });

  it('survives throttling and a capacity shortage injected in front of a real endpoint', async () => {
    // Prepare: the first two RunInstances are throttled; t3.nano never has capacity.
    let throttles = 2;
    const faulty = faultyClient(moto.endpoint, (command, input) => {
      if (command !== 'RunInstancesCommand') return;
      if (throttles-- > 0) throw awsError('RequestLimitExceeded', 'Request limit exceeded.');
      if (input.InstanceType === 't3.nano') throw awsError('InsufficientInstanceCapacity', 'no t3.nano');
    });
    const clock = fakeClock();
    const p = new Ec2Provider({ client: faulty, now: clock.now, sleep: clock.sleep });
    // Act
    const { launched } = await p.provision(
      p.validate({ imageId: AMI, instanceTypes: ['t3.nano', 't3.micro'] }),
      cattle('faults', 2),
    );
    // Assess: launched once, with the fallback type, and described as such by EC2 itself.
    expect(p.calls.snapshot()).toEqual({ RunInstances: 4 });
    const seen = await provider.describe({ tags: { [TAG_GROUP]: 'faults' } });
    expect(seen.map((d) => d.id).sort()).toEqual(launched.map((d) => d.id).sort());
    expect(seen.map((d) => d.details?.instanceType)).toEqual(['t3.micro', 't3.micro']);
  });
});
