import type { AwsGrants, GrantScope, IamStatement } from '../../plugins/types.js';
import { TAG_CONTROLLER, TAG_GROUP, TAG_LOGICAL_ID, TAG_RETAINED } from '../../tags.js';
import { type LaunchGuardrails, LaunchGuardrailsSchema } from './guardrails.js';

/**
 * The EC2 permissions of a deployed controller, as data, as narrow as EC2's authorization model
 * allows: launch only with this controller's identity and a group tag, terminate only instances
 * that already carry this controller's identity, and nothing else that changes EC2. Condition keys
 * per resource type are those of RunInstances in the Service Authorization Reference (Amazon EC2):
 * a key absent from a resource's authorization context makes its condition false, and RunInstances
 * would then always fail, so each condition sits on the statement of its own resource type.
 */

/** Statement ids, so tests and cdk-nag acknowledgements can find each statement. */
export const EC2_SID = {
  launchInstance: 'LaunchOnlyOwnInstances',
  launchVolume: 'LaunchOnlyOwnVolumes',
  launchImage: 'LaunchFromAllowedImages',
  launchNetwork: 'LaunchIntoAllowedNetwork',
  launchReferenced: 'LaunchReferencedResources',
  tagOnLaunch: 'TagOnlyAtLaunch',
  terminateOwn: 'TerminateOnlyOwnInstances',
  retainOwn: 'RetainOnlyOwnInstances',
  describe: 'DescribeForObservation',
  passRole: 'PassInstanceRoles',
  petCreateVolume: 'PetsCreateOnlyOwnVolumes',
  petCreateOther: 'PetsCreateOnlyOwnInterfacesAndAddresses',
  petCreateReferenced: 'PetsCreateReferencedResources',
  petTagOnCreate: 'PetsTagOnlyAtCreation',
  petAttach: 'PetsAttachOnlyOwnVolumes',
  petAssociate: 'PetsAssociateOnlyOwnAddresses',
  petDelete: 'PetsModifyOrDeleteOnlyOwnResources',
  targetsRegister: 'RegisterOnlyInNamedTargetGroups',
  targetsRead: 'ReadTargetHealth',
} as const;

/**
 * ELBv2 for a spec's `loadBalancers`: register and deregister only in the target groups the
 * construct names (`targetGroupArns`), or, when it names none, only in target groups tagged with
 * this controller's identity; reads (target health, the deregistration delay) are read-only and
 * ELBv2 authorizes them on no resource, so they are on `*`.
 */
export function elbv2Statements(scope: GrantScope): IamStatement[] {
  const { partition, region, account, controllerId } = scope;
  const named = scope.targetGroupArns ?? [];
  return [
    {
      sid: EC2_SID.targetsRegister,
      actions: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
      ...(named.length > 0
        ? { resources: [...named] }
        : {
            resources: [`arn:${partition}:elasticloadbalancing:${region}:${account}:targetgroup/*/*`],
            conditions: { StringEquals: { [`aws:ResourceTag/${TAG_CONTROLLER}`]: controllerId } },
          }),
    },
    {
      sid: EC2_SID.targetsRead,
      actions: [
        'elasticloadbalancing:DescribeTargetHealth',
        'elasticloadbalancing:DescribeTargetGroupAttributes',
      ],
      resources: ['*'],
    },
  ];
}

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
  // Pets: their volumes, interfaces and addresses are found by tags (reconcilers), checked against
  // a spec's subnets at PUT and listed by DELETE (the API).
  'ec2:DescribeVolumes',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeAddresses',
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

/**
 * Creating actions other than RunInstances, and the resource types each is authorized against
 * without creating (and tagging) them: the policy validation accepts these unconditioned, since
 * the same call is also authorized against the resource it creates, which carries the conditions.
 */
export const CREATE_REFERENCED_TYPES: Readonly<Record<string, readonly string[]>> = {
  'ec2:CreateVolume': ['snapshot'],
  'ec2:CreateNetworkInterface': ['subnet', 'security-group'],
  'ec2:ModifyNetworkInterfaceAttribute': ['security-group'],
};

/** The read-only statement every function that observes EC2 gets (the API included). */
export function ec2DescribeStatement(): IamStatement {
  // EC2 Describe actions support no resource-level permissions: AWS requires `*`.
  return { sid: EC2_SID.describe, actions: [...EC2_DESCRIBE_ACTIONS], resources: ['*'] };
}

