import { describe, expect, it } from 'vitest';
import { SpecValidationError } from '../../src/errors.js';
import { instanceTypeChoices, parseEc2Properties } from '../../src/providers/ec2/properties.js';

const inline = { imageId: 'ami-12c6146b', instanceType: 't3.micro' };

/** The field paths of the validation error `properties` raise (empty when valid). */
function issuePaths(properties: unknown): string[] {
  try {
    parseEc2Properties(properties);
    return [];
  } catch (err) {
    if (!(err instanceof SpecValidationError)) throw err;
    return err.issues.map((i) => i.path);
  }
}

describe('ec2 properties', () => {
  it.each([
    { desc: 'inline image and type', props: inline },
    {
      desc: 'inline image with a fallback list only',
      props: { imageId: 'ami-12c6146b', instanceTypes: ['m5.large', 'm5a.large'] },
    },
    {
      desc: 'a launch template by id',
      props: { launchTemplate: { id: 'lt-0abc12345678def90', version: '$Latest' } },
    },
    {
      desc: 'a launch template by name with subnet overrides',
      props: { launchTemplate: { name: 'web-v2' }, subnetIds: ['subnet-0abc1234'] },
    },
    {
      desc: 'an instance profile ARN',
      props: { ...inline, iamInstanceProfile: 'arn:aws:iam::123456789012:instance-profile/web' },
    },
    { desc: 'an instance profile name', props: { ...inline, iamInstanceProfile: 'web-profile' } },
    {
      desc: 'spot with a max price',
      props: { ...inline, spot: { maxPrice: '0.05', interruptionBehavior: 'stop' } },
    },
    {
      desc: 'block devices',
      props: {
        ...inline,
        blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { volumeSize: 20, volumeType: 'gp3' } }],
      },
    },
  ])('accepts $desc', ({ props }) => {
    expect(issuePaths(props)).toEqual([]);
  });

  it.each([
    { desc: 'nothing at all', props: {}, paths: ['imageId', 'instanceType'] },
    { desc: 'an image without a type', props: { imageId: 'ami-12c6146b' }, paths: ['instanceType'] },
    { desc: 'a malformed AMI id', props: { ...inline, imageId: 'ubuntu' }, paths: ['imageId'] },
    {
      desc: 'a typo in a field name',
      props: { ...inline, subnetId: 'subnet-0abc1234' },
      paths: ['subnetId'],
    },
    {
      desc: 'a launch template with both id and name',
      props: { launchTemplate: { id: 'lt-0abc12345678def90', name: 'x-y' } },
      paths: ['launchTemplate'],
    },
    { desc: 'a launch template with neither', props: { launchTemplate: {} }, paths: ['launchTemplate'] },
    {
      desc: 'a bad template version',
      props: { launchTemplate: { name: 'web', version: 'latest' } },
      paths: ['launchTemplate.version'],
    },
    {
      desc: 'duplicate subnets',
      props: { ...inline, subnetIds: ['subnet-0abc1234', 'subnet-0abc1234'] },
      paths: ['subnetIds'],
    },
    {
      desc: 'a bad subnet in the list',
      props: { ...inline, subnetIds: ['subnet-0abc1234', 'sub-1'] },
      paths: ['subnetIds.1'],
    },
    {
      desc: 'a bad security group',
      props: { ...inline, securityGroupIds: ['default'] },
      paths: ['securityGroupIds.0'],
    },
    {
      desc: 'a bad instance profile ARN',
      props: { ...inline, iamInstanceProfile: 'arn:aws:iam::1:role/x' },
      paths: ['iamInstanceProfile'],
    },
    {
      desc: 'an unknown metadata option',
      props: { ...inline, metadataOptions: { httpTokens: 'maybe' } },
      paths: ['metadataOptions.httpTokens'],
    },
    {
      desc: 'a controller tag',
      props: { ...inline, tags: { 'infrakit.group': 'other' } },
      paths: ['tags.infrakit.group'],
    },
    {
      desc: 'an aws: tag',
      props: { ...inline, tags: { 'aws:cloudformation:stack-name': 'x' } },
      paths: ['tags.aws:cloudformation:stack-name'],
    },
    {
      desc: 'a non-numeric spot price',
      props: { ...inline, spot: { maxPrice: 'cheap' } },
      paths: ['spot.maxPrice'],
    },
    {
      desc: 'an unknown EBS field',
      props: { ...inline, blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { size: 20 } }] },
      paths: ['blockDeviceMappings.0.ebs.size'],
    },
  ])('rejects $desc, naming $paths', ({ props, paths }) => {
    expect(issuePaths(props)).toEqual(paths);
  });

  it('requires IMDSv2 unless told otherwise', () => {
    expect(parseEc2Properties(inline).metadataOptions.httpTokens).toBe('required');
    expect(
      parseEc2Properties({ ...inline, metadataOptions: { httpTokens: 'optional' } }).metadataOptions
        .httpTokens,
    ).toBe('optional');
  });

  it('normalizes deterministically, so the config hash is stable', () => {
    const a = parseEc2Properties({ instanceType: 't3.micro', imageId: 'ami-12c6146b' });
    const b = parseEc2Properties(parseEc2Properties(inline));
    expect(a).toEqual(b);
  });

  it('tries instanceType first, then the fallbacks without repeats', () => {
    const p = parseEc2Properties({ ...inline, instanceTypes: ['t3.small', 't3.micro', 't3a.micro'] });
    expect(instanceTypeChoices(p)).toEqual(['t3.micro', 't3.small', 't3a.micro']);
    expect(instanceTypeChoices(parseEc2Properties({ launchTemplate: { name: 'web' } }))).toEqual([undefined]);
  });
});
