import { launchRequestOf } from '../admission/launch-request.js';
import {
  classifyError,
  type ErrorClass,
  InsufficientCapacityError,
  InvalidConfigurationError,
  messageOf,
  NotOwnedError,
  ThrottledError,
} from '../errors.js';
import type { PlanAction } from '../plan/types.js';
import type { InstanceDescription } from '../providers/types.js';
import { LeaseLostError } from '../store/errors.js';
import type {
  GroupEvent,
  GroupEventLevel,
  Intent,
  LifecycleHookName,
  LifecycleResult,
} from '../store/types.js';
import { TAG_CONTROLLER, TAG_INTENT } from '../tags.js';
import type { EngineContext } from './context.js';
import { announceFailure, deregisterTargets, drainOver, drains, planDrain, viewTargets } from './drain.js';
import { PassAbandonedError } from './errors.js';
import { launchResults, launchWaits } from './launching.js';
import type { LeaseKeeper } from './lease.js';
import { describeWithTimeout } from './observe.js';
import { remainderOf } from './plan-input.js';
import {
  hasDrift,
  type RegistrationDrift,
  registrationDrift,
  repairRegistration,
  type TargetView,
} from './registration.js';
import { configRejection } from './state-patch.js';
import type { GroupTarget } from './target.js';
import { withTimeout } from './timeout.js';
import { newToken } from './token.js';

/** One pass acting on one group under its lease. */
export interface ActingPass {
  readonly ctx: EngineContext;
  readonly target: GroupTarget;
  readonly keeper: LeaseKeeper;
  /** The group as observed under the lease. */
  readonly instances: readonly InstanceDescription[];
  /** The clock when that observation began: it shows nothing that landed later. */
  readonly observedAt: number;
  /** Where the group may have instances, for a provider with places (`places.ts`). */
  readonly places?: readonly string[];
  /** The group record's retiring marks (instance id → deadline) and lifecycle results, as re-read. */
  readonly retiring: Readonly<Record<string, number>>;
  readonly lifecycleDone: Readonly<Record<string, LifecycleResult>>;
  /** Ids an open terminate intent covers (at the start of the pass, and those this pass wrote). */
  readonly terminating: Set<string>;
  /** The target groups as read under the lease in this pass (groups with load balancers). */
  readonly targetView?: TargetView;
  readonly events: GroupEvent[];
  launched: number;
  terminated: number;
  /** Set when the provider rejected the configuration in this pass. */
  rejection?: string;
  /**
   * Instances of the current config this pass failed to launch (the provider refused, the call
   * failed): each is a failed replacement of a rollout. Capacity and throttling do not count:
   * they say nothing about the config.
   */
  failedLaunches: number;
  /** Instances of the current config launched this pass: watched until they prove healthy. */
  readonly launchedCurrent: string[];
  /** Instances of the current config whose launching hook was abandoned this pass (failed launches). */
  readonly abandoned: string[];
  /** The class of the first provider error of this pass, for metrics. */
  errorClass?: ErrorClass;
}

/** Whether the pass may go on with its next action. */
export type StepResult = 'continue' | 'stop';

function record(
  pass: ActingPass,
  level: GroupEventLevel,
  kind: string,
  message: string,
  data?: object,
): void {
  pass.events.push({
    groupId: pass.target.groupId,
    at: pass.ctx.now(),
    level,
    kind,
    message,
    ...(data ? { data: { ...data } } : {}),
  });
}

/** Runs a store or provider step: renews the lease if due, then lets the fault hook interfere. */
async function step(pass: ActingPass, name: string): Promise<void> {
  await pass.keeper.keep();
  pass.ctx.step(name, pass.target.groupId);
}

/**
 * Reacts to a provider error by its class. Returns whether the intent is finished with (`true`) or
 * must stay open so the next pass retries it (`false`).
 */