/** The statements that launch and terminate, plus the Describe statement, for `scope`. */
export function ec2ControlStatements(scope: GrantScope): IamStatement[] {
  const { partition, region, account, controllerId } = scope;
  const guardrails: LaunchGuardrails =
    scope.launchGuardrails === undefined ? {} : LaunchGuardrailsSchema.parse(scope.launchGuardrails);
  const arn = (type: string, owner: string = account, id = '*') =>
    `arn:${partition}:ec2:${region}:${owner}:${type}/${id}`;

  // What RunInstances creates and tags (architecture §3: tags at launch, never after). The request
  // must carry exactly this controller's identity (StringEquals, no pattern) and a non-empty group
  // tag. A condition on a request tag the request lacks is false, so both tags are required;
  // aws:TagKeys names them too.
  const ownTags = {
    StringEquals: { [`aws:RequestTag/${TAG_CONTROLLER}`]: controllerId },
    StringLike: { [`aws:RequestTag/${TAG_GROUP}`]: '?*' },
    'ForAnyValue:StringEquals': { 'aws:TagKeys': [TAG_CONTROLLER, TAG_GROUP] },
  };

  const statements: IamStatement[] = [
    {
      sid: EC2_SID.launchInstance,
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
    },
    {
      sid: EC2_SID.launchVolume,
      actions: ['ec2:RunInstances'],
      resources: [arn('volume')],
      conditions: {
        ...ownTags,
        // Guardrail: every volume launched is encrypted. ec2:Encrypted is a key of the volume only.
        ...(guardrails.requireEncryptedVolumes ? { Bool: { 'ec2:Encrypted': 'true' } } : {}),
      },
    },
    {
      sid: EC2_SID.launchImage,
      actions: ['ec2:RunInstances'],
      // Guardrail: only these AMIs (AMI ARNs carry no account); otherwise any image the spec names,
      // possibly public and owned by another account.
      resources: guardrails.imageIds
        ? guardrails.imageIds.map((id) => arn('image', '', id))
        : [arn('image', '')],
      // Guardrail: only AMIs of these owners. ec2:Owner is a key of the image (and snapshot) only.
      ...(guardrails.imageOwners
        ? { conditions: { StringEquals: { 'ec2:Owner': [...guardrails.imageOwners] } } }
        : {}),
    },
    {
      sid: EC2_SID.launchNetwork,
      actions: ['ec2:RunInstances'],
      // Specs choose their subnets and security groups at runtime; RunInstances creates the primary
      // network interface untagged (so no request-tag condition here).
      resources: [arn('subnet'), arn('security-group'), arn('network-interface')],
      // Guardrail: only inside these VPCs. ec2:Vpc (an ARN) is a key of exactly these three types.
      ...(guardrails.vpcIds
        ? { conditions: { ArnEquals: { 'ec2:Vpc': guardrails.vpcIds.map((id) => arn('vpc', account, id)) } } }
        : {}),
    },
    {
      sid: EC2_SID.launchReferenced,
      actions: ['ec2:RunInstances'],
      // What RunInstances only references (the AMI's snapshots, a key pair, a launch template) or
      // creates untagged (a spot request); a tag condition here would make every launch fail.
      resources: [
        arn('snapshot', ''),
        arn('key-pair'),
        arn('launch-template'),
        arn('spot-instances-request'),
      ],
    },
    {
      sid: EC2_SID.tagOnLaunch,
      actions: ['ec2:CreateTags'],
      resources: [arn('instance'), arn('volume')],
      // TagSpecifications of RunInstances need CreateTags, but only as part of that launch and only
      // with this controller's identity. Tagging an existing resource is otherwise only allowed for
      // `infrakit.retained` on our own members (remediationStatements): CreateTags on existing
      // instances with our identity would let a caller adopt foreign instances and terminate them.
      conditions: {
        StringEquals: {
          'ec2:CreateAction': 'RunInstances',
          [`aws:RequestTag/${TAG_CONTROLLER}`]: controllerId,
        },
        StringLike: { [`aws:RequestTag/${TAG_GROUP}`]: '?*' },
      },
    },
    {
      sid: EC2_SID.terminateOwn,
      // RebootInstances: the remediation ladder's first step, on the same instances.
      actions: ['ec2:TerminateInstances', 'ec2:RebootInstances'],
      resources: [arn('instance')],
      // Only instances carrying exactly this controller's identity and a group tag (architecture
      // §5.6): another controller's instances, and instances launched before identities existed,
      // are never terminated. No StopInstances: the runtime never stops an instance.
      conditions: {
        StringEquals: { [`aws:ResourceTag/${TAG_CONTROLLER}`]: controllerId },
        StringLike: { [`aws:ResourceTag/${TAG_GROUP}`]: '?*' },
      },
    },
    retainStatement(controllerId, arn),
    ec2DescribeStatement(),
    ...petStatements(scope, guardrails, arn),
    ...elbv2Statements(scope),
  ];
  if (scope.instanceRoleArns.length > 0) {
    statements.push({
      sid: EC2_SID.passRole,
      actions: ['iam:PassRole'],
      resources: [...scope.instanceRoleArns],
      conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    });
  }
  return statements;
}

/**
 * `health.retainForForensics`: on this controller's group members alone, add exactly the tag
 * `infrakit.retained` and remove exactly the tag `infrakit.group` (the instance then leaves its
 * group and keeps running). It cannot adopt a foreign instance: the resource must carry this
 * controller's identity already, and that tag can be neither added nor removed. DeleteTags
 * without a tag list would delete every tag, so the request must name its keys (`Null: false`).
 * (One statement for both, as a role's inline policies share 10 KB: either call may thus also
 * carry the other's one key, which moves an instance only between this controller's groups.)
 */
