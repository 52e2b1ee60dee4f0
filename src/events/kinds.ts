import type * as z from 'zod';
import { GroupNotFoundError } from '../store/errors.js';
import { DETAIL_TYPE_RECONCILE_REQUESTED, DETAIL_TYPE_SPEC_CHANGED, EVENT_SOURCE } from './constants.js';
import type { EventDeps, EventOutcome } from './context.js';
import { groupOfInstance, reconcileNow } from './healing.js';
import { EC2_REBALANCE, REBALANCE_GRACE_MS, RebalanceDetailSchema } from './schemas/ec2-rebalance.js';
import {
  EC2_SPOT_INTERRUPTION,
  SPOT_NOTICE_MS,
  SpotInterruptionDetailSchema,
} from './schemas/ec2-spot-interruption.js';
import { EC2_STATE_CHANGE, LEAVING_STATES, StateChangeDetailSchema } from './schemas/ec2-state-change.js';
import { type Envelope, eventTime, InstanceIdSchema } from './schemas/envelope.js';
import { AWS_HEALTH_EVENT, HealthDetailSchema } from './schemas/health.js';
import { OwnEventDetailSchema } from './schemas/infrakit.js';

/** One kind of event the controller reacts to: where it comes from, its detail schema, the reaction. */
export interface EventKind<S extends z.ZodType = z.ZodType> {
  readonly source: string;
  readonly detailType: string;
  readonly detail: S;
  handle(detail: z.output<S>, envelope: Envelope, deps: EventDeps): Promise<Omit<EventOutcome, 'kind'>>;
}

function defineKind<S extends z.ZodType>(kind: EventKind<S>): EventKind {
  return kind as unknown as EventKind;
}

const ignored = (reason: string) => ({ action: 'ignored' as const, reason, groupIds: [], results: [] });
const notOurs = (instanceId: string) => ({
  action: 'not-ours' as const,
  reason: `instance ${instanceId} belongs to no group`,
  groupIds: [],
  results: [],
});

/**
 * An instance whose group record is gone: the group was freed (its instances keep running, no
 * longer managed) or removed after DELETE, while the instance index or the instance's own tag
 * still names it. Not ours any more; retrying the event would not change that.
 */
function groupGone(deps: EventDeps, groupId: string, instanceId: string) {
  logGroupGone(deps, groupId, instanceId);
  return {
    action: 'not-ours' as const,
    reason: `instance ${instanceId} was of group ${groupId}, which no longer exists`,
    groupIds: [],
    results: [],
  };
}

function logGroupGone(deps: EventDeps, groupId: string, instanceId: string): void {
  deps.log?.debug('instance of a group that no longer exists; ignored', { groupId, instanceId });
}

/**
 * Merges a retiring mark; false when the group record is gone (the store refuses to create a
 * record holding only the mark). Any other store failure propagates, so Lambda retries the event.
 */
async function markRetiring(deps: EventDeps, groupId: string, instanceId: string, deadline: number) {
  try {
    await deps.store.markRetiring(groupId, instanceId, deadline);
    return true;
  } catch (err) {
    if (err instanceof GroupNotFoundError) return false;
    throw err;
  }
}

/**
 * Marks an instance as retiring (AWS will take it at `deadline`) and reconciles its group: the
 * planner launches the replacement first within maxSurge, then the engine drains and terminates it.
 */
async function retireAndReconcile(deps: EventDeps, groupId: string, instanceId: string, deadline: number) {
  if (!(await markRetiring(deps, groupId, instanceId, deadline))) return groupGone(deps, groupId, instanceId);
  deps.log?.info('instance retiring', { groupId, instanceId, deadline: new Date(deadline).toISOString() });
  return { action: 'reconciled' as const, groupIds: [groupId], results: await reconcileNow(deps, [groupId]) };
}

const now = (deps: EventDeps) => (deps.now ?? Date.now)();