function onProviderError(pass: ActingPass, intent: Intent, err: unknown): boolean {
  const what = `${intent.kind} ${intent.token}`;
  pass.errorClass ??= classifyError(err);
  if (err instanceof InvalidConfigurationError) {
    // Blocked until the spec changes: relaunching the same configuration would only fail again.
    pass.rejection = configRejection(pass.target.configHash, err.message);
    record(pass, 'error', 'blocked', pass.rejection);
    return true;
  }
  if (err instanceof InsufficientCapacityError) {
    record(pass, 'warn', 'capacity', `${what}: ${err.message}; retrying next pass`);
    return true;
  }
  if (err instanceof ThrottledError) {
    record(pass, 'warn', 'throttled', `${what}: ${err.message}; retrying next pass`);
    // A launch is re-planned from what is observed; a termination is re-issued as is.
    return intent.kind === 'launch';
  }
  if (err instanceof NotOwnedError) {
    record(pass, 'error', 'not-owned', `${what}: ${err.message}`);
    return true;
  }
  record(pass, 'error', `${intent.kind}-failed`, `${what}: ${messageOf(err)}; the intent stays open`);
  return false;
}

async function complete(pass: ActingPass, intent: Intent): Promise<void> {
  await step(pass, 'complete-intent');
  await pass.ctx.store.completeIntent(intent, pass.keeper.current, pass.ctx.now());
}

/** The launch requests of an intent, prepared by the flavor (asynchronously when it must ask a plugin). */
function launchRequests(pass: ActingPass, intent: Intent, count: number, logicalIds?: readonly string[]) {
  const { target } = pass;
  const configHash = intent.configHash ?? target.configHash;
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      launchRequestOf(
        target.flavor,
        target.flavorProperties,
        target.spec.allocation,
        { ...target.owner, configHash, token: intent.token, logicalId: logicalIds?.[index] },
        index,
        pass.keeper.signal,
      ),
    ),
  );
}

/**
 * Completes a launch intent once every instance it launched is visible to `describe` and holds
 * what the provider attaches after launch. Real EC2 is eventually consistent: an instance may be
 * missing from DescribeInstances for a few seconds after RunInstances. Until it shows up the intent
 * stays open, so its instances keep counting as pending and are never launched twice; after
 * `launchSettleMs` an invisible instance is taken as lost. A provider that attaches resources once
 * an instance runs (a pet's volumes on EC2) keeps the intent open until it is done: the attachment
 * is part of the launch, and a crash before it is finished by the next pass.
 */
async function finishLaunch(pass: ActingPass, intent: Intent, launchedIds: readonly string[]): Promise<void> {
  const { target } = pass;
  if (launchedIds.length > 0) {
    await step(pass, 'verify-launch');
    const seen = await describeWithTimeout(
      target.provider,
      {
        tags: { [TAG_CONTROLLER]: target.owner.controllerId, [TAG_INTENT]: intent.token },
        ...(pass.places ? { places: pass.places } : {}),
      },
      pass.ctx.describeTimeoutMs,
      passSignals(pass),
    );
    // A failed look proves nothing: the intent stays open for the next pass.
    if (!seen.ok) return;
    const visible = new Set(seen.instances.map((i) => i.id));
    if (!launchedIds.every((id) => visible.has(id))) {
      record(
        pass,
        'info',
        'launch-settling',
        `launch ${intent.token}: waiting for new instances to be visible`,
      );
      return;
    }
    if (!(await attached(pass, intent, seen.instances))) return;
    const inService = await launchingOver(pass, intent, seen.instances);
    if (!inService) return;
    await registerLaunched(pass, inService);
  }
  await complete(pass, intent);
}

/**
 * The `launching` hook of a launch's visible instances (see `launching.ts`): announces it on the
 * first pass, then says which instances go into service once every one is answered or timed out
 * (the abandoned ones are terminated here). Undefined: the intent stays open, the wait goes on.
 */
async function launchingOver(
  pass: ActingPass,
  intent: Intent,
  instances: readonly InstanceDescription[],
): Promise<readonly InstanceDescription[] | undefined> {
  const { ctx, target } = pass;
  const hook = target.spec.lifecycle?.launching;
  if (!launchWaits(target, intent) || instances.length === 0) return instances;
  const ids = instances.map((i) => i.id);
  if (intent.launchingUntil === undefined) {
    if (!hook) return instances;
    const until = ctx.now() + hook.timeoutSeconds * 1000;
    for (const id of ids) await announce(pass, 'launching', id, intent.reason, until, hook.defaultResult);
    await step(pass, 'record-launching');
    await ctx.store.updateIntent(
      intent,
      { launching: { until, defaultResult: hook.defaultResult } },
      pass.keeper.current,
    );
    return undefined;
  }
  const results = launchResults(intent, ids, pass.lifecycleDone, ctx.now());
  if (!results) return undefined;
  // Written once: a crash after the terminate intent and before this launch completed left it open.
  const abandoned = results.abandoned.filter((id) => !pass.terminating.has(id));
  if (abandoned.length > 0) {
    record(pass, 'warn', 'launch-abandoned', `launching hook abandoned: ${abandoned.join(', ')}; replaced`, {
      ids: abandoned,
      token: intent.token,
    });
    const next = await runAction(pass, { kind: 'terminate', reason: 'launch-abandoned', ids: abandoned });
    // Each under a terminate intent is a failed replacement, counted here once (no longer watched).
    const written = abandoned.filter((id) => pass.terminating.has(id));
    pass.failedLaunches += written.length;
    pass.abandoned.push(...written);
    // The launch stays open until every abandoned instance is under a terminate intent.
    if (next === 'stop') return undefined;
  }
  const continued = new Set(results.continued);
  return instances.filter((i) => continued.has(i.id));
}

