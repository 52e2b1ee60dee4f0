import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EcsPluginExampleStack } from './stack.js';

/**
 * `npx cdk deploy --app 'npx tsx examples/ecs-plugin/app.ts'`: the controller and the ECS task
 * plugin in one stack; then `infrakit group commit examples/ecs-plugin/group.yaml` with the stack's outputs
 * filled in.
 */
const app = new App();
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
new EcsPluginExampleStack(app, 'InfraKitEcsExample');
