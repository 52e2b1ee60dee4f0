import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { InfraKitController, type InfraKitControllerProps } from './controller.js';

/** Properties of {@link InfraKitStack}. */
export interface InfraKitStackProps extends StackProps {
  /**
   * Settings of the controller.
   * @default - the controller's defaults
   */
  readonly controller?: InfraKitControllerProps;
}

/**
 * The stack `npx cdk deploy` installs: the controller, and its API URL, table name and controller
 * identity as outputs.
 */
export class InfraKitStack extends Stack {
  public readonly controller: InfraKitController;

  constructor(scope: Construct, id: string, props: InfraKitStackProps = {}) {
    super(scope, id, {
      description: 'InfraKit-serverless: leaderless, self-healing instance groups',
      ...props,
    });
    this.controller = new InfraKitController(this, 'Controller', props.controller);
    new CfnOutput(this, 'ApiUrl', {
      value: this.controller.apiUrl,
      description:
        'Endpoint for the infrakit CLI (--endpoint or INFRAKIT_ENDPOINT); SigV4-signed requests only',
    });
    new CfnOutput(this, 'TableName', {
      value: this.controller.table.tableName,
      description: 'DynamoDB table holding specs, history, group state and events',
    });
    new CfnOutput(this, 'ControllerId', {
      value: this.controller.controllerId,
      description:
        'Value of the infrakit.controller tag on every instance this controller launches; it touches no other instance',
    });
  }
}