/** The provider's `attach` for a launch's instances: whether the intent may be completed. */
async function attached(
  pass: ActingPass,
  intent: Intent,
  instances: readonly InstanceDescription[],
): Promise<boolean> {
  const { target } = pass;
  const attach = target.provider.attach?.bind(target.provider);
  if (!attach || instances.length === 0) return true;
  await step(pass, 'attach');
  let result: Awaited<ReturnType<typeof attach>>;
  try {
    result = await withCallTimeout(pass, 'attach', (signal) =>
      attach(target.providerProperties, instances, target.owner, { signal }),
    );
  } catch (err) {
    if (err instanceof PassAbandonedError || err instanceof LeaseLostError) throw err;
    // The intent stays open whatever went wrong: an instance must not be left without its volumes.
    pass.errorClass ??= classifyError(err);
    if (err instanceof InvalidConfigurationError)
      pass.rejection = configRejection(target.configHash, err.message);
    record(
      pass,
      'error',
      'attach-failed',
      `launch ${intent.token}: ${messageOf(err)}; the intent stays open`,
    );
    return false;
  }
  if (!result.done)
    record(pass, 'info', 'attach-waiting', `launch ${intent.token}: ${result.waiting.join('; ')}`);
  return result.done;
}

/**
 * The provider's `release` after a pet group's termination: the resources of logical IDs the spec
 * no longer names go once their instances are gone, when the properties say so. Whether the
 * termination intent may be completed.
 */
async function released(pass: ActingPass, intent: Intent): Promise<boolean> {
  const { target } = pass;
  const release = target.provider.release?.bind(target.provider);
  const keep = target.spec.allocation.logicalIds;
  // A destroy keeps everything unless asked otherwise (handled when the group is removed).
  if (!release || !keep || target.destroying) return true;
  await step(pass, 'release');
  const result = await withCallTimeout(pass, 'release', (signal) =>
    release(target.providerProperties, target.owner, { keep }, { signal }),
  );
  if (result.released.length > 0)
    record(
      pass,
      'info',
      'released',
      `released ${result.released.join(', ')} (logical IDs removed from the spec)`,
    );
  if (!result.done)
    record(pass, 'info', 'release-waiting', `terminate ${intent.token}: ${result.waiting.join('; ')}`);
  return result.done;
}

/**
 * A destroy with `deleteVolumes`, once no instance is left: every logical ID's volumes, interfaces
 * and addresses go before the group record does (the record is what brings the next pass, so a
 * crash here retries). Whether the group may be removed now.
 */
export async function releasedAll(pass: ActingPass): Promise<boolean> {
  const { target } = pass;
  const release = target.provider.release?.bind(target.provider);
  if (!release) return true;
  await step(pass, 'release');
  try {
    const result = await withCallTimeout(pass, 'release', (signal) =>
      release(target.providerProperties, target.owner, { keep: [], all: true }, { signal }),
    );
    if (result.released.length > 0)
      record(pass, 'info', 'released', `released ${result.released.join(', ')} (deleteVolumes)`);
    if (!result.done) record(pass, 'info', 'release-waiting', result.waiting.join('; '));
    return result.done;
  } catch (err) {
    if (err instanceof PassAbandonedError || err instanceof LeaseLostError) throw err;
    pass.errorClass ??= classifyError(err);
    record(pass, 'error', 'release-failed', `${messageOf(err)}; retrying next pass`);
    return false;
  }
}

