import { DescribeInstanceStatusCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { Ec2Provider } from '../../src/providers/ec2/provider.js';
import { TAG_CONTROLLER, TAG_GROUP } from '../../src/tags.js';
import { FakeEc2 } from '../helpers/fake-ec2.js';
import { fakeEc2HttpClient } from '../helpers/fake-ec2-http.js';

/**
 * The provider's describe and health read every page EC2 returns, following `NextToken` across
 * short pages (EC2 may return fewer items than `MaxResults`, even while more remain), against the
 * paging fake. moto pages DescribeInstances by reservation and ignores `MaxResults`/`NextToken`
 * for DescribeInstanceStatus, so the moto suites cannot show this.
 */

const OURS = { [TAG_CONTROLLER]: 'ctl', [TAG_GROUP]: 'web' };
const SELECTOR = { tags: { [TAG_CONTROLLER]: 'ctl' }, tagKeys: [TAG_GROUP] };

/** The fake as the provider's client, directly or behind a real EC2Client (query protocol, XML). */
function world(pageLimit: number, via: 'object' | 'sdk' = 'object') {
  const ec2 = new FakeEc2({ pageLimit });
  const client = via === 'sdk' ? fakeEc2HttpClient(ec2) : ec2.client();
  const provider = new Ec2Provider({ client, retry: { maxAttempts: 1 } });
  return { ec2, provider };
}

describe('EC2 paging (fake EC2 with short pages)', () => {
  it('describe follows NextToken across short DescribeInstances pages and keeps only what matches', async () => {
    const { ec2, provider } = world(7);
    const ours = ec2.seed(25, OURS).map((i) => i.id);
    ec2.seed(10, { [TAG_CONTROLLER]: 'another', [TAG_GROUP]: 'web' });
    ec2.seed(4, { team: 'web' });
    const gone = ec2.seed(3, OURS);
    for (const i of gone) i.state = 'terminated';

    const found = await provider.describe(SELECTOR);

    expect(found.map((d) => d.id).sort()).toEqual([...ours].sort());
    expect(found.every((d) => d.health.status === 'ok')).toBe(true);
    // EC2 filters before paging: 25 matches in pages of 7; 25 ids fit one status call by id.
    expect(ec2.counts()).toEqual({ DescribeInstances: 4, DescribeInstanceStatus: 1 });
    const tokens = ec2.calls.filter((c) => c.command === 'DescribeInstances').map((c) => c.input.NextToken);
    expect(tokens[0]).toBeUndefined();
    expect(new Set(tokens.slice(1)).size).toBe(3);
  });

  it.each(['object', 'sdk'] as const)(
    'health follows NextToken across short DescribeInstanceStatus pages, then asks by id for the rest (%s)',
    async (via) => {
      const { ec2, provider } = world(60, via);
      const ours = ec2.seed(250, OURS);
      // Impaired instances on the first status page, a later listed page, and past the page budget.
      const impaired = [ours[3], ours[130], ours[240]].map((i) => i?.id ?? '');
      for (const id of impaired) ec2.setChecks(id, 'impaired');
      const starting = ours[75]?.id ?? '';
      ec2.setChecks(starting, 'initializing');

      const found = await provider.describe(SELECTOR);

      expect(found).toHaveLength(250);
      const health = new Map(found.map((d) => [d.id, d.health.status]));
      for (const id of impaired) expect(health.get(id)).toBe('impaired');
      expect(health.get(starting)).toBe('unknown');
      expect([...health.values()].filter((s) => s === 'ok')).toHaveLength(246);
      // 250 instances in pages of 60: 5 DescribeInstances pages. Status: the region is listed for at
      // most ⌈250 / 100⌉ = 3 pages (180 seen), the 70 left are asked for by id in one call.
      expect(ec2.counts()).toEqual({ DescribeInstances: 5, DescribeInstanceStatus: 4 });
      const status = ec2.calls.filter((c) => c.command === 'DescribeInstanceStatus');
      expect(status.map((c) => c.input.NextToken === undefined)).toEqual([true, false, false, true]);
      expect(status[3]?.input.InstanceIds).toHaveLength(70);
    },
  );

  it('at EC2 page sizes, 2,500 instances cost 3 DescribeInstances and 3 DescribeInstanceStatus pages', async () => {
    const { ec2, provider } = world(1000);
    ec2.seed(2500, OURS);
    const found = await provider.describe(SELECTOR);
    expect(found).toHaveLength(2500);
    expect(found.every((d) => d.health.status === 'ok')).toBe(true);
    expect(ec2.counts()).toEqual({ DescribeInstances: 3, DescribeInstanceStatus: 3 });
  });

  it('an instance terminated between the listing and the status call by id leaves its health unknown', async () => {
    const { ec2, provider } = world(1000);
    const [a, b] = ec2.seed(2, OURS);
    const send = ec2.send.bind(ec2);
    // The status call by id fails as a whole when one id is unknown to EC2.
    ec2.send = async (command, options) => {
      if (command.constructor.name === 'DescribeInstanceStatusCommand') ec2.instances.delete(b?.id ?? '');
      return send(command, options);
    };
    const found = await provider.describe(SELECTOR);
    expect(found.map((d) => [d.id, d.health.status])).toEqual([
      [a?.id, 'unknown'],
      [b?.id, 'unknown'],
    ]);
  });
});

describe('the paging fake refuses what EC2 refuses', () => {
  const ec2 = new FakeEc2({ pageLimit: 5 });
  const [first] = ec2.seed(12, OURS);

  it('a token belongs to the request it came from', async () => {
    const filters = [{ Name: 'tag-key', Values: [TAG_GROUP] }];
    const page = await ec2.send(new DescribeInstancesCommand({ Filters: filters, MaxResults: 5 }));
    expect(page).toHaveProperty('NextToken');
    const token = (page as { NextToken?: string }).NextToken;
    await expect(
      ec2.send(new DescribeInstanceStatusCommand({ MaxResults: 5, NextToken: token })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(
      ec2.send(new DescribeInstancesCommand({ Filters: [], MaxResults: 5, NextToken: token })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('MaxResults outside 5-1000, with InstanceIds, or an unmodelled filter', async () => {
    await expect(ec2.send(new DescribeInstancesCommand({ MaxResults: 4 }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(ec2.send(new DescribeInstanceStatusCommand({ MaxResults: 1001 }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    });
    await expect(
      ec2.send(new DescribeInstanceStatusCommand({ MaxResults: 5, InstanceIds: [first?.id ?? ''] })),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    await expect(
      ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }] })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(
      ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: ['i-00000000000000bad'] })),
    ).rejects.toMatchObject({ name: 'InvalidInstanceID.NotFound' });
  });
});
