import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import {
  Cluster,
  ContainerImage,
  ContainerInsights,
  FargateTaskDefinition,
  LogDrivers,
} from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import { InfraKitController, type InfraKitControllerProps } from '../../infra/lib/index.js';
import { EcsTaskPlugin } from './construct.js';

/**
 * The example stack: the controller and the ECS task plugin, deployed together, so that groups of
 * Fargate tasks are kept by the controller like groups of instances (README, "Plugins in AWS").
 */

/** The identity both sides agree on: the controller tags with it, the plugin's role is scoped to it. */
const CONTROLLER_ID = 'ecs-example';

export class EcsPluginExampleStack extends Stack {
  readonly controller: InfraKitController;
  readonly plugin: EcsTaskPlugin;

  constructor(
    scope: Construct,
    id: string,
    props: StackProps & { readonly handlerEntries?: InfraKitControllerProps['handlerEntries'] } = {},
  ) {
    super(scope, id, { description: 'InfraKit-serverless with the ECS task plugin (example)', ...props });
    // Public subnets and public IPs: the tasks pull their image without a NAT gateway.
    const vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: SubnetType.PUBLIC }],
      flowLogs: { all: {} },
    });
    const cluster = new Cluster(this, 'Cluster', { vpc, containerInsightsV2: ContainerInsights.ENABLED });
    const web = new FargateTaskDefinition(this, 'Web', { cpu: 256, memoryLimitMiB: 512 });
    web.addContainer('web', {
      image: ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'),
      logging: LogDrivers.awsLogs({ streamPrefix: 'web' }),
    });
    // No inbound rule: the example shows a kept group of tasks, not a service behind a load balancer.
    const tasksSg = new SecurityGroup(this, 'TasksSecurityGroup', { vpc, description: 'example tasks' });

    this.plugin = new EcsTaskPlugin(this, 'EcsPlugin', {
      cluster,
      taskDefinitions: [web],
      controllerId: CONTROLLER_ID,
    });
    this.controller = new InfraKitController(this, 'Controller', {
      controllerId: CONTROLLER_ID,
      plugins: [{ name: 'ecs', function: this.plugin.function }],
      ...(props.handlerEntries ? { handlerEntries: props.handlerEntries } : {}),
    });

    new CfnOutput(this, 'ApiUrl', { value: this.controller.apiUrl });
    new CfnOutput(this, 'TaskDefinition', { value: web.taskDefinitionArn });
    new CfnOutput(this, 'Subnets', { value: vpc.publicSubnets.map((s) => s.subnetId).join(',') });
    new CfnOutput(this, 'SecurityGroup', { value: tasksSg.securityGroupId });
  }
}
