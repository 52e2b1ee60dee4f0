import { Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { GrantScope, IamStatement } from '../../src/plugins/types.js';
import type { LaunchGuardrails } from '../../src/providers/ec2/guardrails.js';

/**
 * The IAM statements provider plugins declare (each with its reason, in the plugin's own folder:
 * `src/providers/ec2/grants.ts` for EC2) turned into CDK statements for the stack's partition,
 * region and account.
 */

/** A plugin's statement as CDK's `PolicyStatement` (always Allow). */
export function toPolicyStatement(s: IamStatement): PolicyStatement {
  return new PolicyStatement({
    sid: s.sid,
    effect: Effect.ALLOW,
    actions: [...s.actions],
    resources: [...s.resources],
    ...(s.conditions ? { conditions: s.conditions as Record<string, Record<string, unknown>> } : {}),
  });
}

/** What the plugins see of `scope`'s stack and the construct's props. */
export function grantScope(
  scope: IConstruct,
  options: {
    readonly controllerId: string;
    readonly instanceRoleArns: readonly string[];
    readonly guardrails?: LaunchGuardrails | undefined;
    readonly targetGroupArns?: readonly string[] | undefined;
  },
): GrantScope {
  const { partition, region, account } = Stack.of(scope);
  return {
    partition,
    region,
    account,
    controllerId: options.controllerId,
    instanceRoleArns: options.instanceRoleArns,
    ...(options.guardrails ? { launchGuardrails: options.guardrails } : {}),
    ...(options.targetGroupArns?.length ? { targetGroupArns: options.targetGroupArns } : {}),
  };
}
