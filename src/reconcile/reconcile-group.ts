/**
 * One reconcile pass over one group. The protocol, and why it is safe without a leader:
 *
 *   t0  read      now = clock(); getGroup (a sweep already has the record from listGroups)
 *   t1  observe   provider.describe by group tag, bounded by a timeout (a sweep shares one
 *                 describe per provider). Failed or late → an `observe-failed` event, nothing planned.
 *   t2  plan      open intents are read only if state.openIntents is non-empty; plan(input, now).
 *                 Nothing to do and no state change → return 'steady'/'blocked' with ZERO writes.
 *                 Nothing to do but new state (a summary, health dates) → ONE conditional write of
 *                 it from this observation (no lease, no second describe), valid only while the
 *                 record is as read at t0 and nobody holds the lease; else on to t3.
 *   t3  lease     acquireLease (conditional write with expiry). Another holder → 'busy'.
 *   t4  re-check  under the lease: re-read the record, re-observe the group alone, reload the open
 *                 intents and re-plan: the world may have moved since t1.
 *   t5  resume    open intents first (crash recovery): a launch counts instances tagged with its
 *                 token and launches only the remainder with the same token; a termination
 *                 re-destroys the ids still observed.
 *   t6  act       per action: putIntent → provider call → updateIntent/indexInstances →
 *                 completeIntent, renewing the lease when a third of its TTL has gone.
 *   t7  record    updateState (summary, blocked, healthSince, retiring, nextCheckAt) → events →
 *                 releaseLease. A destroying group with nothing left is deleted instead ('removed').
 *
 * A crash anywhere leaves at worst an open intent and a lease that expires (architecture §5.7); every
 * write after t3 is fenced by the lease token, so a pass whose lease was taken over stops at its
 * next write (`LeaseLostError` → 'busy').
 */
import { messageOf } from '../errors.js';
import type { Health } from '../flavors/types.js';
import { plan } from '../plan/index.js';
import type { Plan, PlanAction } from '../plan/types.js';
import type { InstanceDescription } from '../providers/types.js';
import { GroupNotFoundError, LeaseLostError, VersionConflictError } from '../store/errors.js';
import type { GroupEvent, GroupRecord, Intent } from '../store/types.js';
import {
  type ActingPass,
  releasedAll,
  repairDrift,
  resumeIntent,
  runAction,
  type StepResult,
} from './act.js';
import type { EngineContext } from './context.js';
import { LeaseKeeper } from './lease.js';
import { type Observation, observeGroup } from './observe.js';
import { groupPlaces } from './places.js';
import { judgeHealth, type PreparedInput, preparePlanInput } from './plan-input.js';
import {
  formerMembers,
  hasDrift,
  missingTargetGroups,
  NO_TARGETS,
  observeTargets,
  type RegistrationDrift,
  registrationDrift,
  type TargetView,
  targetsByInstance,
  withTargetHealth,
} from './registration.js';
import { settleRollout } from './rollout.js';
import {
  desiredState,
  rejectedConfigHash,
  type StatePatch,
  stateChanged,
  toStorePatch,
} from './state-patch.js';
import { plannedStatus, unplannedStatus } from './status.js';
import { type GroupTarget, resolveTarget } from './target.js';
import type { ReconcileOptions, ReconcileResult } from './types.js';

/** The plan of one group with what the engine derives from it. */
export interface Decision {
  readonly prepared: PreparedInput;
  readonly plan: Plan;
  /** The plan's actions, or none while the provider's rejection of this config stands. */
  readonly actions: readonly PlanAction[];
  /** A standing rejection of the current config hash (see `state-patch.ts`). */
  readonly rejection: string | undefined;
  readonly desired: StatePatch;
}

