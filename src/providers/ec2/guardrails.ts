import * as z from 'zod';

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