/**
 * Registration at launch: the new instances that are eligible already (running; healthy with
 * `registerWhen: healthy`) go into the target groups before their launch intent completes. The
 * others, and any a crash left out, are registration drift for a later pass.
 */
async function registerLaunched(pass: ActingPass, launched: readonly InstanceDescription[]): Promise<void> {
  const { target } = pass;
  const arns = target.spec.loadBalancers?.targetGroupArns ?? [];
  if (arns.length === 0 || !target.provider.targets || target.destroying) return;
  const unregistered = new Map(arns.map((arn) => [arn, []]));
  const drift = registrationDrift(target, launched, unregistered, new Set(), (i) =>
    target.flavor.health(target.flavorProperties, i),
  );
  if (hasDrift(drift)) await repairDrift(pass, drift);
}

/** What ends the provider calls of a pass: its lease lost or the pass over, the engine stopping. */
function passSignals(pass: ActingPass): readonly (AbortSignal | undefined)[] {
  return [pass.keeper.signal, pass.ctx.signal];
}

/**
 * `call` bounded by the engine's provider-call timeout: a late call rejects and is aborted, as it
 * is when the pass's lease is lost or the engine stops (`passSignals`).
 */
function withCallTimeout<T>(
  pass: ActingPass,
  what: string,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  return withTimeout(
    call,
    pass.ctx.providerCallTimeoutMs,
    `${pass.target.provider.name} ${what}`,
    passSignals(pass),
  );
}

async function provisionFor(
  pass: ActingPass,
  intent: Intent,
  rest: { count: number; logicalIds?: readonly string[] },
): Promise<StepResult> {
  const { ctx, target } = pass;
  let launchedIds: readonly string[] = [];
  let failure: { err: unknown } | undefined;
  await step(pass, 'provision');
  try {
    // Inside: a flavor that fails to prepare (its plugin down) fails the launch like the provider would.
    const requests = await launchRequests(pass, intent, rest.count, rest.logicalIds);
    const result = await withCallTimeout(pass, 'provision', (signal) =>
      target.provider.provision(target.providerProperties, requests, { signal }),
    );
    launchedIds = result.launched.map((i) => i.id);
  } catch (err) {
    failure = { err };
    if (err instanceof InsufficientCapacityError) launchedIds = err.launchedIds;
  }
  const all = [...new Set([...(intent.launchedIds ?? []), ...launchedIds])];
  if (launchedIds.length > 0) {
    pass.launched += launchedIds.length;
    if ((intent.configHash ?? target.configHash) === target.configHash)
      pass.launchedCurrent.push(...launchedIds);
    await step(pass, 'record-launched');
    await ctx.store.updateIntent(intent, { launchedIds: all }, pass.keeper.current);
    await step(pass, 'index-instances');
    await ctx.store.indexInstances(target.groupId, launchedIds, ctx.now());
    record(
      pass,
      'info',
      'launch',
      `launched ${launchedIds.length} (${intent.reason}): ${launchedIds.join(', ')}`,
      {
        ids: launchedIds,
        reason: intent.reason,
        token: intent.token,
      },
    );
  }
  if (failure) {
    const { err } = failure;
    const current = (intent.configHash ?? target.configHash) === target.configHash;
    if (current && !(err instanceof InsufficientCapacityError) && !(err instanceof ThrottledError))
      pass.failedLaunches += Math.max(0, rest.count - launchedIds.length);
  }
  if (failure && !onProviderError(pass, intent, failure.err)) return 'stop';
  await finishLaunch(pass, { ...intent, launchedIds: all }, all);
  return failure ? 'stop' : 'continue';
}

