import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';

/**
 * ECS on moto for the ECS task plugin's tests: clusters, one Fargate task definition (moto wants
 * each container's memory, and security groups in `awsvpcConfiguration`), and a subnet and security
 * group of moto's default VPC for the tasks.
 */
export interface EcsWorld {
  readonly ecs: ECSClient;
  /** The plugin's task properties: the task definition family and the network. */
  readonly properties: { taskDefinition: string; subnets: string[]; securityGroups: string[] };
}

export async function ecsWorld(
  endpoint: string,
  clusters: readonly string[],
  family: string,
): Promise<EcsWorld> {
  const config = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const ecs = new ECSClient(config);
  const ec2 = new EC2Client(config);
  try {
    for (const clusterName of clusters) await ecs.send(new CreateClusterCommand({ clusterName }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: 'app', image: 'busybox', memory: 512 }],
      }),
    );
    const subnet = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets?.[0]?.SubnetId ?? '';
    const sg = (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups?.[0]?.GroupId ?? '';
    return { ecs, properties: { taskDefinition: family, subnets: [subnet], securityGroups: [sg] } };
  } finally {
    ec2.destroy();
  }
}
