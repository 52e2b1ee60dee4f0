import * as z from 'zod';

/**
 * The group spec (architecture §4). Every nested object is strict: an unknown key is an error, so a typo
 * never passes silently. Provider and flavor `properties` are free-form here and validated by the
 * provider or flavor named in the spec.
 */

export const GROUP_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Logical IDs end up in tags and file names: keep them to a safe alphabet (IPv4 addresses fit). */
export const LOGICAL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const MAX_GROUP_SIZE = 10_000;
export const MAX_LOGICAL_IDS = 1_000;
const DAY_SECONDS = 86_400;

export const GroupIdSchema = z
  .string()
  .regex(GROUP_ID_PATTERN, 'must match ^[a-z0-9][a-z0-9-]{0,62}$ (lowercase letters, digits, dashes)')
  .describe('Group ID: lowercase letters, digits and dashes.');

const PropertiesSchema = z.record(z.string(), z.unknown());

export const AllocationSchema = z
  .strictObject({
    /** Cattle: how many interchangeable instances. 0 is valid. */
    size: z
      .int()
      .min(0)
      .max(MAX_GROUP_SIZE)
      .optional()
      .describe('Cattle: how many interchangeable instances (0 allowed).'),
    /** Pets: one instance per logical ID, each keeping its identity across replacement. */
    logicalIds: z
      .array(z.string().regex(LOGICAL_ID_PATTERN, 'must be 1-128 characters of A-Z a-z 0-9 . _ : -'))
      .min(1)
      .max(MAX_LOGICAL_IDS)
      .optional()
      .describe('Pets: one instance per logical ID, keeping its identity across replacement.'),
  })
  .superRefine((a, ctx) => {
    if ((a.size === undefined) === (a.logicalIds === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'exactly one of size or logicalIds is required', path: [] });
    }
    const ids = a.logicalIds ?? [];
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      if (seen.has(id))
        ctx.addIssue({ code: 'custom', message: `duplicate logical ID ${id}`, path: ['logicalIds', i] });
      seen.add(id);
    });
  });

export const InstanceSchema = z.strictObject({
  /** Name of the instance provider (`ec2`, `process`, …). */
  provider: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be a provider name such as ec2 or process')
    .describe('Instance provider: ec2, process, …'),
  /** Provider-specific properties, validated by that provider. */
  properties: PropertiesSchema.prefault({}).describe(
    'Provider-specific properties, validated by the provider.',
  ),
});

export const FlavorSchema = z.strictObject({
  /** Name of the flavor. @default vanilla */
  kind: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be a flavor name such as vanilla')
    .default('vanilla')
    .describe('Flavor: how instances are configured and judged healthy.'),
  /** Flavor-specific properties, validated by that flavor. */
  properties: PropertiesSchema.prefault({}).describe('Flavor-specific properties (vanilla: init, tags).'),
});

export const HealthSchema = z.strictObject({
  /** After launch, unknown or unhealthy does not count for this long. @default 300 */
  gracePeriodSeconds: z
    .int()
    .min(0)
    .max(DAY_SECONDS)
    .default(300)
    .describe('After launch, unknown or unhealthy does not count for this long.'),
  /** Unhealthy for this long (after the grace period) → replaced. @default 120 */
  unhealthyTimeoutSeconds: z
    .int()
    .min(0)
    .max(DAY_SECONDS)
    .default(120)
    .describe('Unhealthy this long (after the grace period): replaced.'),
  /** Above this share of unhealthy instances, remediation stops and the group reports why. @default 40 */
  maxUnhealthyPercent: z
    .int()
    .min(0)
    .max(100)
    .default(40)
    .describe('Above this share of unhealthy instances, remediation stops and the group reports why.'),
  /** Replace on an EC2 rebalance recommendation, not only on the 2-minute Spot notice. @default false */
  replaceOnRebalance: z
    .boolean()
    .default(false)
    .describe('Replace on an EC2 rebalance recommendation, not only on the 2-minute Spot notice.'),
});

export const UpdateSchema = z
  .strictObject({
    /** Instances that may be launched above the declared size during an update. @default 1 */
    maxSurge: z
      .int()
      .min(0)
      .max(MAX_GROUP_SIZE)
      .default(1)
      .describe('Instances that may be launched above the declared size during an update.'),
    /** Instances that may be missing below the declared size during an update. @default 0 */
    maxUnavailable: z
      .int()
      .min(0)
      .max(MAX_GROUP_SIZE)
      .default(0)
      .describe('Instances that may be missing below the declared size during an update.'),
    /** A new instance must stay healthy this long before the update takes its next step. @default 0 */
    minHealthySeconds: z
      .int()
      .min(0)
      .max(DAY_SECONDS)
      .default(0)
      .describe('A new instance must stay healthy this long before the update takes its next step.'),
  })
  .refine((u) => u.maxSurge > 0 || u.maxUnavailable > 0, {
    message: 'maxSurge and maxUnavailable cannot both be 0 (an update could never make progress)',
    path: ['maxSurge'],
  });

export const GroupSpecSchema = z.strictObject({
  id: GroupIdSchema,
  allocation: AllocationSchema,
  instance: InstanceSchema,
  flavor: FlavorSchema.prefault({}),
  health: HealthSchema.prefault({}),
  update: UpdateSchema.prefault({}),
  /** No actions at all while true; the plan says why. @default false */
  paused: z.boolean().default(false).describe('No actions at all while true; the plan says why.'),
});

/** A spec as users write it (defaults may be omitted). */
export type GroupSpecInput = z.input<typeof GroupSpecSchema>;
/** A validated spec with every default filled in. */
export type GroupSpec = z.output<typeof GroupSpecSchema>;
export type Allocation = GroupSpec['allocation'];
export type HealthPolicy = GroupSpec['health'];
export type UpdatePolicy = GroupSpec['update'];