const stateChange = defineKind({
  source: 'aws.ec2',
  detailType: EC2_STATE_CHANGE,
  detail: StateChangeDetailSchema,
  async handle(detail, _envelope, deps) {
    const instanceId = detail['instance-id'];
    // pending/running need nothing: the next pass sees them. Skipped before any lookup.
    if (!LEAVING_STATES.has(detail.state)) return ignored(`state ${detail.state} needs no action`);
    const groupId = await groupOfInstance(deps, instanceId);
    if (!groupId) return notOurs(instanceId);
    deps.log?.info('instance left service', { groupId, instanceId, state: detail.state });
    return { action: 'reconciled', groupIds: [groupId], results: await reconcileNow(deps, [groupId]) };
  },
});

const spotInterruption = defineKind({
  source: 'aws.ec2',
  detailType: EC2_SPOT_INTERRUPTION,
  detail: SpotInterruptionDetailSchema,
  async handle(detail, envelope, deps) {
    const instanceId = detail['instance-id'];
    const groupId = await groupOfInstance(deps, instanceId);
    if (!groupId) return notOurs(instanceId);
    return retireAndReconcile(deps, groupId, instanceId, eventTime(envelope, now(deps)) + SPOT_NOTICE_MS);
  },
});

const rebalance = defineKind({
  source: 'aws.ec2',
  detailType: EC2_REBALANCE,
  detail: RebalanceDetailSchema,
  async handle(detail, envelope, deps) {
    const instanceId = detail['instance-id'];
    const groupId = await groupOfInstance(deps, instanceId);
    if (!groupId) return notOurs(instanceId);
    const record = await deps.store.getGroup(groupId);
    if (!record) return groupGone(deps, groupId, instanceId);
    if (!record.spec.health.replaceOnRebalance) {
      return { ...ignored(`group ${groupId} does not replace on rebalance`), groupIds: [groupId] };
    }
    return retireAndReconcile(deps, groupId, instanceId, eventTime(envelope, now(deps)) + REBALANCE_GRACE_MS);
  },
});

const healthScheduledChange = defineKind({
  source: 'aws.health',
  detailType: AWS_HEALTH_EVENT,
  detail: HealthDetailSchema,
  async handle(detail, envelope, deps) {
    if (detail.service !== 'EC2' || detail.eventTypeCategory !== 'scheduledChange') {
      return ignored(`${detail.service} ${detail.eventTypeCategory} needs no action`);
    }
    const start = detail.startTime ? Date.parse(detail.startTime) : Number.NaN;
    const deadline = Number.isFinite(start) ? start : eventTime(envelope, now(deps));
    const instanceIds = detail.affectedEntities
      .map((e) => e.entityValue)
      .filter((v) => InstanceIdSchema.safeParse(v).success);
    const groups = new Set<string>();
    for (const instanceId of new Set(instanceIds)) {
      const groupId = await groupOfInstance(deps, instanceId);
      if (!groupId) continue;
      if (await markRetiring(deps, groupId, instanceId, deadline)) groups.add(groupId);
      else logGroupGone(deps, groupId, instanceId);
    }
    if (groups.size === 0)
      return { ...notOurs(instanceIds.join(', ') || '(none)'), reason: 'no affected instance is ours' };
    const groupIds = [...groups].sort();
    deps.log?.info('scheduled change: instances retiring', {
      groupIds,
      instances: instanceIds.length,
      deadline,
    });
    return { action: 'reconciled', groupIds, results: await reconcileNow(deps, groupIds) };
  },
});

const ownEvent = (detailType: string) =>
  defineKind({
    source: EVENT_SOURCE,
    detailType,
    detail: OwnEventDetailSchema,
    async handle(detail, _envelope, deps) {
      return {
        action: 'reconciled',
        groupIds: detail.groupIds,
        results: await reconcileNow(deps, detail.groupIds, { retryRejected: detail.retryRejected === true }),
      };
    },
  });

/** Every event kind the events handler reacts to. */
export const EVENT_KINDS: readonly EventKind[] = [
  stateChange,
  spotInterruption,
  rebalance,
  healthScheduledChange,
  ownEvent(DETAIL_TYPE_SPEC_CHANGED),
  ownEvent(DETAIL_TYPE_RECONCILE_REQUESTED),
];
