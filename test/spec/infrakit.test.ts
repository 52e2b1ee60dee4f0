import { describe, expect, it } from 'vitest';
import { SpecValidationError } from '../../src/errors.js';
import { parseSpecText } from '../../src/spec/index.js';

const infrakitCattle = {
  ID: 'workers',
  Properties: {
    Allocation: { Size: 5 },
    Instance: {
      Plugin: 'instance-aws/ec2-instance',
      Properties: {
        RunInstancesInput: {
          ImageId: 'ami-12c6146b',
          InstanceType: 't2.micro',
          KeyName: 'ops',
          SubnetId: 'subnet-1',
          SecurityGroupIds: ['sg-1'],
          IamInstanceProfile: { Name: 'worker-profile' },
        },
        Tags: { env: 'prod' },
      },
    },
    Flavor: {
      Plugin: 'flavor-vanilla',
      Properties: { Init: ['apt-get update', 'run-worker'], Tags: { role: 'w' } },
    },
    Updating: { Duration: '30s' },
  },
};

describe("import of InfraKit's group JSON", () => {
  it('converts a cattle group with its plugins mapped', () => {
    // Act
    const spec = parseSpecText(JSON.stringify(infrakitCattle));
    // Assess
    expect(spec.id).toBe('workers');
    expect(spec.allocation).toEqual({ size: 5 });
    expect(spec.instance).toEqual({
      provider: 'ec2',
      properties: {
        imageId: 'ami-12c6146b',
        instanceType: 't2.micro',
        keyName: 'ops',
        subnetIds: ['subnet-1'],
        securityGroupIds: ['sg-1'],
        iamInstanceProfile: 'worker-profile',
        tags: { env: 'prod' },
      },
    });
    expect(spec.flavor).toEqual({
      kind: 'vanilla',
      properties: { init: ['apt-get update', 'run-worker'], tags: { role: 'w' } },
    });
    expect(spec.update.minHealthySeconds).toBe(30);
  });

  it('converts pets and an update count measured in 10 s polls', () => {
    const pets = {
      ID: 'zk',
      Properties: {
        Allocation: { LogicalIDs: ['10.0.0.4', '10.0.0.5'] },
        Instance: { Plugin: 'aws/ec2-instance', Properties: {} },
        Flavor: { Plugin: 'vanilla' },
        Updating: { Count: 3 },
      },
    };
    const spec = parseSpecText(JSON.stringify(pets));
    expect(spec.allocation.logicalIds).toEqual(['10.0.0.4', '10.0.0.5']);
    expect(spec.update.minHealthySeconds).toBe(30);
  });

  it('names the plugin that cannot be mapped', () => {
    const bad = structuredClone(infrakitCattle);
    bad.Properties.Instance.Plugin = 'instance-gcp';
    bad.Properties.Flavor.Plugin = 'flavor-swarm';
    try {
      parseSpecText(JSON.stringify(bad));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SpecValidationError);
      const paths = (err as SpecValidationError).issues.map((i) => i.path);
      expect(paths).toEqual(['Properties.Instance.Plugin', 'Properties.Flavor.Plugin']);
      expect((err as SpecValidationError).message).toMatch(/instance-gcp/);
    }
  });

  it('requires an allocation', () => {
    const bad = { ID: 'x', Properties: { Instance: { Plugin: 'aws' } } };
    expect(() => parseSpecText(JSON.stringify(bad))).toThrowError(/Allocation/);
  });
});