/** Plans one group from an observation (pure apart from the flavor's health). */
export function decide(
  target: GroupTarget,
  record: GroupRecord,
  instances: readonly InstanceDescription[],
  intents: readonly Intent[],
  now: number,
  retryRejected = false,
  judged?: ReadonlyMap<string, Health>,
): Decision {
  const prepared = preparePlanInput(target, instances, intents, record.state, now, judged);
  const planned = plan(prepared.input, now);
  const standing =
    !target.destroying && !retryRejected && rejectedConfigHash(record.state.blocked) === target.configHash
      ? record.state.blocked
      : undefined;
  return {
    prepared,
    plan: planned,
    actions: standing ? [] : planned.actions,
    rejection: standing,
    desired: desiredState(prepared, planned, standing, record.state.memory),
  };
}

/**
 * Instances whose registration drift repair leaves alone: those an open intent or this plan
 * terminates (their drain owns their deregistration), and those waiting in the `launching` hook
 * (registered once it is over).
 */
function notRegistrable(intents: readonly Intent[], decision: Decision): Set<string> {
  const ids = new Set<string>();
  for (const i of decision.prepared.observed) if (i.launching) ids.add(i.id);
  for (const intent of intents) if (intent.kind === 'terminate') for (const i of intent.ids ?? []) ids.add(i);
  for (const action of decision.actions)
    if (action.kind === 'terminate') for (const i of action.ids) ids.add(i);
  return ids;
}

const NO_DRIFT: RegistrationDrift = { register: new Map(), deregister: new Map() };

/**
 * The registration drift of a group (see `registration.ts`): its members against the target groups,
 * and the non-members whose tags prove they left it (`formerMembers`, read-only). `error`: the
 * non-members could not be looked up (their drift waits for the next pass).
 */
async function driftOf(
  ctx: EngineContext,
  target: GroupTarget,
  members: readonly InstanceDescription[],
  judgedAs: readonly InstanceDescription[],
  view: TargetView,
  intents: readonly Intent[],
  decision: Decision,
  judged: ReadonlyMap<string, Health> | undefined,
  signal: AbortSignal | undefined,
): Promise<{ drift: RegistrationDrift; error?: string }> {
  const former = await formerMembers(target, members, view, ctx.foreignTargets, signal);
  const drift = registrationDrift(
    target,
    judgedAs,
    view,
    notRegistrable(intents, decision),
    (i) => healthOf(target, judged, i),
    former.ids,
  );
  return former.error ? { drift, error: former.error } : { drift };
}

/** The flavor's verdict on one instance (asynchronous verdicts when the flavor gave them). */
function healthOf(
  target: GroupTarget,
  judged: ReadonlyMap<string, Health> | undefined,
  instance: InstanceDescription,
): Health {
  return judged?.get(instance.id) ?? target.flavor.health(target.flavorProperties, instance);
}

function result(groupId: string, outcome: ReconcileResult['outcome'], extra: Partial<ReconcileResult> = {}) {
  return { groupId, outcome, launched: 0, terminated: 0, ...extra } satisfies ReconcileResult;
}

function event(
  groupId: string,
  at: number,
  level: GroupEvent['level'],
  kind: string,
  message: string,
): GroupEvent {
  return { groupId, at, level, kind, message };
}

/** The flavor's asynchronous verdicts, or why they could not be had (planned as a failed observation). */
export async function judgeOrReason(
  target: GroupTarget,
  instances: readonly InstanceDescription[],
  signal?: AbortSignal,
): Promise<ReadonlyMap<string, Health> | undefined | string> {
  try {
    return await judgeHealth(target, instances, signal);
  } catch (err) {
    return `flavor ${target.flavor.kind} health failed: ${messageOf(err)}`;
  }
}

/** An unchanged `observe-failed` reason is written again only after this long. */
export const OBSERVE_FAILED_REPEAT_MS = 5 * 60_000;

/**
 * Records that a group could not be observed. During a provider outage every sweep fails every
 * group; one event per group per sweep would be a write storm, so an engine repeats an unchanged
 * reason only every OBSERVE_FAILED_REPEAT_MS (the result and the metrics still count each pass).
 */
