import {
  DescribeInstancesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { describe } from 'vitest';
import { Ec2Provider } from '../../src/providers/ec2/provider.js';
import { type ContractFixture, instanceProviderContract } from '../contract/instance-provider.js';
import { motoAvailable, startMoto } from '../helpers/moto.js';
import { AMI, ec2Client } from './ec2-fixtures.js';

/** The shared provider contract (architecture §3), run against the EC2 provider on moto server. */

async function ec2OnMoto(): Promise<ContractFixture> {
  const moto = await startMoto();
  await moto.reset();
  const client = ec2Client(moto.endpoint);
  const provider = new Ec2Provider({ client });
  const terminate = async (id: string) => {
    await client.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  };
  return {
    provider,
    validProperties: { imageId: AMI, instanceType: 't3.micro' },
    invalidProperties: [
      { value: { imageId: 'ubuntu-22.04', instanceType: 't3.micro' }, path: 'imageId' },
      { value: { imageId: AMI }, path: 'instanceType' },
      { value: { imageId: AMI, instanceType: 't3.micro', subnetId: 'subnet-0abc1234' }, path: 'subnetId' },
      { value: { launchTemplate: { name: 'web', version: 'newest' } }, path: 'launchTemplate.version' },
    ],
    unknownId: 'i-0123456789abcdef0',
    killOutOfBand: terminate,
    async untaggedInstance() {
      const out = await client.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1 }));
      const id = out.Instances?.[0]?.InstanceId ?? '';
      return {
        id,
        async exists() {
          const found = await client.send(
            new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: [id] }] }),
          );
          const state = found.Reservations?.[0]?.Instances?.[0]?.State?.Name;
          return state !== undefined && state !== 'terminated';
        },
        remove: () => terminate(id),
      };
    },
    async teardown() {
      await moto.reset();
      await moto.stop();
    },
  };
}

describe.runIf(motoAvailable())('ec2 on moto', () => {
  instanceProviderContract('ec2 on moto', ec2OnMoto);
});
