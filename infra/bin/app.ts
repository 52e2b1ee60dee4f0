import { App, Duration, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { InfraKitStack } from '../lib/stack.js';

/**
 * `npx cdk deploy` entry point. Optional context (`-c key=value`):
 * - `instanceRoleArns`: comma-separated roles that instance profiles of your groups use;
 * - `sweepIntervalMinutes`: the sweep's rate (default 1);
 * - `tableDeletionProtection`: `false` to let the table be deleted.
 */
const app = new App();
// Every synth is checked: a new cdk-nag finding fails `cdk synth` and `cdk deploy`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined ? undefined : String(value);
};
const roles = context('instanceRoleArns');
const minutes = context('sweepIntervalMinutes');

new InfraKitStack(app, 'InfraKit', {
  controller: {
    instanceRoleArns: roles ? roles.split(',').map((r) => r.trim()) : undefined,
    sweepInterval: minutes ? Duration.minutes(Number(minutes)) : undefined,
    deletionProtection: context('tableDeletionProtection') !== 'false',
  },
});
