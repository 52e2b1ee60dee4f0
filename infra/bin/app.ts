import { App, Duration, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { LaunchGuardrails } from '../../src/providers/ec2/guardrails.js';
import { InfraKitStack } from '../lib/stack.js';

/**
 * `npx cdk deploy` entry point. Optional context (`-c key=value`):
 * - `instanceRoleArns`: comma-separated roles that instance profiles of your groups use;
 * - `sweepIntervalMinutes`: the sweep's rate (default 1);
 * - `tableDeletionProtection`: `false` to let the table be deleted;
 * - `controllerId`: this controller's identity (default: derived from the stack name);
 * - `launchGuardrails`: JSON of the launch guardrails, e.g. `{"requireImdsv2":true}`.
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

/** `launchGuardrails` as JSON text (`-c`) or an object (`cdk.json`); the construct validates it. */
function guardrailsContext(): LaunchGuardrails | undefined {
  const value: unknown = app.node.tryGetContext('launchGuardrails');
  if (value === undefined || typeof value !== 'string') return value as LaunchGuardrails | undefined;
  try {
    return JSON.parse(value) as LaunchGuardrails;
  } catch (err) {
    throw new Error(`context launchGuardrails must be JSON, e.g. '{"requireImdsv2":true}': ${String(err)}`);
  }
}

new InfraKitStack(app, 'InfraKit', {
  controller: {
    instanceRoleArns: roles ? roles.split(',').map((r) => r.trim()) : undefined,
    sweepInterval: minutes ? Duration.minutes(Number(minutes)) : undefined,
    deletionProtection: context('tableDeletionProtection') !== 'false',
    controllerId: context('controllerId'),
    launchGuardrails: guardrailsContext(),
  },
});
