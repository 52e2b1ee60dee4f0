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

/** Health signals a group may listen to (`health.sources`). */
export const HEALTH_SOURCES = ['ec2-status', 'target-group'] as const;
export type HealthSource = (typeof HEALTH_SOURCES)[number];

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
  /**
   * What judges an instance unhealthy, besides the flavor: `ec2-status` (the provider's status: EC2
   * status checks, a live process) and `target-group` (the load balancers' target health, for groups with
   * `loadBalancers`). Absent: the provider's status alone.
   */
  sources: z
    .array(z.enum(HEALTH_SOURCES))
    .min(1)
    .refine((s) => new Set(s).size === s.length, 'must not repeat a source')
    .optional()
    .describe(
      'Health signals: ec2-status (the provider status: EC2 status checks, a live process) and target-group (load balancer target health). Absent: ec2-status only.',
    ),
  /**
   * At most `count` remediation replacements within any `windowSeconds`, across passes and events
   * (the plan-wide `maxUnhealthyPercent` cannot see a slow trickle of replacements). Unset: no limit.
   */
  maxReplacementsPerWindow: z
    .strictObject({
      count: z.int().min(0).max(MAX_GROUP_SIZE).describe('Remediation replacements allowed per window.'),
      windowSeconds: z
        .int()
        .min(1)
        .max(7 * DAY_SECONDS)
        .describe('The sliding window, in seconds.'),
    })
    .optional()
    .describe('At most count remediation replacements within any windowSeconds, across passes and events.'),
  /**
   * The remediation ladder, tried in order for an instance unhealthy past its timeout: `reboot`
   * (once; the timeout starts again) then `replace`. A ladder without `replace` never replaces an
   * unhealthy instance, only a failed one. @default ['replace']
   */
  remediation: z
    .array(z.enum(['reboot', 'replace']))
    .min(1)
    .max(2)
    .default(['replace'])
    .refine((steps) => new Set(steps).size === steps.length, { message: 'each step at most once' })
    .refine((steps) => steps.indexOf('replace') === -1 || steps.indexOf('replace') === steps.length - 1, {
      message: 'replace must be the last step',
    })
    .describe('Remediation ladder for an unhealthy instance, in order: reboot (once), then replace.'),
  /**
   * An instance replaced for being unhealthy or failed is kept running for forensics instead of
   * terminated: its group membership tag is removed and it is tagged `infrakit.retained`. @default false
   */
  retainForForensics: z
    .boolean()
    .default(false)
    .describe(
      'Replace unhealthy instances but keep them running, out of the group, tagged infrakit.retained.',
    ),
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
    /**
     * A rollout in which no new instance became healthy for this long halts (and rolls back with
     * `autoRollback`). @default 600
     */
    progressDeadlineSeconds: z
      .int()
      .min(1)
      .max(DAY_SECONDS)
      .default(600)
      .describe('A rollout in which no new instance became healthy for this long halts.'),
    /**
     * This many new instances in a row that never became healthy (a failed launch, an instance that
     * failed or stayed unhealthy past its timeout) halt the rollout. @default 3
     */
    maxFailedReplacements: z
      .int()
      .min(1)
      .max(MAX_GROUP_SIZE)
      .default(3)
      .describe('This many new instances in a row that never became healthy halt the rollout.'),
    /**
     * When a rollout halts, the previous version's instance and flavor become current again as a
     * new version naming the failed one. @default true
     */
    autoRollback: z
      .boolean()
      .default(true)
      .describe("When a rollout halts, restore the previous version's instance and flavor as a new version."),
    /** Stop replacing outdated instances; healing and scaling go on. @default false */
    paused: z
      .boolean()
      .default(false)
      .describe('Stop replacing outdated instances; healing and scaling go on.'),
    /**
     * Replace this many instances first and wait until they are available (healthy for
     * `minHealthySeconds`) before the rest, then in waves that double with every proven one. 0: no
     * canary, replacements go as fast as maxSurge and maxUnavailable allow. @default 0
     */
    canary: z
      .int()
      .min(0)
      .max(MAX_GROUP_SIZE)
      .default(0)
      .describe('Replace this many first and wait until they are available, then in growing waves.'),
  })
  .refine((u) => u.maxSurge > 0 || u.maxUnavailable > 0, {
    message: 'maxSurge and maxUnavailable cannot both be 0 (an update could never make progress)',
    path: ['maxSurge'],
  });