async function observeFailed(ctx: EngineContext, groupId: string, reason: string): Promise<ReconcileResult> {
  const now = ctx.now();
  const last = ctx.observeFailures.get(groupId);
  if (!last || last.reason !== reason || now - last.at >= OBSERVE_FAILED_REPEAT_MS) {
    ctx.step('append-events', groupId);
    await ctx.store.appendEvents([
      event(groupId, now, 'warn', 'observe-failed', `${reason}: nothing planned this pass`),
    ]);
    ctx.observeFailures.set(groupId, { reason, at: now });
  }
  return result(groupId, 'observe-failed', { error: reason });
}

/**
 * Reconciles one group from its record. `observation` is the sweep's shared read of the
 * provider; without it the group is observed alone.
 */
export async function reconcileRecord(
  ctx: EngineContext,
  record: GroupRecord,
  observation?: Observation,
): Promise<ReconcileResult> {
  const id = record.id;
  const now = ctx.now();
  const resolved = resolveTarget(ctx, record.spec, record.lifecycle === 'destroying');
  if (!resolved.ok) return blockUnresolved(ctx, record, resolved.reason);
  const { target } = resolved;
  ctx.step('observe', id);
  const seen =
    observation ??
    (await observeGroup(
      target.provider,
      target.owner,
      ctx.describeTimeoutMs,
      [ctx.signal],
      await groupPlaces(ctx, record, target.provider),
    ));
  if (!seen.ok) return observeFailed(ctx, id, seen.reason);
  ctx.observeFailures.delete(id);
  let intents: readonly Intent[] = [];
  if (record.state.openIntents.length > 0) {
    ctx.step('load-intents', id);
    intents = await ctx.store.listOpenIntents(id);
  }
  // Open intents send the pass under the lease whatever the target groups say: read them there, once.
  const targets = intents.length > 0 ? NO_TARGETS : await observeTargets(target, ctx.signal);
  if (!targets.ok) return observeFailed(ctx, id, targets.reason);
  const instances = withTargetHealth(target, seen.instances, targets.view);
  const judged = await judgeOrReason(target, instances, ctx.signal);
  if (typeof judged === 'string') return observeFailed(ctx, id, judged);
  ctx.step('plan', id);
  const decision = decide(target, record, instances, intents, now, false, judged);
  const removable = target.destroying && seen.instances.length === 0;
  // Read-only: drift (a former member still registered included) sends the pass under the lease.
  const { drift } = target.destroying
    ? { drift: NO_DRIFT }
    : await driftOf(
        ctx,
        target,
        seen.instances,
        instances,
        targets.view,
        intents,
        decision,
        judged,
        ctx.signal,
      );
  // A rollback is a spec write: it is made under the lease, like any action.
  const rollingBack =
    decision.plan.rollback !== undefined &&
    record.state.memory?.rollbackAttempted !== decision.plan.rollback.failedConfigHash;
  const quiet =
    decision.actions.length === 0 &&
    record.state.openIntents.length === 0 &&
    !removable &&
    !hasDrift(drift) &&
    !rollingBack;
  const settled = result(id, decision.desired.blocked ? 'blocked' : 'steady', {
    plan: decision.plan,
    status: plannedStatus(record, decision, instances, undefined, targetsByInstance(targets.view)),
  });
  // Steady state: nothing to do and nothing new to say, so nothing is written at all.
  if (quiet && !stateChanged(record.state, decision.desired)) return settled;
  if (quiet) {
    // Only the record changes: no provider call, so no lease to hold over time and no second
    // describe (a sweep of many groups would otherwise describe each one again, alone).
    ctx.step('record-state', id);
    const patch = { ...toStorePatch(record.state, decision.desired), lastReconcileAt: now };
    const read = { version: record.version, revision: record.state.revision };
    if (await ctx.store.recordState(id, read, patch, now)) return settled;
  }
  return underLease(ctx, id);
}

