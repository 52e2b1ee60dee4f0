/**
 * A group's members in its load balancers' target groups: what each target group reports (read
 * with every observation of a group that has `loadBalancers`), the registration that should be
 * (every member in service, none that is stopped), and target health as a health signal.
 *
 * Registration is idempotent and carries no intent of its own: it is derived from the world on
 * every pass. A launch registers its instances in the pass that launched them once they are
 * eligible; whatever that pass did not finish (a crash after the launch, an instance still
 * `pending`, a `registerWhen: healthy` instance not healthy yet, a target removed by hand) is
 * drift, which the next pass under the lease repairs.
 */

import { messageOf, TargetGroupNotFoundError } from '../errors.js';
import type { Health } from '../flavors/types.js';
import type { InstanceDescription, InstanceOwner, TargetHealth } from '../providers/types.js';
import { TAG_CONTROLLER, TAG_GROUP, TAG_INTENT, TAG_RETAINED } from '../tags.js';
import { targetGroupsOf } from './drain.js';
import type { GroupTarget } from './target.js';
import { groupOfToken } from './token.js';

/** Target group ARN → the targets it reports (every target, ours or not). */
export type TargetView = ReadonlyMap<string, readonly TargetHealth[]>;

export type TargetObservation =
  | {
      readonly ok: true;
      readonly view: TargetView;
      /** Target groups the spec names that do not exist: left out of `view`, so nothing waits on them. */
      readonly missing: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

/** A group without load balancers, or one whose target groups need not be read now. */
export const NO_TARGETS: TargetObservation = { ok: true, view: new Map(), missing: [] };

/**
 * Reads every target group of the group (one DescribeTargetHealth each); nothing for a group
 * without. A target group that does not exist (deleted under a drain, say) is left out and named in
 * `missing`: the group goes on with the others rather than stop until its spec changes. Any other
 * failure is a failed observation.
 */
export async function observeTargets(target: GroupTarget, signal?: AbortSignal): Promise<TargetObservation> {
  const groups = targetGroupsOf(target);
  if (!groups) return NO_TARGETS;
  try {
    const seen = await Promise.all(
      groups.arns.map((arn) =>
        groups.registry.targets(arn, signal ? { signal } : undefined).catch((err: unknown) => {
          if (err instanceof TargetGroupNotFoundError) return undefined;
          throw err;
        }),
      ),
    );
    const view = new Map<string, readonly TargetHealth[]>();
    const missing: string[] = [];
    groups.arns.forEach((arn, n) => {
      const targets = seen[n];
      if (targets) view.set(arn, targets);
      else missing.push(arn);
    });
    return { ok: true, view, missing };
  } catch (err) {
    return { ok: false, reason: `target health could not be read: ${messageOf(err)}` };
  }
}

/** The event message for target groups that do not exist. */
export function missingTargetGroups(missing: readonly string[]): string {
  return `target group not found: ${missing.join(', ')}; nothing is registered there and no drain waits for it (fix loadBalancers.targetGroupArns)`;
}

/**
 * Whether an instance's tags prove it was this group's and has left it: this controller's identity,
 * no group tag any more (an instance with another group's tag is that group's), and either kept for
 * forensics from this group (`infrakit.retained`) or launched by one of this group's intents (the
 * `infrakit.intent` token names the group it was issued for).
 */
export function leftGroup(tags: Readonly<Record<string, string>>, owner: InstanceOwner): boolean {
  if (tags[TAG_CONTROLLER] !== owner.controllerId || tags[TAG_GROUP] !== undefined) return false;
  return tags[TAG_RETAINED] === owner.groupId || groupOfToken(tags[TAG_INTENT]) === owner.groupId;
}

/** Above this many remembered foreign targets the memory starts over (it only saves reads). */
const FOREIGN_MEMORY = 50_000;

/**
 * The targets in the group's target groups that are not members but were (see `leftGroup`): to be
 * deregistered. Targets never seen before are looked up by their tags (the provider's `tagsOf`, one
 * read); those proven foreign are remembered in `foreign`, so a target group shared with other
 * groups costs no read on later passes. A failed read proves nothing: no id, and the reason.
 */
export async function formerMembers(
  target: GroupTarget,
  instances: readonly InstanceDescription[],
  view: TargetView,
  foreign: Set<string>,
  signal?: AbortSignal,
): Promise<{ readonly ids: ReadonlySet<string>; readonly error?: string }> {
  const tagsOf = target.provider.tagsOf?.bind(target.provider);
  const none = new Set<string>();
  if (!tagsOf || view.size === 0) return { ids: none };
  const members = new Set(instances.map((i) => i.id));
  const key = (id: string) => `${target.groupId}/${id}`;
  const unknown = new Set<string>();
  for (const targets of view.values())
    for (const t of targets)
      if (t.state !== 'draining' && !members.has(t.id) && !foreign.has(key(t.id))) unknown.add(t.id);
  if (unknown.size === 0) return { ids: none };
  let tags: Awaited<ReturnType<typeof tagsOf>>;
  try {
    tags = await tagsOf([...unknown].sort(), signal ? { signal } : undefined);
  } catch (err) {
    return { ids: none, error: `targets that are not members could not be looked up: ${messageOf(err)}` };
  }
  if (foreign.size > FOREIGN_MEMORY) foreign.clear();
  const former = new Set<string>();
  for (const id of unknown) {
    const found = tags.get(id);
    if (found && leftGroup(found, target.owner)) former.add(id);
    else foreign.add(key(id));
  }
  return { ids: former };
}

/** One member in one target group, as the status shows it. */
export interface MemberTarget {
  readonly targetGroupArn: string;
  readonly state: Exclude<TargetHealth['state'], 'absent'>;
  readonly reason?: string;
}

/** The view turned around: instance id → where it is registered and how it fares there. */
export function targetsByInstance(view: TargetView): ReadonlyMap<string, MemberTarget[]> {
  const out = new Map<string, MemberTarget[]>();
  for (const [arn, targets] of view)
    for (const { id, state, reason } of targets)
      if (state !== 'absent')
        out.set(id, [...(out.get(id) ?? []), { targetGroupArn: arn, state, ...(reason ? { reason } : {}) }]);
  return out;
}

/** Registrations to make and to undo, by target group. */
export interface RegistrationDrift {
  readonly register: ReadonlyMap<string, readonly string[]>;
  readonly deregister: ReadonlyMap<string, readonly string[]>;
}

const STOPPED: ReadonlySet<string> = new Set(['stopping', 'stopped', 'shutting-down']);

/**
 * What differs from the registration that should be. A member belongs in every target group once it
 * is running (with `registerWhen: healthy`, once its flavor health is healthy too), unless it is
 * being terminated (its drain owns its deregistration). A member registered while stopped or
 * stopping is deregistered, and so is a target whose tags prove it left the group (`former`). Other
 * targets that are not members are never touched (another group's, someone else's).
 */
export function registrationDrift(
  target: GroupTarget,
  instances: readonly InstanceDescription[],
  view: TargetView,
  terminating: ReadonlySet<string>,
  healthOf: (instance: InstanceDescription) => Health,
  /** Targets that left the group (`formerMembers`): deregistered wherever still registered. */
  former: ReadonlySet<string> = new Set(),
): RegistrationDrift {
  const register = new Map<string, string[]>();
  const deregister = new Map<string, string[]>();
  const lb = target.spec.loadBalancers;
  if (!lb) return { register, deregister };
  for (const [arn, targets] of view) {
    const present = new Map(targets.map((t) => [t.id, t.state]));
    for (const t of targets)
      if (former.has(t.id) && t.state !== 'draining')
        deregister.set(arn, [...(deregister.get(arn) ?? []), t.id]);
    for (const instance of instances) {
      if (terminating.has(instance.id)) continue;
      const state = present.get(instance.id);
      const registered = state !== undefined && state !== 'draining';
      const eligible =
        instance.state === 'running' && (lb.registerWhen === 'running' || healthOf(instance) === 'healthy');
      if (eligible && !registered) register.set(arn, [...(register.get(arn) ?? []), instance.id]);
      if (registered && STOPPED.has(instance.state))
        deregister.set(arn, [...(deregister.get(arn) ?? []), instance.id]);
    }
  }
  return { register, deregister };
}

export function hasDrift(drift: RegistrationDrift): boolean {
  return drift.register.size > 0 || drift.deregister.size > 0;
}

/** Makes the registration right: RegisterTargets and DeregisterTargets per target group. */
export async function repairRegistration(
  target: GroupTarget,
  drift: RegistrationDrift,
  signal?: AbortSignal,
): Promise<void> {
  const groups = targetGroupsOf(target);
  if (!groups) return;
  const port = target.spec.loadBalancers?.port;
  const options = signal ? { signal } : undefined;
  for (const [arn, ids] of drift.register) await groups.registry.register(arn, ids, port, options);
  for (const [arn, ids] of drift.deregister) await groups.registry.deregister(arn, ids, port, options);
}

/**
 * Target health as a health signal (`health.sources`): with `target-group`, a member any target
 * group reports `unhealthy` counts as impaired, with no date of its own, so the engine dates it
 * from the first pass that saw it and `unhealthyTimeoutSeconds` runs from there; `initial`
 * (registering, health checks not passed yet) never counts against it. Without `ec2-status`, the
 * provider's own status is ignored.
 */
export function withTargetHealth(
  target: GroupTarget,
  instances: readonly InstanceDescription[],
  view: TargetView,
): readonly InstanceDescription[] {
  const sources = target.spec.health.sources;
  if (!sources?.includes('target-group')) return instances;
  const unhealthy = new Set<string>();
  for (const targets of view.values())
    for (const t of targets) if (t.state === 'unhealthy') unhealthy.add(t.id);
  const providerToo = sources.includes('ec2-status');
  return instances.map((instance) => {
    if (unhealthy.has(instance.id)) return { ...instance, health: { status: 'impaired' } };
    return providerToo ? instance : { ...instance, health: { status: 'ok' } };
  });
}