function retainStatement(controllerId: string, arn: (type: string) => string): IamStatement {
  return {
    sid: EC2_SID.retainOwn,
    actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
    resources: [arn('instance')],
    conditions: {
      StringEquals: { [`aws:ResourceTag/${TAG_CONTROLLER}`]: controllerId },
      'ForAllValues:StringEquals': { 'aws:TagKeys': [TAG_RETAINED, TAG_GROUP] },
      Null: { 'aws:TagKeys': 'false' },
    },
  };
}

/**
 * What pets that keep volumes, an interface and an Elastic IP per logical ID need
 * (`pet-*.ts`): create them only with this controller's identity, a group and a logical ID in the
 * request (tagged at creation, never after); attach, associate and delete only what already carries
 * this controller's identity. An instance is only ever given resources of this controller, and
 * nothing of another system (another controller's volume, an address it was not handed) can be
 * attached, moved or deleted. An operator's own Elastic IP allocation (`elasticIp.allocationIds`)
 * must therefore carry `infrakit.controller = <this controller's id>` to be associated.
 */
function petStatements(
  scope: GrantScope,
  guardrails: LaunchGuardrails,
  arn: (type: string, owner?: string, id?: string) => string,
): IamStatement[] {
  const { controllerId, account } = scope;
  const created = {
    StringEquals: { [`aws:RequestTag/${TAG_CONTROLLER}`]: controllerId },
    StringLike: { [`aws:RequestTag/${TAG_GROUP}`]: '?*', [`aws:RequestTag/${TAG_LOGICAL_ID}`]: '?*' },
  };
  const own = { StringEquals: { [`aws:ResourceTag/${TAG_CONTROLLER}`]: controllerId } };
  return [
    {
      sid: EC2_SID.petCreateVolume,
      actions: ['ec2:CreateVolume'],
      resources: [arn('volume')],
      conditions: {
        ...created,
        // Guardrail: data volumes too are encrypted (ec2:Encrypted is a key of the volume).
        ...(guardrails.requireEncryptedVolumes ? { Bool: { 'ec2:Encrypted': 'true' } } : {}),
      },
    },
    {
      sid: EC2_SID.petCreateOther,
      actions: ['ec2:CreateNetworkInterface', 'ec2:AllocateAddress'],
      resources: [arn('network-interface'), arn('elastic-ip')],
      conditions: created,
    },
    {
      sid: EC2_SID.petCreateReferenced,
      actions: ['ec2:CreateVolume', 'ec2:CreateNetworkInterface', 'ec2:ModifyNetworkInterfaceAttribute'],
      // What those calls only read: the snapshot a volume starts from, the subnet and security
      // groups an interface is created with or given (guardrail: only inside the allowed VPCs).
      resources: [arn('snapshot', ''), arn('subnet'), arn('security-group')],
      ...(guardrails.vpcIds
        ? {
            conditions: {
              ArnEqualsIfExists: { 'ec2:Vpc': guardrails.vpcIds.map((id) => arn('vpc', account, id)) },
            },
          }
        : {}),
    },
    {
      sid: EC2_SID.petTagOnCreate,
      actions: ['ec2:CreateTags'],
      resources: [arn('volume'), arn('network-interface'), arn('elastic-ip')],
      // As for instances: tags only as part of the creating call, with this controller's identity.
      conditions: {
        StringEquals: {
          'ec2:CreateAction': ['CreateVolume', 'CreateNetworkInterface', 'AllocateAddress'],
          [`aws:RequestTag/${TAG_CONTROLLER}`]: controllerId,
        },
      },
    },
    {
      sid: EC2_SID.petAttach,
      actions: ['ec2:AttachVolume', 'ec2:DetachVolume'],
      // Both the volume and the instance must be this controller's.
      resources: [arn('volume'), arn('instance')],
      conditions: own,
    },
    {
      sid: EC2_SID.petAssociate,
      actions: ['ec2:AssociateAddress'],
      resources: [arn('elastic-ip'), arn('network-interface'), arn('instance')],
      conditions: own,
    },
    {
      sid: EC2_SID.petDelete,
      // Also: a pet's own interface takes the spec's security groups (ModifyNetworkInterfaceAttribute;
      // the groups themselves are only referenced, above).
      actions: [
        'ec2:ModifyNetworkInterfaceAttribute',
        'ec2:DeleteVolume',
        'ec2:DeleteNetworkInterface',
        'ec2:DisassociateAddress',
        'ec2:ReleaseAddress',
      ],
      resources: [arn('volume'), arn('network-interface'), arn('elastic-ip')],
      conditions: own,
    },
  ];
}

/** The `ec2` plugin's grants: launch and terminate for the reconcilers, Describe for the API. */
export function ec2Grants(scope: GrantScope): AwsGrants {
  return { control: ec2ControlStatements(scope), observe: [ec2DescribeStatement()] };
}