/** t3-t7: everything that writes, under the group's lease. */
export async function underLease(
  ctx: EngineContext,
  id: string,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  ctx.step('acquire-lease', id);
  let lease: Awaited<ReturnType<typeof ctx.store.acquireLease>>;
  try {
    lease = await ctx.store.acquireLease(id, ctx.owner, ctx.leaseTtlMs, ctx.now());
  } catch (err) {
    if (err instanceof GroupNotFoundError) return result(id, 'missing');
    throw err;
  }
  if (!lease) return result(id, 'busy');
  const keeper = new LeaseKeeper(ctx, id, lease);
  const events: GroupEvent[] = [];
  try {
    return await actHolding(ctx, id, keeper, events, options);
  } catch (err) {
    if (!(err instanceof LeaseLostError)) throw err;
    // Someone else holds the group now: stop at once (whatever is in flight too), keep what we did on record.
    keeper.end(err);
    await ctx.store.appendEvents(events).catch(() => undefined);
    return result(id, 'busy', { error: err.message });
  } finally {
    // Nothing the pass started outlives it.
    keeper.end();
  }
}

async function actHolding(
  ctx: EngineContext,
  id: string,
  keeper: LeaseKeeper,
  events: GroupEvent[],
  options: ReconcileOptions,
): Promise<ReconcileResult> {
  const { store } = ctx;
  ctx.step('reread', id);
  const record = await store.getGroup(id);
  if (!record) return result(id, 'missing');
  const resolved = resolveTarget(ctx, record.spec, record.lifecycle === 'destroying');
  if (!resolved.ok) return finishBlocked(ctx, record, keeper, resolved.reason);
  const { target } = resolved;
  await keeper.keep();
  ctx.step('reobserve', id);
  // Taken before the describe starts: what it does not show had not landed by then.
  const observedAt = ctx.now();
  const places = await groupPlaces(ctx, record, target.provider);
  const seen = await observeGroup(
    target.provider,
    target.owner,
    ctx.describeTimeoutMs,
    [keeper.signal, ctx.signal],
    places,
  );
  if (!seen.ok) {
    ctx.step('release-lease', id);
    await store.releaseLease(id, keeper.current);
    return observeFailed(ctx, id, seen.reason);
  }
  // Always reload intents here: this read is cheap next to the writes that follow.
  ctx.step('load-intents', id);
  const intents = [...(await store.listOpenIntents(id))].sort((a, b) => a.createdAt - b.createdAt);
  if (record.state.openIntents.some((token) => !intents.some((i) => i.token === token))) {
    // A crash inside putIntent can leave a token without an intent item (nothing was acted on):
    // drop such tokens so later steady-state sweeps need not look for intents again.
    ctx.step('prune-intents', id);
    await store.updateState(id, keeper.current, { openIntents: intents.map((i) => i.token) });
  }
  const targets = await observeTargets(target, keeper.signal);
  const instances = targets.ok ? withTargetHealth(target, seen.instances, targets.view) : seen.instances;
  const judged = targets.ok ? await judgeOrReason(target, instances, keeper.signal) : targets.reason;
  if (typeof judged === 'string') {
    ctx.step('release-lease', id);
    await store.releaseLease(id, keeper.current);
    return observeFailed(ctx, id, judged);
  }
  const now = ctx.now();
  const decision = decide(target, record, instances, intents, now, options.retryRejected, judged);

  const pass: ActingPass = {
    ctx,
    target,
    keeper,
    instances: seen.instances,
    observedAt,
    ...(places ? { places } : {}),
    retiring: record.state.retiring,
    ...(targets.ok ? { targetView: targets.view } : {}),
    lifecycleDone: record.state.lifecycleDone,
    terminating: new Set(intents.flatMap((i) => (i.kind === 'terminate' ? (i.ids ?? []) : []))),
    events,
    launched: 0,
    terminated: 0,
    failedLaunches: 0,
    launchedCurrent: [],
    abandoned: [],
  };
  let next: StepResult = 'continue';
  for (const intent of intents) {
    next = await resumeIntent(pass, intent);
    if (next === 'stop') break;
  }
  if (next === 'continue') {
    for (const action of decision.actions) {
      next = await runAction(pass, action);
      if (next === 'stop') break;
    }
  }
  let repaired = false;
  if (targets.ok && targets.missing.length > 0)
    events.push(event(id, now, 'warn', 'target-group-missing', missingTargetGroups(targets.missing)));
  if (targets.ok && !target.destroying) {
    await keeper.keep();
    const { drift, error } = await driftOf(
      ctx,
      target,
      seen.instances,
      instances,
      targets.view,
      intents,
      decision,
      judged,
      keeper.signal,
    );
    if (error) events.push(event(id, now, 'warn', 'register-failed', `${error}; retrying next pass`));
    if (hasDrift(drift)) repaired = await repairDrift(pass, drift);
  }

  const emptied = target.destroying && seen.instances.length === 0 && intents.length === 0;
  if (emptied && (!record.deleteVolumes || (await releasedAll(pass)))) {
    ctx.step('delete-group', id);
    try {
      await store.deleteGroup(id, record.version);
      events.push(event(id, now, 'info', 'removed', 'group destroyed: no instances left'));
      ctx.step('append-events', id);
      await store.appendEvents(events);
      return result(id, 'removed', { plan: decision.plan });
    } catch (err) {
      // The spec was replaced meanwhile (a re-create): it is no longer ours to remove.
      if (!(err instanceof VersionConflictError)) throw err;
    }
  }

  const acted = intents.length > 0 || decision.actions.length > 0;
  const desired = await settleRollout(
    ctx,
    record,
    target,
    desiredState(decision.prepared, decision.plan, pass.rejection ?? decision.rejection, record.state.memory),
    pass,
    now,
  );
  if (acted || stateChanged(record.state, desired)) {
    await keeper.keep();
    ctx.step('update-state', id);
    await store.updateState(id, keeper.current, {
      ...toStorePatch(record.state, desired),
      lastReconcileAt: now,
    });
  }
  if (events.length > 0) {
    ctx.step('append-events', id);
    await store.appendEvents(events);
  }
  ctx.step('release-lease', id);
  await store.releaseLease(id, keeper.current);
  const outcome = acted || repaired ? 'acted' : desired.blocked ? 'blocked' : 'steady';
  return result(id, outcome, {
    plan: decision.plan,
    launched: pass.launched,
    terminated: pass.terminated,
    ...(pass.errorClass ? { errorClass: pass.errorClass } : {}),
  });
}

