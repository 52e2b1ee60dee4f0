import { describe, expect, it } from 'vitest';
import { SpecValidationError } from '../../src/errors.js';
import { vanillaFlavor } from '../../src/flavors/vanilla/index.js';
import { parseEc2Properties } from '../../src/providers/ec2/properties.js';
import { fromInfrakit, parseSpecText, validateSpec } from '../../src/spec/index.js';

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
    bad.Properties.Instance.Plugin = '';
    bad.Properties.Flavor.Plugin = '';
    try {
      parseSpecText(JSON.stringify(bad));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SpecValidationError);
      const issues = (err as SpecValidationError).issues;
      expect(issues.map((i) => i.path)).toEqual(['Properties.Instance.Plugin', 'Properties.Flavor.Plugin']);
      expect(issues[0]?.message).toMatch(/is required/);
      expect(issues[1]?.message).toMatch(/is required/);
    }
  });

  it('requires an allocation', () => {
    const bad = { ID: 'x', Properties: { Instance: { Plugin: 'aws' } } };
    expect(() => parseSpecText(JSON.stringify(bad))).toThrowError(/Allocation/);
  });
});

/** A realistic group for InfraKit's AWS plugin, every field of it mappable. */
const infrakitAws = {
  ID: 'Workers',
  Properties: {
    Allocation: { Size: 3 },
    Instance: {
      Plugin: 'aws/ec2-instance',
      Properties: {
        RunInstancesInput: {
          ImageId: 'ami-0c55b159cbfafe1f0',
          InstanceType: 't3.medium',
          KeyName: 'ops',
          SubnetId: 'subnet-0a1b2c3d4e5f60718',
          SecurityGroupIds: ['sg-0123456789abcdef0'],
          IamInstanceProfile: { Name: 'workers', Arn: 'arn:aws:iam::123456789012:instance-profile/workers' },
          BlockDeviceMappings: [
            {
              DeviceName: '/dev/xvda',
              Ebs: { VolumeSize: 50, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
            },
            { DeviceName: '/dev/sdb', Ebs: { VolumeSize: 200, SnapshotId: 'snap-0123456789abcdef0' } },
            { DeviceName: '/dev/sdc', VirtualName: 'ephemeral0' },
            { DeviceName: '/dev/sdd', NoDevice: '' },
          ],
          MetadataOptions: { HttpTokens: 'optional' },
          InstanceMarketOptions: {
            MarketType: 'spot',
            SpotOptions: { MaxPrice: '0.05', SpotInstanceType: 'one-time' },
          },
          Monitoring: { Enabled: false },
          DisableApiTermination: false,
          MinCount: 1,
          MaxCount: 1,
        },
        Tags: { env: 'prod', team: 'platform' },
      },
    },
    Flavor: {
      Plugin: 'flavor-vanilla',
      Properties: { Init: ['#!/bin/sh', 'docker swarm join --token T 10.0.0.2'], Tags: { role: 'worker' } },
    },
    Updating: { Duration: '2m' },
  },
};

const RUN = 'Properties.Instance.Properties.RunInstancesInput';

/** A deep copy of `doc` with `value` set at the dotted `path` (numeric segments index lists). */
function withValue(doc: object, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(doc) as Record<string, unknown>;
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) {
    at[key] ??= {};
    at = at[key] as Record<string, unknown>;
  }
  at[keys.at(-1) as string] = value;
  return copy;
}

/** Table rows named by the path they set (`%s` in a test name is never truncated). */
function withNames<R extends { set: readonly [string, unknown] }>(rows: readonly R[]): [string, R][] {
  return rows.map((row) => [`${row.set[0]} = ${JSON.stringify(row.set[1])}`, row]);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function issuesOf(run: () => unknown): readonly { path: string; message: string }[] {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(SpecValidationError);
    return (err as SpecValidationError).issues;
  }
  return expect.unreachable('expected a SpecValidationError');
}

