import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { InfraKitController } from './controller.js';

const EC2_ARN = 'arn:<AWS::Partition>:ec2:<AWS::Region>';
const OWN = `${EC2_ARN}:<AWS::AccountId>`;

/**
 * cdk-nag AwsSolutions findings that are deliberate, each with the reason it is acceptable. They
 * are acknowledged finding by finding (`RuleId[finding]`), never a whole rule, so any new wildcard
 * still fails the synth.
 */
export const ROLE_ACKNOWLEDGEMENTS: readonly { readonly id: string; readonly reason: string }[] = [
  {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      'AWSLambdaBasicExecutionRole grants only logs:CreateLogGroup, CreateLogStream and PutLogEvents, which every function needs to write to its own log group; a copy inline would add nothing.',
  },
  {
    id: `AwsSolutions-IAM5[Resource::${OWN}:instance/*]`,
    reason:
      'Instance IDs are only known after launch. RunInstances here requires the infrakit.controller request tag to equal this controller id exactly and a non-empty infrakit.group tag, CreateTags requires ec2:CreateAction=RunInstances with that same identity, and TerminateInstances requires the infrakit.controller resource tag to equal this controller id exactly.',
  },
  {
    id: `AwsSolutions-IAM5[Resource::${OWN}:volume/*]`,
    reason:
      'Volumes are created by RunInstances or, for pets, by CreateVolume; creating one requires the exact infrakit.controller request tag of this controller (CreateTags only with ec2:CreateAction RunInstances or CreateVolume), and attaching, detaching or deleting one requires that exact infrakit.controller resource tag.',
  },
  {
    id: `AwsSolutions-IAM5[Resource::${OWN}:elastic-ip/*]`,
    reason:
      'A pet’s Elastic IP is allocated at runtime: AllocateAddress requires the exact infrakit.controller request tag of this controller, and associating, disassociating or releasing an address requires that exact infrakit.controller resource tag.',
  },
  {
    id: `AwsSolutions-IAM5[Resource::${EC2_ARN}::image/*]`,
    reason:
      'Group specs name their AMI (possibly public, owned by another account); RunInstances must be allowed to read any image in the region unless launchGuardrails.imageIds lists the AMIs (launchGuardrails.imageOwners adds an ec2:Owner condition).',
  },
  {
    id: `AwsSolutions-IAM5[Resource::${EC2_ARN}::snapshot/*]`,
    reason: 'EBS-backed AMIs launch from their snapshots, which belong to the AMI owner.',
  },
  {
    id: `AwsSolutions-IAM5[Resource::${OWN}:subnet/*]`,
    reason:
      'Group specs choose their subnets at runtime; RunInstances only places instances in them (launchGuardrails.vpcIds adds an ec2:Vpc condition).',
  },
  {
    id: `AwsSolutions-IAM5[Resource::${OWN}:security-group/*]`,
    reason:
      'Group specs choose their security groups at runtime; RunInstances only attaches them (launchGuardrails.vpcIds adds an ec2:Vpc condition).',
  },
  {
    id: `AwsSolutions-IAM5[Resource::${OWN}:network-interface/*]`,
    reason:
      'RunInstances creates the primary network interface untagged, so it cannot carry a request-tag condition.',
  },
  {
    id: `AwsSolutions-IAM5[Resource::${OWN}:key-pair/*]`,
    reason: 'Group specs may name an SSH key pair at runtime; RunInstances only references it.',
  },
  {
    id: `AwsSolutions-IAM5[Resource::${OWN}:launch-template/*]`,
    reason: 'Group specs may launch from a launch template chosen at runtime; RunInstances only reads it.',
  },
  {
    id: `AwsSolutions-IAM5[Resource::${OWN}:spot-instances-request/*]`,
    reason:
      'Groups with spot market options make RunInstances create a spot request, untagged, so it cannot carry a request-tag condition.',
  },
  {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Only the read actions the runtime calls use Resource *, because they support no resource-level permissions: the EC2 Describe actions (DescribeInstances, DescribeInstanceStatus, DescribeImages, DescribeSubnets, and for pets DescribeVolumes, DescribeNetworkInterfaces, DescribeAddresses) and the ELBv2 reads DescribeTargetHealth and DescribeTargetGroupAttributes.',
  },
  {
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:elasticloadbalancing:<AWS::Region>:<AWS::AccountId>:targetgroup/*/*]',
    reason:
      'Without the targetGroupArns prop, groups name their target groups at runtime: RegisterTargets and DeregisterTargets are then allowed only on target groups whose infrakit.controller resource tag equals this controller id exactly.',
  },
];

/** Acknowledges {@link ROLE_ACKNOWLEDGEMENTS} on each function's role, nowhere wider. */
export function acknowledgeControllerFindings(controller: InfraKitController): void {
  for (const fn of Object.values(controller.functions)) {
    const role: IConstruct | undefined = fn.role;
    if (role === undefined) continue;
    Validations.of(role).acknowledge(...ROLE_ACKNOWLEDGEMENTS);
  }
}