async function destroyFor(pass: ActingPass, intent: Intent, ids: readonly string[]): Promise<StepResult> {
  const { target } = pass;
  const doomed = pass.instances.filter((i) => ids.includes(i.id));
  try {
    if (intent.drain && doomed.length > 0) {
      if (await stillDraining(pass, intent, doomed)) return 'continue';
    } else {
      for (const instance of doomed) {
        await step(pass, 'drain');
        await target.flavor.drain(target.flavorProperties, instance);
      }
    }
    if (doomed.length > 0) {
      const doomedIds = doomed.map((i) => i.id);
      // Without a provider that can retain, an instance is terminated as usual (said in the event).
      const retain = intent.retain ? target.provider.keepForForensics?.bind(target.provider) : undefined;
      await step(pass, retain ? 'retain' : 'destroy');
      const result = await withCallTimeout(pass, retain ? 'retain' : 'destroy', (signal) =>
        retain
          ? retain(doomedIds, target.owner, { signal })
          : target.provider.destroy(doomedIds, target.owner, intent.reason, {
              signal,
              // After a drain that asked them to stop and waited: no second grace.
              ...(intent.drain?.stopWithinMs !== undefined ? { graceMs: 0 } : {}),
            }),
      );
      const gone = result.destroyed.filter((id) => ids.includes(id));
      pass.terminated += gone.length;
      const what = `${gone.length} (${intent.reason}): ${gone.join(', ')}`;
      const message = retain
        ? `retained ${what}; out of the group, still running, tagged infrakit.retained`
        : `terminated ${what}${intent.retain ? ' (the provider cannot retain)' : ''}`;
      record(pass, 'info', retain ? 'retain' : 'terminate', message, {
        ids: gone,
        reason: intent.reason,
        token: intent.token,
      });
    }
    if (!(await released(pass, intent))) return 'continue';
  } catch (err) {
    // Only the provider's and the flavor's failures are handled here; a lost lease or an
    // abandoned pass must stop everything at once.
    if (err instanceof PassAbandonedError || err instanceof LeaseLostError) throw err;
    if (!onProviderError(pass, intent, err)) return 'stop';
    await complete(pass, intent);
    return 'stop';
  }
  await complete(pass, intent);
  return 'continue';
}

/**
 * The drain of a terminate intent (see `drain.ts`): starts it on the first pass (deregister, announce
 * the hook, the flavor's drain, `drainingSince` recorded), then on every pass re-deregisters what
 * is registered again and says whether to keep waiting. True: the intent stays open for a later pass.
 */
async function stillDraining(
  pass: ActingPass,
  intent: Intent,
  doomed: readonly InstanceDescription[],
): Promise<boolean> {
  const { ctx, target } = pass;
  const drain = intent.drain ?? {};
  const ids = doomed.map((i) => i.id);
  await step(pass, 'view-targets');
  // The pass read the target groups moments ago; the drain needs no second read.
  const view = await withCallTimeout(pass, 'target health', (signal) =>
    viewTargets(target, ids, signal, pass.targetView),
  );
  if (view.toDeregister.size > 0) {
    await step(pass, 'deregister');
    await withCallTimeout(pass, 'deregister', (signal) => deregisterTargets(target, view, signal));
  }
  if (intent.drainingSince === undefined) {
    const hook = target.spec.lifecycle?.terminating;
    if (hook && drain.hookUntil !== undefined) {
      for (const id of ids)
        await announce(pass, 'terminating', id, intent.reason, drain.hookUntil, hook.defaultResult);
    }
    for (const instance of doomed) {
      await step(pass, 'drain');
      await target.flavor.drain(target.flavorProperties, instance);
    }
    await step(pass, 'record-draining');
    await ctx.store.updateIntent(intent, { drainingSince: ctx.now() }, pass.keeper.current);
    record(
      pass,
      'info',
      'drain',
      `draining ${ids.length} (${intent.reason}) before terminate: ${ids.join(', ')}`,
      {
        ids,
        reason: intent.reason,
        token: intent.token,
        ...drain,
      },
    );
  }
  const answered = ids.every((id) => pass.lifecycleDone[id] !== undefined);
  if (!drainOver(drain, view.remaining, answered, ctx.now())) return true;
  return stillStopping(pass, intent, ids);
}

/**
 * The last part of a drain, for providers that stop gracefully: once nothing else is waited for,
 * the instances are asked to stop (process: SIGTERM) and given `stopWithinMs`; an instance that
 * went by itself is no longer observed, so its intent completes without a destroy. True: wait.
 */
async function stillStopping(pass: ActingPass, intent: Intent, ids: readonly string[]): Promise<boolean> {
  const { ctx, target } = pass;
  const within = intent.drain?.stopWithinMs;
  const stop = target.provider.stop?.bind(target.provider);
  if (within === undefined || !stop || intent.retain) return false;
  if (intent.stoppingSince === undefined) {
    await step(pass, 'stop');
    await withCallTimeout(pass, 'stop', () => stop(ids, target.owner, intent.reason));
    await step(pass, 'record-stopping');
    await ctx.store.updateIntent(intent, { stoppingSince: ctx.now() }, pass.keeper.current);
    return within > 0;
  }
  return ctx.now() < intent.stoppingSince + within;
}