describe("import of InfraKit's AWS group JSON", () => {
  it('maps every field of a realistic group to a spec the schema, provider and flavor accept', () => {
    // Act
    const spec = fromInfrakit(infrakitAws);
    // Assess
    expect(spec).toEqual({
      id: 'workers',
      allocation: { size: 3 },
      instance: {
        provider: 'ec2',
        properties: {
          imageId: 'ami-0c55b159cbfafe1f0',
          instanceType: 't3.medium',
          keyName: 'ops',
          subnetIds: ['subnet-0a1b2c3d4e5f60718'],
          securityGroupIds: ['sg-0123456789abcdef0'],
          iamInstanceProfile: 'arn:aws:iam::123456789012:instance-profile/workers',
          blockDeviceMappings: [
            {
              deviceName: '/dev/xvda',
              ebs: { volumeSize: 50, volumeType: 'gp3', encrypted: true, deleteOnTermination: true },
            },
            { deviceName: '/dev/sdb', ebs: { volumeSize: 200, snapshotId: 'snap-0123456789abcdef0' } },
            { deviceName: '/dev/sdc', virtualName: 'ephemeral0' },
            { deviceName: '/dev/sdd', noDevice: true },
          ],
          metadataOptions: { httpTokens: 'optional' },
          spot: { maxPrice: '0.05' },
          tags: { env: 'prod', team: 'platform' },
        },
      },
      flavor: {
        kind: 'vanilla',
        properties: {
          init: ['#!/bin/sh', 'docker swarm join --token T 10.0.0.2'],
          tags: { role: 'worker' },
        },
      },
      update: { minHealthySeconds: 120 },
    });
    const valid = validateSpec(spec);
    expect(() => parseEc2Properties(valid.instance.properties)).not.toThrow();
    expect(() => vanillaFlavor.validate(valid.flavor.properties, valid.allocation)).not.toThrow();
  });

  const mappable = [
    {
      name: 'a launch template reference',
      set: [`${RUN}.LaunchTemplate`, { LaunchTemplateName: 'workers', Version: '$Latest' }],
      expected: { launchTemplate: { name: 'workers', version: '$Latest' } },
    },
    {
      name: 'an instance profile by name alone',
      set: [`${RUN}.IamInstanceProfile`, { Name: 'workers' }],
      expected: { iamInstanceProfile: 'workers' },
    },
    {
      name: 'a Spot request that stops interrupted instances (persistent)',
      set: [
        `${RUN}.InstanceMarketOptions.SpotOptions`,
        { InstanceInterruptionBehavior: 'stop', SpotInstanceType: 'persistent' },
      ],
      expected: { spot: { interruptionBehavior: 'stop' } },
    },
  ] as const;
  it.each(mappable.map((row) => [row.name, row] as const))('maps %s', (_name, { set, expected }) => {
    const spec = fromInfrakit(withValue(infrakitAws, set[0], set[1])) as {
      instance: { properties: Record<string, unknown> };
    };
    expect(spec.instance.properties).toMatchObject(expected);
  });

  it.each(
    withNames([
      {
        set: [`${RUN}.UserData`, 'IyEvYmluL3NoCmVjaG8gaGk='],
        reason: /Properties\.Flavor\.Properties\.Init/,
      },
      {
        set: [`${RUN}.Placement`, { AvailabilityZone: 'us-east-1a', Tenancy: 'dedicated' }],
        reason: /placement/,
      },
      {
        set: [`${RUN}.NetworkInterfaces`, [{ DeviceIndex: 0, AssociatePublicIpAddress: true }]],
        reason: /network interface/,
      },
      { set: [`${RUN}.SecurityGroups`, ['default']], reason: /SecurityGroupIds/ },
      { set: [`${RUN}.PrivateIpAddress`, '10.0.0.5'], reason: /LogicalIDs/ },
      {
        set: [`${RUN}.TagSpecifications`, [{ ResourceType: 'instance', Tags: [{ Key: 'a', Value: 'b' }] }]],
        reason: /Properties\.Instance\.Properties\.Tags/,
      },
      { set: [`${RUN}.ClientToken`, 'abc'], reason: /client token/ },
      { set: [`${RUN}.EbsOptimized`, true], reason: /EBS-optimization/ },
      { set: [`${RUN}.InstanceInitiatedShutdownBehavior`, 'terminate'], reason: /shutdown/ },
      { set: [`${RUN}.CreditSpecification`, { CpuCredits: 'unlimited' }], reason: /not a field of/ },
      { set: [`${RUN}.Monitoring`, { Enabled: true }], reason: /unless \{"Enabled":false\}.*monitoring/ },
      { set: [`${RUN}.DisableApiTermination`, true], reason: /termination protection/ },
      { set: [`${RUN}.DryRun`, true], reason: /dry run/ },
      { set: [`${RUN}.MaxCount`, 3], reason: /unless 1/ },
      { set: [`${RUN}.BlockDeviceMappings.0.Ebs.OutpostArn`, 'arn:x'], reason: /EBS volume/ },
      {
        set: [`${RUN}.IamInstanceProfile.Arn`, 'arn:aws:iam::123456789012:instance-profile/other'],
        path: `${RUN}.IamInstanceProfile.Name`,
        reason: /another profile/,
      },
      { set: [`${RUN}.InstanceMarketOptions.SpotOptions.BlockDurationMinutes`, 60], reason: /Spot blocks/ },
      {
        set: [`${RUN}.InstanceMarketOptions.SpotOptions.SpotInstanceType`, 'persistent'],
        reason: /one-time/,
      },
      { set: [`${RUN}.InstanceMarketOptions.MarketType`, 'capacity-block'], reason: /only spot/ },
      {
        set: ['Properties.Instance.Properties.AttachVolumeInputs', [{ Device: '/dev/sdf' }]],
        reason: /volumes/,
      },
      { set: ['Properties.Instance.Properties.Region', 'us-east-1'], reason: /AWS instance properties/ },
      { set: ['Properties.Instance.Options', { Cmd: 'infrakit-instance-aws' }], reason: /built into/ },
      { set: ['Properties.Flavor.Properties.Attachments', [{ ID: 'vol1', Type: 'ebs' }]], reason: /attach/ },
      { set: ['Properties.Flavor.Properties.InitScriptTemplateURL', 'file:///init.tpl'], reason: /rendered/ },
      { set: ['Properties.Flavor.Properties.init', ['echo']], reason: /vanilla flavor properties/ },
      { set: ['Properties.Flavor.Options', {}], reason: /built into/ },
      { set: ['Properties.Updating.SkipBeforeInstanceDestroy', 'drain'], reason: /drain always runs/ },
      { set: ['Properties.Allocation.Min', 1], reason: /allocation/ },
      { set: ['Properties.Scaling', { Max: 10 }], reason: /group properties/ },
      { set: ['Kind', 'group'], reason: /InfraKit group/ },
    ] as const),
  )('reports %s', (_name, row) => {
    // Arrange
    const [setPath, value] = row.set;
    const path = 'path' in row ? row.path : setPath;
    // Act
    const issues = issuesOf(() => fromInfrakit(withValue(infrakitAws, setPath, value)));
    // Assess
    expect(issues).toEqual([{ path, message: expect.stringMatching(/^cannot be mapped\b/) }]);
    expect(issues[0]?.message).toMatch(row.reason);
  });

  it.each(
    withNames([
      {
        set: ['Properties.Updating', { Count: '3' }],
        message: /must be an integer/,
        path: 'Properties.Updating.Count',
      },
      { set: ['Properties.Updating.Count', 3], message: /Count and Duration cannot both be set/ },
      { set: ['Properties.Flavor.Properties.Init', 'echo hi'], message: /must be a list of strings/ },
      { set: ['Properties.Instance.Properties.Tags', { n: 1 }], message: /string values/ },
      { set: [`${RUN}.BlockDeviceMappings`, { DeviceName: '/dev/xvda' }], message: /must be a list/ },
      {
        set: ['Properties.Allocation.LogicalIDs', ['10.0.0.4']],
        message: /not both/,
        path: 'Properties.Allocation',
      },
    ] as const),
  )('refuses %s instead of dropping it', (_name, row) => {
    const [setPath, value] = row.set;
    const issues = issuesOf(() => fromInfrakit(withValue(infrakitAws, setPath, value)));
    expect(issues).toEqual([
      { path: 'path' in row ? row.path : setPath, message: expect.stringMatching(row.message) },
    ]);
  });

  it('says what a pet keeps instead of attached volumes: the volumes property with their devices, interface and address', () => {
    let doc: object = infrakitAws;
    doc = withValue(doc, 'Properties.Instance.Properties.AttachVolumeInputs', [
      { Device: '/dev/sdf', VolumeId: 'vol-0abc12345678def90' },
      { Device: '/dev/sdg', VolumeId: 'vol-0abc12345678def91' },
    ]);
    doc = withValue(doc, 'Properties.Flavor.Properties.Attachments', {
      zk1: [{ ID: 'vol-0abc12345678def90', Type: 'ebs' }],
      zk2: [{ ID: 'x', Type: 'nfs' }],
    });
    const issues = issuesOf(() => parseSpecText(JSON.stringify(doc)));
    const attach = issues.find((i) => i.path === 'Properties.Instance.Properties.AttachVolumeInputs');
    expect(attach?.message).toMatch(/not adopted/);
    expect(attach?.message).toContain(
      'instance.properties.volumes: [{ device: /dev/sdf, sizeGiB: <size> }, { device: /dev/sdg, sizeGiB: <size> }]',
    );
    const attachments = issues.find((i) => i.path === 'Properties.Flavor.Properties.Attachments');
    expect(attachments?.message).toMatch(/networkInterface: true, elasticIp: true/);
    expect(attachments?.message).toMatch(/attachment types nfs have no equivalent/);
  });

  it('collects every issue rather than stopping at the first', () => {
    let doc: object = infrakitAws;
    doc = withValue(doc, `${RUN}.UserData`, 'IyEvYmluL3No');
    doc = withValue(doc, `${RUN}.Placement`, { AvailabilityZone: 'us-east-1a' });
    doc = withValue(doc, 'Properties.Instance.Properties.AttachVolumeInputs', []);
    doc = withValue(doc, 'Properties.Flavor.Properties.Attachments', []);
    const issues = issuesOf(() => parseSpecText(JSON.stringify(doc)));
    expect(issues.map((i) => i.path).sort()).toEqual(
      [
        `${RUN}.UserData`,
        `${RUN}.Placement`,
        'Properties.Instance.Properties.AttachVolumeInputs',
        'Properties.Flavor.Properties.Attachments',
      ].sort(),
    );
  });

  it('is pure: reads a frozen input, shares nothing with it, and never returns a partial spec', () => {
    // Arrange
    const good = deepFreeze(structuredClone(infrakitAws));
    const bad = deepFreeze(withValue(infrakitAws, `${RUN}.Placement`, { Tenancy: 'dedicated' }));
    const badBefore = structuredClone(bad);
    // Act
    const spec = fromInfrakit(good) as { instance: { properties: { securityGroupIds: string[] } } };
    spec.instance.properties.securityGroupIds.push('sg-0fedcba9876543210');
    // Assess
    expect(good.Properties.Instance.Properties.RunInstancesInput.SecurityGroupIds).toHaveLength(1);
    expect(() => fromInfrakit(bad)).toThrowError(SpecValidationError);
    expect(bad).toEqual(badBefore);
    expect(fromInfrakit(good)).toEqual(fromInfrakit(structuredClone(infrakitAws)));
  });
});

