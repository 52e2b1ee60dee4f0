/**
 * The drain before a termination: deregister from the group's load balancers, announce the
 * `terminating` lifecycle hook, let the flavor drain, then wait until the target groups report the
 * targets gone (or `unused`) and the hook is completed, each bounded by its deadline. The wait
 * spans passes: no pass ever sleeps through it.
 *
 *   t0  plan        read the target groups' deregistration delay (read-only), fix the deadlines:
 *                   targetsUntil = now + min(delay, drainTimeoutSeconds), hookUntil = now + the
 *                   hook's timeoutSeconds, both capped by a retiring instance's deadline (Spot).
 *   t1  intent      the terminate intent is written with those deadlines (before any side effect).
 *   t2  start       DeregisterTargets for the doomed ids still registered, the hook's
 *                   `Instance Terminating` notice (event log + bus), the flavor's `drain`; then the
 *                   intent records `drainingSince` (so the notice is not repeated).
 *   t3  wait        every later pass (the schedule, an event, a request) re-reads the target health:
 *                   a doomed id registered again or never deregistered (a crash between t1 and t2)
 *                   is deregistered again; done once no doomed id is registered (or only `unused`)
 *                   or targetsUntil has passed, and the hook has a result or hookUntil has passed.
 *   t4  stop        providers that stop gracefully (`stop`: a process's SIGTERM), for a spec with
 *                   `lifecycle`: once t3 is over the instances are asked to stop and `stoppingSince`
 *                   recorded; passes wait up to drainTimeoutSeconds for them to go by themselves.
 *   t5  destroy     the provider's destroy (SIGKILL at once after t4); the intent is completed.
 *
 * A crash anywhere leaves the open intent with its absolute deadlines: whoever holds the lease next
 * resumes at t2 or t3, and nothing is done twice that is not idempotent (a second notice only when
 * the crash fell between announcing and recording `drainingSince`).
 */
import { messageOf, TargetGroupNotFoundError } from '../errors.js';
import type { TargetGroups, TargetHealth } from '../providers/types.js';
import { DEFAULT_DRAIN_TIMEOUT_SECONDS } from '../spec/schema.js';
import type { IntentDrain, LifecycleHookName } from '../store/types.js';
import type { GroupTarget } from './target.js';

/** Whether a termination of this group drains across passes (see `planDrain`). */
export function drains(target: GroupTarget): boolean {
  return (
    targetGroupsOf(target) !== undefined ||
    target.spec.lifecycle?.terminating !== undefined ||
    (target.spec.lifecycle !== undefined && target.provider.stop !== undefined)
  );
}

/** A lifecycle notice the engine hands its owner (the bus deployed, the console in local mode). */
export interface LifecycleNotice {
  readonly groupId: string;
  readonly instanceId: string;
  /** Which hook waits. */
  readonly hook: LifecycleHookName;
  /** Epoch ms at which the hook's default result applies. */
  readonly deadline: number;
  readonly defaultResult: 'continue' | 'abandon';
  /** Why the instance goes. */
  readonly reason: string;
}

/** Announces lifecycle notices; a failure is recorded and the wait goes on (the timeout bounds it). */
export type Announce = (notice: LifecycleNotice) => Promise<void>;

/** The target groups of a group, when it has load balancers and its provider serves them. */
export function targetGroupsOf(
  target: GroupTarget,
): { registry: TargetGroups; arns: readonly string[] } | undefined {
  const registry = target.provider.targets;
  const arns = target.spec.loadBalancers?.targetGroupArns;
  return registry && arns && arns.length > 0 ? { registry, arns } : undefined;
}

/** The group's drain bound in ms (`lifecycle.drainTimeoutSeconds`). */
export function drainTimeoutMs(target: GroupTarget): number {
  return (target.spec.lifecycle?.drainTimeoutSeconds ?? DEFAULT_DRAIN_TIMEOUT_SECONDS) * 1000;
}

/**
 * t0: the deadlines of a termination of `ids`, or undefined when the group drains nothing across
 * passes (no load balancer, no terminating hook: the flavor drains inline, as before). Reads each
 * target group's deregistration delay; throws when one cannot be read (nothing is terminated then).
 */