/** Announces a waiting hook: in the group's event log (the API serves it) and to the engine's owner (the bus). */
async function announce(
  pass: ActingPass,
  hook: LifecycleHookName,
  instanceId: string,
  reason: string,
  deadline: number,
  defaultResult: LifecycleResult,
): Promise<void> {
  const { ctx, target } = pass;
  const notice = {
    groupId: target.groupId,
    instanceId,
    hook,
    deadline,
    defaultResult,
    reason,
  };
  record(
    pass,
    'info',
    `instance-${hook}`,
    `${instanceId} waits in its ${hook} hook for POST /groups/${target.groupId}/instances/${instanceId}/complete until ${new Date(deadline).toISOString()} (then ${defaultResult})`,
    notice,
  );
  if (!ctx.announce) return;
  await step(pass, 'announce');
  try {
    await ctx.announce(notice);
  } catch (err) {
    record(pass, 'warn', 'announce-failed', announceFailure(instanceId, hook, err));
  }
}

/**
 * Repairs registration drift (see `registration.ts`); a failure is recorded and retried next pass.
 * True when the target groups were changed.
 */
export async function repairDrift(pass: ActingPass, drift: RegistrationDrift): Promise<boolean> {
  const list = (m: ReadonlyMap<string, readonly string[]>) => [...new Set([...m.values()].flat())].sort();
  try {
    await step(pass, 'register');
    await withCallTimeout(pass, 'register', (signal) => repairRegistration(pass.target, drift, signal));
  } catch (err) {
    if (err instanceof PassAbandonedError || err instanceof LeaseLostError) throw err;
    pass.errorClass ??= classifyError(err);
    record(pass, 'error', 'register-failed', `registration: ${messageOf(err)}; retrying next pass`);
    return false;
  }
  const registered = list(drift.register);
  const deregistered = list(drift.deregister);
  if (registered.length > 0)
    record(pass, 'info', 'register', `registered in the target groups: ${registered.join(', ')}`, {
      ids: registered,
    });
  if (deregistered.length > 0)
    record(
      pass,
      'info',
      'deregister',
      `deregistered (not running, or left the group): ${deregistered.join(', ')}`,
      {
        ids: deregistered,
      },
    );
  return true;
}

/**
 * Finishes an intent a crashed or failed pass left open. A launch first counts the instances
 * already tagged with its token and launches only the remainder, with the same token: providers
 * that ignore idempotency tokens (moto, processes) therefore never duplicate. A termination
 * re-issues the destroy for the ids still observed.
 */
export async function resumeIntent(pass: ActingPass, intent: Intent): Promise<StepResult> {
  const { ctx, target } = pass;
  if (intent.kind === 'terminate') {
    const still = (intent.ids ?? []).filter((id) => pass.instances.some((i) => i.id === id));
    return destroyFor(pass, intent, still);
  }
  const rest = remainderOf(intent, pass.instances);
  // Race: the intent's remainder may still be on the way. Its creator may be stalled inside
  // `provision` with its lease taken over (nothing recorded yet), or EC2 may not show fresh
  // instances yet. Relaunching now could duplicate them; until the settle time has passed they
  // count as pending, and afterwards whatever landed carries the token and is subtracted. Only an
  // observation begun after the settle time may call an invisible instance lost: one taken
  // earlier may predate a landing (the clock moves on while this pass waits on the store).
  const settleMs = Math.max(ctx.launchSettleMs, target.provider.launchSettleMs ?? 0);
  const settling = pass.observedAt - intent.createdAt < settleMs;
  // A group being destroyed is removed once nothing is observed and no intent is open: closing this
  // intent before it settles would let the group go while its instances may still land (leaked).
  if (target.destroying && rest.count > 0 && settling) return 'continue';
  // A launch for an older configuration, or for a group being destroyed, is not worth finishing:
  // the planner launches what the current spec needs (and removes what still lands of this one).
  const stale = target.destroying || (intent.configHash ?? target.configHash) !== target.configHash;
  if (stale) {
    await complete(pass, intent);
    return 'continue';
  }
  if (rest.count === 0) {
    // Everything landed: what is left is what the provider attaches once the instances run.
    const landed = pass.instances.filter((i) => i.tags[TAG_INTENT] === intent.token);
    if (target.provider.attach && landed.length > 0)
      await finishLaunch(
        pass,
        intent,
        landed.map((i) => i.id),
      );
    else {
      const inService = await launchingOver(pass, intent, landed);
      if (!inService) return 'continue';
      await registerLaunched(pass, inService);
      await complete(pass, intent);
    }
    return 'continue';
  }
  if (settling) return 'continue';
  // Launched, then gone before anyone saw them (a process that exited at once): failed launches.
  const visible = new Set(pass.instances.map((i) => i.id));
  pass.failedLaunches += (intent.launchedIds ?? []).filter((id) => !visible.has(id)).length;
  return provisionFor(pass, intent, rest);
}

