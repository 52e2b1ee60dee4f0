import * as z from 'zod';
import { ERROR_CLASSES } from '../errors.js';
import { GroupIdSchema, GroupSpecSchema } from '../spec/schema.js';

export {
  CompleteRequestSchema,
  PageQuerySchema,
  RollbackRequestSchema,
  SizeRequestSchema,
} from './requests.js';

/**
 * Request and response bodies of the HTTP API (architecture §6). Requests are validated with them; the
 * OpenAPI document is generated from them, and the tests check real responses against them. The
 * routes import the request schemas from `requests.ts`, so that the response schemas are built only
 * when the OpenAPI document is (see `openapi.ts`).
 */

/**
 * The body of `PUT /groups/{id}` (besides the InfraKit format): a spec whose `id` may be left out,
 * since the path names the group.
 */
export const PutGroupRequestSchema = GroupSpecSchema.extend({
  id: GroupIdSchema.optional().describe('Optional: the id in the path; when given, it must equal it.'),
});

export const FieldIssueSchema = z.object({ path: z.string(), message: z.string() });

export const ErrorResponseSchema = z.object({
  error: z.object({
    code: z.enum([
      'invalid-spec',
      'invalid-request',
      'not-found',
      'method-not-allowed',
      'conflict',
      'precondition-failed',
      'payload-too-large',
      'unsupported-media-type',
      'check-unavailable',
      'internal',
    ]),
    message: z.string(),
    issues: z.array(FieldIssueSchema).optional(),
  }),
});

const Lifecycle = z.enum(['active', 'destroying']);

/** `lastReconcileAt` of the status and of the list (README, "The HTTP API"). */
const LastReconcileAt = z
  .number()
  .optional()
  .describe(
    "Epoch ms at which the last reconcile pass that changed the group's recorded state planned it: a pass " +
      'that launched or terminated instances (or finished an interrupted launch or termination), or that ' +
      'changed the summary, the blocked reason, or the recorded health or retiring marks. A pass that finds ' +
      'nothing to change writes nothing (steady-state sweeps cost no writes), so this stays put while the ' +
      'group is steady: it tells when the group last changed, not when it was last checked. Absent until ' +
      'the first such pass.',
  );

export const StoredGroupSchema = z.object({
  id: GroupIdSchema,
  version: z.int().min(1),
  etag: z.string().describe('Quoted entity tag; send it back in If-Match.'),
  updatedAt: z.number().describe('Epoch ms.'),
  lifecycle: Lifecycle,
  spec: GroupSpecSchema,
});

export const InstanceStatusSchema = z.object({
  id: z.string(),
  logicalId: z.string().optional(),
  configHash: z.string(),
  state: z.enum(['pending', 'running', 'stopping', 'stopped', 'shutting-down']),
  launchedAt: z.number(),
  health: z.enum(['healthy', 'unhealthy', 'unknown']),
  healthSince: z.number(),
  protected: z.boolean(),
  details: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  tags: z
    .record(z.string(), z.string())
    .optional()
    .describe("The instance's tags as its provider reports them, the controller's own included."),
  launching: z
    .object({ until: z.number().optional().describe('The hook deadline (epoch ms), once announced.') })
    .optional()
    .describe(
      'Waiting in the launching lifecycle hook: not in service (not registered, not available) until completed or timed out.',
    ),
  targets: z
    .array(
      z.object({
        targetGroupArn: z.string(),
        state: z.enum(['initial', 'healthy', 'unhealthy', 'unused', 'draining', 'unavailable']),
        reason: z.string().optional().describe("ELBv2's reason code (Target.FailedHealthChecks, …)."),
      }),
    )
    .optional()
    .describe(
      "The instance in each of the group's target groups, as they report it now (groups with loadBalancers; a target group not listing it is left out).",
    ),
});

export const HoldSchema = z.object({
  id: z.string(),
  reason: z.enum([
    'protected',
    'max-unhealthy-percent',
    'replacement-budget',
    'rollout-halted',
    'rollout-paused',
    'canary',
    'availability',
    'ladder-exhausted',
  ]),
  detail: z.string(),
});

export const InstanceVerdictSchema = z.object({
  id: z.string(),
  condition: z.string(),
  outdated: z.boolean(),
  decision: z.string().describe('keep, terminate: <reason>, retain: <reason>, reboot, held: <reason>, going'),
  detail: z.string().optional(),
});

export const RolloutProgressSchema = z.object({
  configHash: z.string().describe('The config being rolled out.'),
  startedAt: z.number(),
  lastProgressAt: z.number().describe('The start, or when a new instance last became available.'),
  bestAvailable: z.int(),
  failedReplacements: z.int().describe('New instances in a row that never became healthy.'),
  counted: z.array(z.string()),
  provenHealthy: z.array(z.string()),
  watching: z.array(z.string()).optional().describe('New instances not yet healthy: vanishing is a failure.'),
  paused: z.literal(true).optional(),
  halted: z.string().optional().describe('Why the rollout halted.'),
});