describe('import of InfraKit group JSON naming an InfraKit plugin', () => {
  const group = (instance: Record<string, unknown>, flavor?: Record<string, unknown>) => ({
    ID: 'Sim',
    Properties: {
      Allocation: { Size: 5 },
      Instance: instance,
      ...(flavor ? { Flavor: flavor } : {}),
    },
  });

  it.each([
    {
      name: 'simulator/compute with its properties',
      instance: { Plugin: 'simulator/compute', Properties: { note: 'x', Size: 2, Nested: { A: [1] } } },
      expected: {
        provider: 'infrakit',
        properties: { plugin: 'simulator/compute', properties: { note: 'x', Size: 2, Nested: { A: [1] } } },
      },
    },
    {
      name: 'a plugin with one unnamed object (file)',
      instance: { Plugin: 'file', Properties: { Note: 'one file per instance' } },
      expected: {
        provider: 'infrakit',
        properties: { plugin: 'file', properties: { Note: 'one file per instance' } },
      },
    },
    {
      name: 'a plugin without properties',
      instance: { Plugin: 'simulator/disk' },
      expected: { provider: 'infrakit', properties: { plugin: 'simulator/disk', properties: {} } },
    },
    {
      name: 'another object of the AWS plugin, driven as itself',
      instance: { Plugin: 'aws/ec2-spot-instance', Properties: { RunInstancesInput: { ImageId: 'ami-1' } } },
      expected: {
        provider: 'infrakit',
        properties: {
          plugin: 'aws/ec2-spot-instance',
          properties: { RunInstancesInput: { ImageId: 'ami-1' } },
        },
      },
    },
    {
      name: "a plugin InfraKit's CLI names by socket (instance-gcp)",
      instance: { Plugin: 'instance-gcp', Properties: { Zone: 'us-central1-f' } },
      expected: {
        provider: 'infrakit',
        properties: { plugin: 'instance-gcp', properties: { Zone: 'us-central1-f' } },
      },
    },
    {
      name: "this project's infrakit provider, its properties as they are",
      instance: { Plugin: 'infrakit', Properties: { plugin: 'simulator/net' } },
      expected: { provider: 'infrakit', properties: { plugin: 'simulator/net' } },
    },
    {
      name: "this project's process provider, unchanged",
      instance: { Plugin: 'process', Properties: { command: 'sleep', args: ['60'] } },
      expected: { provider: 'process', properties: { command: 'sleep', args: ['60'] } },
    },
  ])('imports $name', ({ instance, expected }) => {
    // Act
    const spec = fromInfrakit(group(instance)) as { id: string; instance: unknown; flavor: unknown };
    // Assess
    expect(spec.id).toBe('sim');
    expect(spec.instance).toEqual(expected);
    expect(spec.flavor).toEqual({ kind: 'vanilla', properties: {} });
  });

  it.each([
    {
      name: 'vanilla',
      flavor: { Plugin: 'vanilla', Properties: { Init: ['echo hi', 'echo there'], Tags: { role: 'sim' } } },
      expected: { kind: 'vanilla', properties: { init: ['echo hi', 'echo there'], tags: { role: 'sim' } } },
    },
    {
      name: 'flavor-vanilla without properties',
      flavor: { Plugin: 'flavor-vanilla' },
      expected: { kind: 'vanilla', properties: {} },
    },
  ])('maps the flavor plugin $name to the built-in vanilla flavor', ({ flavor, expected }) => {
    const spec = fromInfrakit(group({ Plugin: 'simulator/compute' }, flavor)) as { flavor: unknown };
    expect(spec.flavor).toEqual(expected);
  });

  it('maps any other flavor plugin to the infrakit flavor driving it, its properties unread', () => {
    const flavor = {
      Plugin: 'swarm/manager',
      Properties: { Attachments: { a: [1] }, DockerRestartCommand: 'x' },
    };
    const spec = fromInfrakit(group({ Plugin: 'simulator/compute' }, flavor)) as { flavor: unknown };
    expect(spec.flavor).toEqual({
      kind: 'infrakit',
      properties: {
        plugin: 'swarm/manager',
        properties: { Attachments: { a: [1] }, DockerRestartCommand: 'x' },
      },
    });
  });

  it.each([
    {
      name: 'properties that are not an object',
      instance: { Plugin: 'simulator/compute', Properties: ['a'] },
      path: 'Properties.Instance.Properties',
      message: /must be an object/,
    },
    {
      name: 'a plugin name that is not a string',
      instance: { Plugin: 7 },
      path: 'Properties.Instance.Plugin',
      message: /is required/,
    },
    {
      name: 'plugin launch options',
      instance: { Plugin: 'simulator/compute', Options: { Cmd: 'infrakit plugin start simulator' } },
      path: 'Properties.Instance.Options',
      message: /started outside it/,
    },
    {
      name: 'a key beside Plugin and Properties',
      instance: { Plugin: 'simulator/compute', Type: 'compute' },
      path: 'Properties.Instance.Type',
      message: /instance block/,
    },
  ])('refuses $name', ({ instance, path, message }) => {
    const issues = issuesOf(() => fromInfrakit(group(instance)));
    expect(issues).toEqual([{ path, message: expect.stringMatching(message) }]);
  });

  it('is read like any spec: the properties reach the infrakit provider unread and whole', () => {
    const doc = group(
      { Plugin: 'simulator/compute', Properties: { note: 'x' } },
      { Plugin: 'vanilla', Properties: { Init: ['echo hi'] } },
    );
    const spec = parseSpecText(JSON.stringify(doc));
    expect(spec.instance).toEqual({
      provider: 'infrakit',
      properties: { plugin: 'simulator/compute', properties: { note: 'x' } },
    });
    expect(spec.flavor).toEqual({ kind: 'vanilla', properties: { init: ['echo hi'] } });
  });

  it('shares nothing with its input', () => {
    const input = group({ Plugin: 'simulator/compute', Properties: { Nested: { A: [1] } } });
    const spec = fromInfrakit(input) as {
      instance: { properties: { properties: { Nested: { A: number[] } } } };
    };
    spec.instance.properties.properties.Nested.A.push(2);
    expect(input.Properties.Instance).toEqual({
      Plugin: 'simulator/compute',
      Properties: { Nested: { A: [1] } },
    });
  });
});
