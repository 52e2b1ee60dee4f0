import * as z from 'zod';
import type { FieldIssue } from '../../errors.js';
import type { Ec2Api } from './api.js';
import { awsErrorCode } from './errors.js';
import type { Ec2Properties } from './properties.js';

/**
 * Launch guardrails: limits an operator sets once for the whole controller (construct props in
 * AWS, where they also become IAM conditions), so that whoever may PUT a spec still cannot launch
 * outside them. The API refuses a spec that breaks one (400) before anything is stored; IAM refuses
 * the launch itself should a spec slip past (a launch template, an AMI that changed owner).
 */
export const LaunchGuardrailsSchema = z.strictObject({
  /** Instances launch only into subnets of these VPCs (`ec2:Vpc`). */
  vpcIds: z
    .array(z.string().regex(/^vpc-[0-9a-f]{8,17}$/, 'must be a VPC id such as vpc-0abc1234'))
    .min(1)
    .optional(),
  /** AMIs only from these owners: account ids or `amazon` (`ec2:Owner`). */
  imageOwners: z
    .array(
      z
        .string()
        .regex(
          /^(\d{12}|amazon|aws-marketplace)$/,
          'must be a 12-digit account id, amazon or aws-marketplace',
        ),
    )
    .min(1)
    .optional(),
  /** Only these AMIs (`ec2:ImageID` via the image ARN). */
  imageIds: z
    .array(z.string().regex(/^ami-[0-9a-f]{8,17}$/, 'must be an AMI id'))
    .min(1)
    .optional(),
  /** Every instance requires IMDSv2 (`ec2:MetadataHttpTokens = required`). */
  requireImdsv2: z.boolean().optional(),
  /** Every volume launched is encrypted (`ec2:Encrypted = true`). */
  requireEncryptedVolumes: z.boolean().optional(),
});

export type LaunchGuardrails = z.output<typeof LaunchGuardrailsSchema>;

/**
 * What the properties alone show against the guardrails. Pure: the provider's `validate` runs it,
 * so neither the API nor the engine accepts such a spec. Images and subnets must be named in the
 * properties when a guardrail limits them: a launch template's are only known at launch.
 */
export function guardrailIssues(p: Ec2Properties, g: LaunchGuardrails): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const imageLimited = g.imageIds !== undefined || g.imageOwners !== undefined;
  if (imageLimited && p.imageId === undefined)
    issues.push({
      path: 'imageId',
      message: 'required: this controller launches only allowed images, checked before launch',
    });
  if (g.imageIds && p.imageId !== undefined && !g.imageIds.includes(p.imageId))
    issues.push({
      path: 'imageId',
      message: `${p.imageId} is not one of the images this controller may launch (${g.imageIds.join(', ')})`,
    });
  if (g.vpcIds && p.subnetIds === undefined)
    issues.push({
      path: 'subnetIds',
      message: `required: this controller launches only into subnets of ${g.vpcIds.join(', ')}`,
    });
  if (g.requireImdsv2 && p.metadataOptions.httpTokens !== 'required')
    issues.push({
      path: 'metadataOptions.httpTokens',
      message: 'must be required: this controller launches only instances that require IMDSv2',
    });
  if (g.requireEncryptedVolumes)
    for (const [i, mapping] of (p.blockDeviceMappings ?? []).entries())
      if (mapping.ebs && mapping.ebs.encrypted !== true)
        issues.push({
          path: `blockDeviceMappings.${i}.ebs.encrypted`,
          message: 'must be true: this controller launches only encrypted volumes',
        });
  return issues;
}

/**
 * What only EC2 can tell: each subnet's VPC and the image's owner, against the guardrails. Two
 * read-only calls at most, made when a spec is submitted (never on a reconcile pass).
 */
export async function remoteGuardrailIssues(
  api: Pick<Ec2Api, 'describeSubnets' | 'describeImages'>,
  p: Ec2Properties,
  g: LaunchGuardrails,
): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = [];
  if (g.vpcIds && p.subnetIds) {
    const out = await api.describeSubnets({ SubnetIds: [...p.subnetIds] }).catch((err: unknown) => {
      if (awsErrorCode(err) === 'InvalidSubnetID.NotFound') return { Subnets: [] };
      throw err;
    });
    const vpcOf = new Map((out.Subnets ?? []).map((s) => [s.SubnetId, s.VpcId]));
    for (const [i, subnet] of p.subnetIds.entries()) {
      const vpc = vpcOf.get(subnet);
      if (vpc === undefined) issues.push({ path: `subnetIds.${i}`, message: `subnet ${subnet} not found` });
      else if (!g.vpcIds.includes(vpc))
        issues.push({
          path: `subnetIds.${i}`,
          message: `subnet ${subnet} is in ${vpc}; this controller launches only into ${g.vpcIds.join(', ')}`,
        });
    }
  }
  if (g.imageOwners && p.imageId) {
    const out = await api.describeImages({ ImageIds: [p.imageId] }).catch((err: unknown) => {
      if (awsErrorCode(err) === 'InvalidAMIID.NotFound') return { Images: [] };
      throw err;
    });
    const image = out.Images?.find((i) => i.ImageId === p.imageId);
    const owners = [image?.OwnerId, image?.ImageOwnerAlias].filter((o): o is string => o !== undefined);
    if (!image) issues.push({ path: 'imageId', message: `image ${p.imageId} not found` });
    else if (!owners.some((o) => g.imageOwners?.includes(o)))
      issues.push({
        path: 'imageId',
        message: `image ${p.imageId} is owned by ${owners.join(' / ') || 'unknown'}; this controller launches only images of ${g.imageOwners.join(', ')}`,
      });
  }
  return issues;
}