export const GroupStatusSchema = z.object({
  lifecycle: Lifecycle,
  configHash: z
    .string()
    .describe(
      'The config hash of the current spec: an instance tagged with another one is outdated (a rolling update replaces it).',
    ),
  instances: z.array(InstanceStatusSchema),
  converged: z.boolean(),
  blocked: z.string().optional(),
  lastReconcileAt: LastReconcileAt,
  summary: z.string().optional(),
  observeError: z.string().optional().describe('Set when the instances could not be observed just now.'),
  holds: z.array(HoldSchema).describe('What the planner holds back now, and why.'),
  rollout: RolloutProgressSchema.optional().describe('The rollout under way, if any.'),
  lastRollback: z.string().optional().describe('The last automatic rollback, until another rollout starts.'),
  explain: z
    .array(InstanceVerdictSchema)
    .optional()
    .describe("With ?explain=true: the planner's reasoning per instance."),
});

export const GroupDocumentSchema = StoredGroupSchema.extend({ status: GroupStatusSchema });

/** A resource a pet keeps across replacement (a data volume, a network interface, an Elastic IP). */
export const RetainedResourceSchema = z.object({
  kind: z.string(),
  id: z.string(),
  logicalId: z.string(),
  details: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});

/** DELETE's answer: the group, and what its pets keep (default) or lose (`deleteVolumes=true`). */
export const DestroyResponseSchema = GroupDocumentSchema.extend({
  deleteVolumes: z.boolean(),
  kept: z.array(RetainedResourceSchema).optional(),
  deleting: z.array(RetainedResourceSchema).optional(),
  keptError: z.string().optional(),
});

export const GroupSummarySchema = z.object({
  id: GroupIdSchema,
  version: z.int(),
  etag: z.string(),
  updatedAt: z.number(),
  lifecycle: Lifecycle,
  provider: z.string(),
  desired: z.int().describe('size, or the number of logical IDs'),
  pets: z.boolean(),
  paused: z.boolean(),
  blocked: z.string().optional(),
  summary: z.string().optional(),
  lastReconcileAt: LastReconcileAt,
});

export const GroupListSchema = z.object({
  groups: z.array(GroupSummarySchema),
  next: z.string().optional().describe('Cursor for the next page.'),
});

export const PlanActionSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('launch'),
    count: z.int(),
    logicalIds: z.array(z.string()).optional(),
    reason: z.enum(['scale-up', 'replace', 'update', 'missing-logical-id']),
  }),
  z.object({
    kind: z.literal('terminate'),
    ids: z.array(z.string()),
    reason: z.enum([
      'scale-down',
      'duplicate-logical-id',
      'unknown-logical-id',
      'unhealthy',
      'failed',
      'outdated',
      'retiring',
    ]),
    retain: z
      .literal(true)
      .optional()
      .describe('health.retainForForensics: kept running out of the group, tagged infrakit.retained.'),
  }),
  z.object({ kind: z.literal('reboot'), ids: z.array(z.string()) }),
]);

export const PlanSchema = z.object({
  actions: z.array(PlanActionSchema),
  blocked: z.object({ reason: z.string() }).optional(),
  nextCheckAt: z.number().optional(),
  converged: z
    .boolean()
    .describe('Nothing left to do or wait for: the declared instances, on the current config, all healthy.'),
  summary: z.string(),
  notes: z.array(z.string()),
  holds: z.array(HoldSchema).describe('What the planner holds back, and why.'),
  explain: z.array(InstanceVerdictSchema).describe('The reasoning per instance, when asked for.'),
  rollout: RolloutProgressSchema.optional(),
  rollback: z.object({ failedConfigHash: z.string(), reason: z.string() }).optional(),
  remediations: z.array(z.number()).describe('Epoch ms of remediation replacements within the window.'),
  rebooted: z.record(z.string(), z.number()).describe('Instance id → when the ladder rebooted it.'),
});

export const PretendResponseSchema = z.object({
  id: GroupIdSchema,
  pretend: z.literal(true),
  spec: GroupSpecSchema,
  plan: PlanSchema,
});

export const ReconcileResultSchema = z.object({
  groupId: z.string(),
  outcome: z.enum(['acted', 'steady', 'blocked', 'busy', 'observe-failed', 'removed', 'missing', 'failed']),
  plan: PlanSchema.optional(),
  launched: z.int(),
  terminated: z.int(),
  error: z.string().optional(),
  errorClass: z
    .enum(ERROR_CLASSES)
    .optional()
    .describe('The class of the failure behind `error` (throttling, capacity, invalid-config, …).'),
});

export const ReconcileRequestedSchema = z.object({
  groupId: z.string(),
  requested: z.literal(true),
  message: z.string(),
});

export const GroupEventSchema = z.object({
  groupId: z.string(),
  at: z.number(),
  level: z.enum(['info', 'warn', 'error']),
  kind: z.string(),
  message: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
});

export const EventPageSchema = z.object({ events: z.array(GroupEventSchema), next: z.string().optional() });

export const VersionSchema = z.object({
  version: z.int(),
  etag: z.string(),
  updatedAt: z.number(),
  note: z.string().optional().describe('Why the controller wrote this version (an automatic rollback).'),
  spec: GroupSpecSchema,
});

export const HistoryPageSchema = z.object({ versions: z.array(VersionSchema), next: z.string().optional() });

export const CompleteResponseSchema = z.object({
  groupId: GroupIdSchema,
  instanceId: z.string(),
  hook: z.enum(['launching', 'terminating']),
  result: z.enum(['continue', 'abandon']),
  message: z.string(),
});

export const FreeResponseSchema = z.object({
  id: GroupIdSchema,
  freed: z.literal(true),
  message: z.string(),
});
