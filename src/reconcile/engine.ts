import { plan, refusedPlan } from '../plan/index.js';
import type { Plan } from '../plan/types.js';
import type { GroupSpec } from '../spec/schema.js';
import type { GroupRecord, GroupState, Intent } from '../store/types.js';
import { type EngineContext, engineContext } from './context.js';
import { guardedPass } from './guard.js';
import { observeGroup } from './observe.js';
import { groupPlaces } from './places.js';
import { decide, judgeOrReason, reconcileRecord, underLease } from './reconcile-group.js';
import { NO_TARGETS, observeTargets, targetsByInstance, withTargetHealth } from './registration.js';
import { plannedStatus, unplannedStatus } from './status.js';
import { sweepGroups } from './sweep.js';
import { resolveTarget } from './target.js';
import type { Engine, EngineDeps, GroupStatus } from './types.js';

const NO_TARGETS_VIEW = NO_TARGETS.ok ? NO_TARGETS.view : new Map();

const EMPTY_STATE: GroupState = {
  revision: 0,
  openIntents: [],
  healthSince: {},
  retiring: {},
  lifecycleDone: {},
};

async function observeAndPlan(ctx: EngineContext, record: GroupRecord) {
  const resolved = resolveTarget(ctx, record.spec, record.lifecycle === 'destroying');
  if (!resolved.ok) return { ok: false as const, reason: resolved.reason };
  const { provider, owner } = resolved.target;
  const places = await groupPlaces(ctx, record, provider);
  const seen = await observeGroup(provider, owner, ctx.describeTimeoutMs, [ctx.signal], places);
  if (!seen.ok) return { ok: false as const, reason: seen.reason };
  const intents: readonly Intent[] =
    record.state.openIntents.length > 0 ? await ctx.store.listOpenIntents(record.id) : [];
  // The target groups as a pass reads them (one DescribeTargetHealth each; none without
  // loadBalancers): target health judges as it does in a pass, and the status shows it per member.
  // Unreadable, the status goes on without it.
  const targets = await observeTargets(resolved.target, ctx.signal);
  const view = targets.ok ? targets.view : NO_TARGETS_VIEW;
  const instances = withTargetHealth(resolved.target, seen.instances, view);
  const judged = await judgeOrReason(resolved.target, instances, ctx.signal);
  if (typeof judged === 'string') return { ok: false as const, reason: judged };
  const decision = decide(resolved.target, record, instances, intents, ctx.now(), false, judged);
  return { ok: true as const, decision, instances: seen.instances, targets: targetsByInstance(view) };
}

/**
 * The deployed API function observes and plans (status, pretend) but never acts: it asks the
 * reconcilers by event. Its bundle is built with `INFRAKIT_HANDLER=api` (`infra/lib/bundling.ts`),
 * so this refusal replaces the acting half of the engine there and the bundle leaves it out.
 */
async function observeOnly(): Promise<never> {
  throw new Error('the API function does not reconcile: it asks the reconcilers by event');
}

/** Builds the leaderless reconcile engine over the given store, providers and flavors. */
export function createEngine(deps: EngineDeps): Engine {
  const ctx = engineContext(deps);
  return {
    reconcileGroup:
      process.env.INFRAKIT_HANDLER === 'api'
        ? observeOnly
        : (id, options = {}) =>
            guardedPass(id, async () => {
              if (options.urgent || options.retryRejected) return underLease(ctx, id, options);
              ctx.step('read', id);
              const record = await ctx.store.getGroup(id);
              if (!record) return { groupId: id, outcome: 'missing', launched: 0, terminated: 0 };
              return reconcileRecord(ctx, record);
            }),
    sweep: process.env.INFRAKIT_HANDLER === 'api' ? observeOnly : (options = {}) => sweepGroups(ctx, options),

    async pretend(spec: GroupSpec): Promise<Plan> {
      const stored = await ctx.store.getGroup(spec.id);
      const record: GroupRecord = {
        id: spec.id,
        spec,
        version: stored?.version ?? 0,
        etag: stored?.etag ?? '',
        updatedAt: stored?.updatedAt ?? ctx.now(),
        lifecycle: 'active',
        state: stored?.state ?? EMPTY_STATE,
      };
      const planned = await observeAndPlan(ctx, record);
      if (!planned.ok) return refusedPlan(planned.reason);
      return planned.decision.plan;
    },

    async status(id, options = {}): Promise<GroupStatus | undefined> {
      const record = await ctx.store.getGroup(id);
      if (!record) return undefined;
      const planned = await observeAndPlan(ctx, record);
      if (!planned.ok) return unplannedStatus(record, planned.reason);
      const { decision, instances, targets } = planned;
      // The reasoning is only worked out when asked for: the same plan, with its explanation.
      const explained = options.explain
        ? plan({ ...decision.prepared.input, explain: true }, ctx.now())
        : undefined;
      return plannedStatus(record, decision, instances, explained?.explain, targets);
    },
  };
}
