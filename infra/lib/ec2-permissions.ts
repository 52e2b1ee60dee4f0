import { Stack } from 'aws-cdk-lib';
import { Effect, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { TAG_GROUP } from '../../src/tags.js';

/**
 * The EC2 permissions of a reconciler, as narrow as EC2's authorization model allows: launch only
 * with our group tag, touch existing instances only when they already carry it.
 */
export interface Ec2ControlOptions {
  /**
   * Roles of the instance profiles that groups launch with (`iam:PassRole`, to EC2 only).
   * Empty means no PassRole statement at all.
   */
  readonly instanceRoleArns: readonly string[];
}

/** Statement ids, so tests and cdk-nag acknowledgements can find each statement. */
export const EC2_SID = {
  launchTagged: 'LaunchOnlyWithGroupTag',
  launchReferenced: 'LaunchReferencedResources',
  tagOnLaunch: 'TagOnlyAtLaunch',
  manageTagged: 'ManageOnlyGroupInstances',
  describe: 'DescribeForObservation',
  passRole: 'PassInstanceRoles',
} as const;

/** The statements, built for `scope`'s partition, region and account. */
export function ec2ControlStatements(scope: IConstruct, options: Ec2ControlOptions): PolicyStatement[] {
  const { partition, region, account } = Stack.of(scope);
  const arn = (type: string, owner: string = account) => `arn:${partition}:ec2:${region}:${owner}:${type}/*`;
  // The resources RunInstances *creates* and we tag at launch (DESIGN §3: tags at launch, never after).
  const created = [arn('instance'), arn('volume')];

  const statements = [
    new PolicyStatement({
      sid: EC2_SID.launchTagged,
      effect: Effect.ALLOW,
      actions: ['ec2:RunInstances'],
      resources: created,
      conditions: {
        // The request must name a group: nothing untagged can be launched by the controller.
        StringLike: { [`aws:RequestTag/${TAG_GROUP}`]: '?*' },
        'ForAnyValue:StringEquals': { 'aws:TagKeys': [TAG_GROUP] },
      },
    }),
    new PolicyStatement({
      sid: EC2_SID.launchReferenced,
      effect: Effect.ALLOW,
      actions: ['ec2:RunInstances'],
      // RunInstances is also authorized against what it only references or creates untagged; these
      // cannot carry request tags, so a tag condition here would make every launch fail.
      resources: [
        arn('image', ''),
        arn('snapshot', ''),
        arn('subnet'),
        arn('security-group'),
        arn('network-interface'),
        arn('key-pair'),
        arn('launch-template'),
        arn('spot-instances-request'),
      ],
    }),
    new PolicyStatement({
      sid: EC2_SID.tagOnLaunch,
      effect: Effect.ALLOW,
      actions: ['ec2:CreateTags'],
      resources: created,
      // TagSpecifications of RunInstances need CreateTags, but only as part of that launch, and
      // only when the tags name a group (instances and volumes both carry it).
      conditions: {
        StringEquals: { 'ec2:CreateAction': 'RunInstances' },
        StringLike: { [`aws:RequestTag/${TAG_GROUP}`]: '?*' },
      },
    }),
    new PolicyStatement({
      sid: EC2_SID.manageTagged,
      effect: Effect.ALLOW,
      actions: ['ec2:TerminateInstances', 'ec2:StopInstances', 'ec2:CreateTags'],
      resources: [arn('instance')],
      // An instance without our group tag is never ours to stop, terminate or relabel (DESIGN §5.6).
      conditions: { StringLike: { [`aws:ResourceTag/${TAG_GROUP}`]: '*' } },
    }),
    new PolicyStatement({
      sid: EC2_SID.describe,
      effect: Effect.ALLOW,
      // EC2 Describe* actions support no resource-level permissions: AWS requires `*`.
      actions: ['ec2:Describe*'],
      resources: ['*'],
    }),
  ];
  if (options.instanceRoleArns.length > 0) {
    statements.push(
      new PolicyStatement({
        sid: EC2_SID.passRole,
        effect: Effect.ALLOW,
        actions: ['iam:PassRole'],
        resources: [...options.instanceRoleArns],
        conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
    );
  }
  return statements;
}

/** Adds the EC2 control statements to `grantee`'s policy. */
export function grantEc2Control(grantee: IGrantable, scope: IConstruct, options: Ec2ControlOptions): void {
  for (const statement of ec2ControlStatements(scope, options)) {
    grantee.grantPrincipal.addToPrincipalPolicy(statement);
  }
}