export async function planDrain(
  target: GroupTarget,
  ids: readonly string[],
  retiring: Readonly<Record<string, number>>,
  now: number,
  signal?: AbortSignal,
): Promise<IntentDrain | undefined> {
  const groups = targetGroupsOf(target);
  const hook = target.spec.lifecycle?.terminating;
  if (!drains(target)) return undefined;
  // A retiring instance goes at its deadline whatever we wait for (a Spot notice gives 2 minutes).
  const cap = Math.min(...ids.map((id) => retiring[id] ?? Number.POSITIVE_INFINITY));
  let targetsUntil: number | undefined;
  if (groups) {
    const delays = await Promise.all(
      groups.arns.map((arn) =>
        groups.registry
          .deregistrationDelaySeconds(arn, signal ? { signal } : undefined)
          // A target group that does not exist holds no target to wait for.
          .catch((err: unknown) => {
            if (err instanceof TargetGroupNotFoundError) return 0;
            throw err;
          }),
      ),
    );
    targetsUntil = Math.min(now + Math.min(Math.max(0, ...delays) * 1000, drainTimeoutMs(target)), cap);
  }
  const hookUntil = hook ? Math.min(now + hook.timeoutSeconds * 1000, cap) : undefined;
  // A spec with `lifecycle` gives instances that can stop by themselves its drain bound to do so.
  const stopWithinMs = target.spec.lifecycle && target.provider.stop ? drainTimeoutMs(target) : undefined;
  return {
    ...(targetsUntil !== undefined ? { targetsUntil } : {}),
    ...(hookUntil !== undefined ? { hookUntil } : {}),
    ...(stopWithinMs !== undefined ? { stopWithinMs } : {}),
  };
}

/** What the target groups say of the doomed ids: which must still be deregistered, which drain. */
export interface TargetsView {
  /** Registered in a state that still takes or may take traffic: deregistered (again) now. */
  readonly toDeregister: ReadonlyMap<string, readonly string[]>;
  /** Still registered and not `unused` (draining included). */
  readonly remaining: number;
}

/** t2/t3: reads every target group once and says what is left of `ids` in them. */
export async function viewTargets(
  target: GroupTarget,
  ids: readonly string[],
  signal?: AbortSignal,
  /** The target groups as this pass already read them (no second read). */
  known?: ReadonlyMap<string, readonly TargetHealth[]>,
): Promise<TargetsView> {
  const groups = targetGroupsOf(target);
  const toDeregister = new Map<string, string[]>();
  let remaining = 0;
  if (!groups) return { toDeregister, remaining };
  const doomed = new Set(ids);
  // What the pass read is authoritative: a target group it found missing is not asked again.
  const seen = await Promise.all(
    groups.arns.map((arn) =>
      known ? (known.get(arn) ?? []) : groups.registry.targets(arn, signal ? { signal } : undefined),
    ),
  );
  groups.arns.forEach((arn, n) => {
    for (const t of seen[n] ?? []) {
      if (!doomed.has(t.id)) continue;
      if (t.state !== 'draining') toDeregister.set(arn, [...(toDeregister.get(arn) ?? []), t.id]);
      if (t.state !== 'unused') remaining += 1;
    }
  });
  return { toDeregister, remaining };
}

/** Deregisters what `view` says is still registered; nothing when nothing is. */
export async function deregisterTargets(
  target: GroupTarget,
  view: TargetsView,
  signal?: AbortSignal,
): Promise<number> {
  const groups = targetGroupsOf(target);
  if (!groups) return 0;
  let calls = 0;
  for (const [arn, ids] of view.toDeregister) {
    await groups.registry.deregister(
      arn,
      ids,
      target.spec.loadBalancers?.port,
      signal ? { signal } : undefined,
    );
    calls += 1;
  }
  return calls;
}

/**
 * Whether the wait before the instances are asked to stop is over at `now`: the targets gone (or
 * `unused`) or their deadline passed, and the hook answered or timed out.
 */
export function drainOver(
  drain: IntentDrain,
  remaining: number,
  hookAnswered: boolean,
  now: number,
): boolean {
  const targetsDone = drain.targetsUntil === undefined || remaining === 0 || now >= drain.targetsUntil;
  const hookDone = drain.hookUntil === undefined || hookAnswered || now >= drain.hookUntil;
  return targetsDone && hookDone;
}

/** A notice that could not be published, as an event message. */
export function announceFailure(instanceId: string, hook: LifecycleHookName, err: unknown): string {
  return `could not announce the ${hook} hook of ${instanceId}: ${messageOf(err)}; waiting for its timeout`;
}
