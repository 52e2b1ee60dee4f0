import { Stack } from 'aws-cdk-lib';
import { Effect, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { LaunchGuardrails } from '../../src/providers/ec2/guardrails.js';
import { TAG_CONTROLLER, TAG_GROUP } from '../../src/tags.js';

/**
 * The EC2 permissions of a reconciler, as narrow as EC2's authorization model allows: launch only
 * with this controller's identity and a group tag, terminate only instances that already carry this
 * controller's identity, and nothing else that changes EC2. Condition keys per resource type are
 * those of RunInstances in the Service Authorization Reference (Amazon EC2).
 */
export interface Ec2ControlOptions {
  /**
   * This controller's identity: the exact value of the `infrakit.controller` tag it launches with
   * and the only value whose instances it may terminate.
   */
  readonly controllerId: string;
  /**
   * Roles of the instance profiles that groups launch with (`iam:PassRole`, to EC2 only).
   * Empty means no PassRole statement at all.
   */
  readonly instanceRoleArns: readonly string[];
  /** Limits on what may be launched, enforced here as IAM conditions on RunInstances. */
  readonly guardrails?: LaunchGuardrails;
}

/** Statement ids, so tests and cdk-nag acknowledgements can find each statement. */
export const EC2_SID = {
  launchInstance: 'LaunchOnlyOwnInstances',
  launchVolume: 'LaunchOnlyOwnVolumes',
  launchImage: 'LaunchFromAllowedImages',
  launchNetwork: 'LaunchIntoAllowedNetwork',
  launchReferenced: 'LaunchReferencedResources',
  tagOnLaunch: 'TagOnlyAtLaunch',
  terminateOwn: 'TerminateOnlyOwnInstances',
  describe: 'DescribeForObservation',
  passRole: 'PassInstanceRoles',
} as const;

/**
 * The EC2 read actions the runtime calls, and no others: observation (`DescribeInstances`,
 * `DescribeInstanceStatus`, also the events function's instance → group lookup), subnet lookups
 * for placement and pets, and the guardrail checks at PUT (`DescribeImages`, `DescribeSubnets`).
 * Not `ec2:Describe*`: that includes `DescribeInstanceAttribute`, which reads every instance's user
 * data (often holding secrets), and much else no function needs.
 */
export const EC2_DESCRIBE_ACTIONS: readonly string[] = [
  'ec2:DescribeInstances',
  'ec2:DescribeInstanceStatus',
  'ec2:DescribeImages',
  'ec2:DescribeSubnets',
];

/**
 * Resource types RunInstances is authorized against although it does not create a tagged resource
 * of that type for us (it reads them, or creates them untagged). The construct's policy validation
 * accepts an unconditioned RunInstances on these only, since a launch is also authorized against
 * the instance, which always carries the identity conditions.
 */
export const RUN_INSTANCES_REFERENCED_TYPES: readonly string[] = [
  'image',
  'snapshot',
  'subnet',
  'security-group',
  'network-interface',
  'key-pair',
  'launch-template',
  'spot-instances-request',
];

/** The read-only statement every function that observes EC2 gets (the API included). */
export function ec2DescribeStatement(): PolicyStatement {
  return new PolicyStatement({
    sid: EC2_SID.describe,
    effect: Effect.ALLOW,
    actions: [...EC2_DESCRIBE_ACTIONS],
    // EC2 Describe actions support no resource-level permissions: AWS requires `*`.
    resources: ['*'],
  });
}

/**
 * The statements that launch and terminate, built for `scope`'s partition, region and account,
 * plus the Describe statement. Every condition sits on the statement for the one resource type
 * whose authorization context has that key: a key absent from a resource's context makes the
 * condition false, and RunInstances would then always fail.
 */
export function ec2ControlStatements(scope: IConstruct, options: Ec2ControlOptions): PolicyStatement[] {
  const { partition, region, account } = Stack.of(scope);
  const arn = (type: string, owner: string = account, id = '*') =>
    `arn:${partition}:ec2:${region}:${owner}:${type}/${id}`;
  const { controllerId, guardrails = {} } = options;

  // What RunInstances creates and tags (architecture §3: tags at launch, never after). The request must
  // carry exactly this controller's identity (StringEquals, no pattern) and a non-empty group tag.
  // A condition on a request tag the request lacks is false, so both tags are required; aws:TagKeys
  // names them too.
  const ownTags = {
    StringEquals: { [`aws:RequestTag/${TAG_CONTROLLER}`]: controllerId },
    StringLike: { [`aws:RequestTag/${TAG_GROUP}`]: '?*' },
    'ForAnyValue:StringEquals': { 'aws:TagKeys': [TAG_CONTROLLER, TAG_GROUP] },
  };

  const statements = [
    new PolicyStatement({
      sid: EC2_SID.launchInstance,
      effect: Effect.ALLOW,
      actions: ['ec2:RunInstances'],
      resources: [arn('instance')],
      conditions: {
        ...ownTags,
        StringEquals: {
          ...ownTags.StringEquals,
          // Guardrail: IMDSv2 only. ec2:MetadataHttpTokens is a key of the instance resource only.
          ...(guardrails.requireImdsv2 ? { 'ec2:MetadataHttpTokens': 'required' } : {}),
        },
      },
    }),
    new PolicyStatement({
      sid: EC2_SID.launchVolume,
      effect: Effect.ALLOW,
      actions: ['ec2:RunInstances'],
      resources: [arn('volume')],
      conditions: {
        ...ownTags,
        // Guardrail: every volume launched is encrypted. ec2:Encrypted is a key of the volume only.
        ...(guardrails.requireEncryptedVolumes ? { Bool: { 'ec2:Encrypted': 'true' } } : {}),
      },
    }),
    new PolicyStatement({
      sid: EC2_SID.launchImage,
      effect: Effect.ALLOW,
      actions: ['ec2:RunInstances'],
      // Guardrail: only these AMIs (AMI ARNs carry no account); otherwise any image the spec names,
      // possibly public and owned by another account.
      resources: guardrails.imageIds
        ? guardrails.imageIds.map((id) => arn('image', '', id))
        : [arn('image', '')],
      // Guardrail: only AMIs of these owners. ec2:Owner is a key of the image (and snapshot) only.
      conditions: guardrails.imageOwners
        ? { StringEquals: { 'ec2:Owner': [...guardrails.imageOwners] } }
        : undefined,
    }),
    new PolicyStatement({
      sid: EC2_SID.launchNetwork,
      effect: Effect.ALLOW,
      actions: ['ec2:RunInstances'],
      // Specs choose their subnets and security groups at runtime; RunInstances creates the primary
      // network interface untagged (so no request-tag condition here).
      resources: [arn('subnet'), arn('security-group'), arn('network-interface')],
      // Guardrail: only inside these VPCs. ec2:Vpc (an ARN) is a key of exactly these three types.
      conditions: guardrails.vpcIds
        ? { ArnEquals: { 'ec2:Vpc': guardrails.vpcIds.map((id) => arn('vpc', account, id)) } }
        : undefined,
    }),
    new PolicyStatement({
      sid: EC2_SID.launchReferenced,
      effect: Effect.ALLOW,
      actions: ['ec2:RunInstances'],
      // What RunInstances only references (the AMI's snapshots, a key pair, a launch template) or
      // creates untagged (a spot request); a tag condition here would make every launch fail.
      resources: [
        arn('snapshot', ''),
        arn('key-pair'),
        arn('launch-template'),
        arn('spot-instances-request'),
      ],
    }),
    new PolicyStatement({
      sid: EC2_SID.tagOnLaunch,
      effect: Effect.ALLOW,
      actions: ['ec2:CreateTags'],
      resources: [arn('instance'), arn('volume')],
      // TagSpecifications of RunInstances need CreateTags, but only as part of that launch and only
      // with this controller's identity. Tagging an existing resource is never allowed: nothing in
      // the AWS runtime relabels, and CreateTags on existing instances would let a caller adopt
      // foreign instances (tag them with our identity) and then terminate them.
      conditions: {
        StringEquals: {
          'ec2:CreateAction': 'RunInstances',
          [`aws:RequestTag/${TAG_CONTROLLER}`]: controllerId,
        },
        StringLike: { [`aws:RequestTag/${TAG_GROUP}`]: '?*' },
      },
    }),
    new PolicyStatement({
      sid: EC2_SID.terminateOwn,
      effect: Effect.ALLOW,
      actions: ['ec2:TerminateInstances'],
      resources: [arn('instance')],
      // Only instances carrying exactly this controller's identity and a group tag (architecture §5.6):
      // another controller's instances, and instances launched before identities existed, are never
      // terminated. No StopInstances: the runtime never stops an instance.
      conditions: {
        StringEquals: { [`aws:ResourceTag/${TAG_CONTROLLER}`]: controllerId },
        StringLike: { [`aws:ResourceTag/${TAG_GROUP}`]: '?*' },
      },
    }),
    ec2DescribeStatement(),
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

/** Adds the launch, terminate and Describe statements to `grantee`'s policy (the reconcilers). */
export function grantEc2Control(grantee: IGrantable, scope: IConstruct, options: Ec2ControlOptions): void {
  for (const statement of ec2ControlStatements(scope, options)) {
    grantee.grantPrincipal.addToPrincipalPolicy(statement);
  }
}

/** Adds only the Describe statement to `grantee`'s policy (the API: status, pretend plans, checks). */
export function grantEc2Describe(grantee: IGrantable): void {
  grantee.grantPrincipal.addToPrincipalPolicy(ec2DescribeStatement());
}
