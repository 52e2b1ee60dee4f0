import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ICluster, TaskDefinition } from 'aws-cdk-lib/aws-ecs';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Props of {@link EcsTaskPlugin}. */
export interface EcsTaskPluginProps {
  /** The cluster the plugin's tasks run in. */
  readonly cluster: ICluster;
  /** The Fargate task definitions groups may run: the only ones `RunTask` is allowed on. */
  readonly taskDefinitions: readonly TaskDefinition[];
  /**
   * The controller's identity (`InfraKitController.controllerId`): the plugin may stop and tag only
   * tasks carrying `infrakit.controller` with this value.
   */
  readonly controllerId: string;
}

/** The controller's identity tag, written on every task at launch (the controller's `src/tags.ts`). */
const TAG_CONTROLLER = 'infrakit.controller';

/**
 * The ECS task plugin as a Lambda function (`handler.ts`), with exactly the rights its methods
 * use: run the named task definitions in the cluster, tagged with this controller's identity at
 * launch; list and describe the cluster's tasks; stop and label only this controller's tasks; pass
 * the task definitions' roles to ECS and nowhere else. Give `function` to the controller's
 * `plugins` prop: `{ name: 'ecs', function: plugin.function }`.
 */
export class EcsTaskPlugin extends Construct {
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: EcsTaskPluginProps) {
    super(scope, id);
    const { cluster, taskDefinitions, controllerId } = props;
    const { partition, region, account } = Stack.of(this);
    const tasks = `arn:${partition}:ecs:${region}:${account}:task/${cluster.clusterName}/*`;

    this.function = new NodejsFunction(this, 'Function', {
      entry: fileURLToPath(new URL('./handler.ts', import.meta.url)),
      handler: 'handler',
      description: 'InfraKit instance plugin: ECS tasks on Fargate',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      // Below the controller's plugin call timeout (15 s): an answer after it would be ignored.
      timeout: Duration.seconds(14),
      environment: { ECS_CLUSTER: cluster.clusterArn, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        externalModules: ['@aws-sdk/*'],
        banner:
          "import { createRequire as __pluginCreateRequire } from 'node:module'; const require = __pluginCreateRequire(import.meta.url);",
      },
      logGroup: new LogGroup(this, 'Logs', {
        retention: RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });

    const statements = [
      new PolicyStatement({
        sid: 'RunNamedTaskDefinitionsInTheCluster',
        actions: ['ecs:RunTask'],
        resources: taskDefinitions.map((t) => t.taskDefinitionArn),
        conditions: {
          ArnEquals: { 'ecs:cluster': cluster.clusterArn },
          StringEquals: { [`aws:RequestTag/${TAG_CONTROLLER}`]: controllerId },
        },
      }),
      // RunTask's tags are written by TagResource, allowed here only as part of RunTask.
      new PolicyStatement({
        sid: 'TagOnlyAtLaunch',
        actions: ['ecs:TagResource'],
        resources: [tasks],
        conditions: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
      }),
      new PolicyStatement({
        sid: 'StopAndLabelOnlyOwnTasks',
        actions: ['ecs:StopTask', 'ecs:TagResource'],
        resources: [tasks],
        conditions: { StringEquals: { [`aws:ResourceTag/${TAG_CONTROLLER}`]: controllerId } },
      }),
      new PolicyStatement({
        sid: 'DescribeTheClustersTasks',
        actions: ['ecs:DescribeTasks'],
        resources: [tasks],
      }),
      // ListTasks is authorized on container instances, with the cluster as its condition.
      new PolicyStatement({
        sid: 'ListTheClustersTasks',
        actions: ['ecs:ListTasks'],
        resources: ['*'],
        conditions: { ArnEquals: { 'ecs:cluster': cluster.clusterArn } },
      }),
    ];
    const roles = taskDefinitions.flatMap((t) => [
      t.taskRole.roleArn,
      ...(t.executionRole ? [t.executionRole.roleArn] : []),
    ]);
    statements.push(
      new PolicyStatement({
        sid: 'PassTaskRolesToEcsOnly',
        actions: ['iam:PassRole'],
        resources: roles,
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
    for (const s of statements) this.function.addToRolePolicy(s);
    if (this.function.role)
      Validations.of(this.function.role).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: 'AWSLambdaBasicExecutionRole grants only writing to the function’s own log streams.',
        },
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            'ecs:ListTasks is authorized on container instances only; the ecs:cluster condition limits it to this cluster.',
        },
        {
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/<${Stack.of(this).getLogicalId(cluster.node.defaultChild as never)}>/*]`,
          reason:
            'Task ARNs exist only after RunTask. Tags are written only by RunTask (ecs:CreateAction), and StopTask and later tagging require the exact infrakit.controller tag of this controller; DescribeTasks only reads the cluster’s tasks.',
        },
      );
  }
}