/** The spec names an unknown provider or flavor, or invalid properties: block with the reason. */
async function blockUnresolved(
  ctx: EngineContext,
  record: GroupRecord,
  reason: string,
): Promise<ReconcileResult> {
  if (record.state.blocked === reason)
    return result(record.id, 'blocked', { status: unplannedStatus(record, reason) });
  ctx.step('acquire-lease', record.id);
  const lease = await ctx.store.acquireLease(record.id, ctx.owner, ctx.leaseTtlMs, ctx.now());
  if (!lease) return result(record.id, 'busy');
  try {
    return await finishBlocked(ctx, record, new LeaseKeeper(ctx, record.id, lease), reason);
  } catch (err) {
    if (err instanceof LeaseLostError) return result(record.id, 'busy', { error: err.message });
    throw err;
  }
}

async function finishBlocked(
  ctx: EngineContext,
  record: GroupRecord,
  keeper: LeaseKeeper,
  reason: string,
): Promise<ReconcileResult> {
  const id = record.id;
  if (record.state.blocked !== reason) {
    ctx.step('update-state', id);
    await ctx.store.updateState(id, keeper.current, {
      blocked: reason,
      lastSummary: reason,
      lastReconcileAt: ctx.now(),
    });
    ctx.step('append-events', id);
    await ctx.store.appendEvents([event(id, ctx.now(), 'error', 'blocked', reason)]);
  }
  ctx.step('release-lease', id);
  await ctx.store.releaseLease(id, keeper.current);
  return result(id, 'blocked', { status: unplannedStatus(record, reason) });
}