/** The drain deadlines a termination of `ids` gets (read-only: the target groups' delays). */
async function drainOf(
  pass: ActingPass,
  ids: readonly string[],
  now: number,
): Promise<Pick<Intent, 'drain'>> {
  if (!drains(pass.target)) return {};
  await step(pass, 'plan-drain');
  const drain = await withCallTimeout(pass, 'deregistration delay', (signal) =>
    planDrain(pass.target, ids, pass.retiring, now, signal),
  );
  return drain ? { drain } : {};
}

/**
 * The ladder's reboot: no intent, as a reboot adds and removes nothing (the plan's `rebooted`
 * records it, so a crash before that record at worst reboots once more). A failure is an event;
 * the instance then goes on to the next step of the ladder after its timeout.
 */
async function rebootFor(pass: ActingPass, ids: readonly string[]): Promise<StepResult> {
  const { target } = pass;
  const reboot = target.provider.reboot?.bind(target.provider);
  if (!reboot) {
    record(
      pass,
      'warn',
      'reboot-failed',
      `provider ${target.provider.name} cannot reboot: ${ids.join(', ')}`,
    );
    return 'continue';
  }
  try {
    await step(pass, 'reboot');
    await withCallTimeout(pass, 'reboot', (signal) => reboot(ids, target.owner, { signal }));
    record(pass, 'info', 'reboot', `rebooted ${ids.length} (unhealthy): ${ids.join(', ')}`, { ids });
  } catch (err) {
    if (err instanceof PassAbandonedError || err instanceof LeaseLostError) throw err;
    pass.errorClass ??= classifyError(err);
    record(pass, 'warn', 'reboot-failed', `reboot ${ids.join(', ')}: ${messageOf(err)}`, { ids });
  }
  return 'continue';
}

/** Carries out one planned action: intent first, then the provider call, then the intent marked done. */
export async function runAction(pass: ActingPass, action: PlanAction): Promise<StepResult> {
  const { ctx, target } = pass;
  const now = ctx.now();
  if (action.kind === 'reboot') return rebootFor(pass, action.ids);
  const common = {
    groupId: target.groupId,
    token: newToken(target.groupId, now),
    reason: action.reason,
    createdAt: now,
  };
  if (action.kind === 'launch') {
    const intent: Intent = {
      ...common,
      kind: 'launch',
      count: action.count,
      ...(action.logicalIds ? { logicalIds: action.logicalIds } : {}),
      configHash: target.configHash,
    };
    await step(pass, 'put-intent');
    await ctx.store.putIntent(intent, pass.keeper.current);
    return provisionFor(pass, intent, action);
  }
  let drain: Pick<Intent, 'drain'>;
  try {
    // Read-only, before the intent: a target group that cannot be read terminates nothing.
    drain = await drainOf(pass, action.ids, now);
  } catch (err) {
    if (err instanceof PassAbandonedError || err instanceof LeaseLostError) throw err;
    pass.errorClass ??= classifyError(err);
    record(
      pass,
      'error',
      'drain-failed',
      `terminate ${action.ids.join(', ')}: ${messageOf(err)}; retrying next pass`,
    );
    return 'stop';
  }
  const intent: Intent = {
    ...common,
    kind: 'terminate',
    ids: action.ids,
    ...(action.retain ? { retain: true } : {}),
    ...drain,
  };
  await step(pass, 'put-intent');
  await ctx.store.putIntent(intent, pass.keeper.current);
  for (const id of action.ids) pass.terminating.add(id);
  return destroyFor(pass, intent, action.ids);
}