/** ELBv2 target group ARN (instance targets). */
const TARGET_GROUP_ARN =
  /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/;

export const LoadBalancersSchema = z.strictObject({
  /** Target groups every member is registered in (ELBv2, target type `instance`). */
  targetGroupArns: z
    .array(z.string().regex(TARGET_GROUP_ARN, 'must be an ELBv2 target group ARN'))
    .min(1)
    .max(5)
    .refine((a) => new Set(a).size === a.length, 'must not repeat a target group')
    .describe('ELBv2 target groups (target type instance) every member is registered in.'),
  /** The port targets are registered on; absent: the target group's own port. */
  port: z
    .int()
    .min(1)
    .max(65_535)
    .optional()
    .describe("Port to register targets on (default: the target group's)."),
  /** When a new instance is registered: once running, or once the flavor judges it healthy. @default running */
  registerWhen: z
    .enum(['running', 'healthy'])
    .default('running')
    .describe('Register a new instance once it is running, or once its flavor health is healthy.'),
});

/** One lifecycle hook: the controller waits for a completion call, or the timeout. */
export const LifecycleHookSchema = z.strictObject({
  /** How long to wait for `POST /groups/{id}/instances/{instanceId}/complete`. @default 300 */
  timeoutSeconds: z
    .int()
    .min(1)
    .max(7_200)
    .default(300)
    .describe('How long to wait for the completion call before acting on defaultResult.'),
  /** What a timeout means. @default continue */
  defaultResult: z
    .enum(['continue', 'abandon'])
    .default('continue')
    .describe('The result when nobody completes the hook in time: continue or abandon.'),
});

export const LifecycleSchema = z.strictObject({
  /**
   * Upper bound on a drain before terminate (load balancer deregistration, a process's SIGTERM
   * before SIGKILL). @default 300
   */
  drainTimeoutSeconds: z
    .int()
    .min(0)
    .max(3_600)
    .default(300)
    .describe('Longest drain before terminate (deregistration wait, SIGTERM before SIGKILL).'),
  /** Before an instance is terminated (after its deregistration starts). */
  terminating: LifecycleHookSchema.optional().describe('Hook before an instance is terminated.'),
  /**
   * After a launch, before the instance counts as in service (EC2 Auto Scaling's Pending:Wait): not
   * registered in target groups, not available for a rollout or `minHealthySeconds`, never judged
   * unhealthy. `abandon` terminates it and launches a replacement.
   */
  launching: LifecycleHookSchema.optional().describe(
    'Hook after a launch, before the instance counts as in service; abandon terminates and replaces it.',
  ),
});

/** Default drain bound when a spec has no `lifecycle`. */
export const DEFAULT_DRAIN_TIMEOUT_SECONDS = 300;

export const GroupSpecSchema = z.strictObject({
  id: GroupIdSchema,
  allocation: AllocationSchema,
  instance: InstanceSchema,
  flavor: FlavorSchema.prefault({}),
  health: HealthSchema.prefault({}),
  update: UpdateSchema.prefault({}),
  /** Load balancer target groups the members are registered in (providers that support it: ec2). */
  loadBalancers: LoadBalancersSchema.optional().describe(
    'Load balancer target groups the members are registered in (ec2).',
  ),
  /** Drain bound and lifecycle hooks. */
  lifecycle: LifecycleSchema.optional().describe(
    'Drain bound and the launching and terminating lifecycle hooks.',
  ),
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
export type LoadBalancers = z.output<typeof LoadBalancersSchema>;
export type Lifecycle = z.output<typeof LifecycleSchema>;
export type LifecycleHook = z.output<typeof LifecycleHookSchema>;
export type RemediationStep = HealthPolicy['remediation'][number];
