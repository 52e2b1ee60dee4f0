import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG_GROUP } from '../../src/tags.js';
import { liveInstances } from '../e2e/ec2-world.js';
import { freePort, type MotoServer, motoAvailable, startMoto } from '../helpers/moto.js';
import { AMI, createNetwork, ec2Client, type TestNetwork } from '../providers/ec2-fixtures.js';
import { type ControllerProcess, cli, useControllers, waitFor } from './harness.js';

/**
 * `npm start -- --ec2-endpoint URL`: the local controller manages an `ec2` group against moto
 * server, through the CLI, exactly as it manages process groups.
 */
describe.runIf(motoAvailable())('local mode with --ec2-endpoint', () => {
  const fx = useControllers('local-ec2');
  const groupId = 'local-ec2';
  let moto: MotoServer;
  let ec2: EC2Client;
  let net: TestNetwork;
  let controller: ControllerProcess | undefined;

  beforeAll(async () => {
    moto = await startMoto();
    await moto.reset();
    ec2 = ec2Client(moto.endpoint);
    net = await createNetwork(ec2);
    controller = await fx.start([
      '--port',
      String(await freePort()),
      '--sweep-interval',
      '1',
      '--ec2-endpoint',
      moto.endpoint,
    ]);
  });

  afterAll(async () => {
    await controller?.kill('SIGKILL');
    ec2?.destroy();
    await moto?.stop();
  });

  const live = () => liveInstances(ec2, [{ Name: `tag:${TAG_GROUP}`, Values: [groupId] }]);

  it('launches, heals and destroys an ec2 group on the given endpoint', async () => {
    const url = controller?.url ?? '';
    const file = join(fx.dir(), `${groupId}.yaml`);
    await writeFile(
      file,
      [
        `id: ${groupId}`,
        'allocation:',
        '  size: 2',
        'instance:',
        '  provider: ec2',
        '  properties:',
        `    imageId: ${AMI}`,
        '    instanceType: t3.micro',
        `    subnetIds: [${net.subnets.map((s) => s.id).join(', ')}]`,
        'health:',
        '  gracePeriodSeconds: 0',
        '',
      ].join('\n'),
    );

    const commit = await cli(url, 'group', 'commit', file);
    expect(commit.stderr).toBe('');
    expect(commit.code).toBe(0);
    const first = await waitFor('2 instances in moto', async () => {
      const instances = await live();
      return instances.length === 2 ? instances.map((i) => i.InstanceId ?? '') : undefined;
    });
    // Spread over the subnets, as the provider balances AZs.
    expect(new Set((await live()).map((i) => i.SubnetId)).size).toBe(2);

    // An instance terminated out of band is replaced by a sweep; the other one is left alone.
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [first[0] ?? ''] }));
    const healed = await waitFor('a replacement instance', async () => {
      const ids = (await live()).map((i) => i.InstanceId ?? '');
      return ids.length === 2 && !ids.includes(first[0] ?? '') ? ids : undefined;
    });
    expect(healed).toContain(first[1]);

    const destroy = await cli(url, 'group', 'destroy', groupId, '--wait', '--timeout', '30');
    expect(destroy.code).toBe(0);
    expect(await live()).toEqual([]);
    expect(controller?.output()).toContain(`ec2 at ${moto.endpoint}`);
  });
});
