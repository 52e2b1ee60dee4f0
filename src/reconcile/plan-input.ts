import type { Health } from '../flavors/types.js';
import type { ObservedInstance, PendingLaunch, PlanInput } from '../plan/types.js';
import type { InstanceDescription } from '../providers/types.js';
import {
  type GroupState,
  type Intent,
  instanceOfLifecycleKey,
  type LifecycleResult,
} from '../store/types.js';
import { TAG_CONFIG_HASH, TAG_INTENT, TAG_LOGICAL_ID, TAG_PROTECTED, TAG_RETAINED } from '../tags.js';
import { launchingInstances } from './launching.js';
import type { GroupTarget } from './target.js';

export type HealthSinceMap = Record<string, { readonly health: string; readonly since: number }>;

/** What the planner gets, plus the state the engine keeps for instances whose provider cannot date health. */
export interface PreparedInput {
  readonly input: PlanInput;
  readonly observed: readonly ObservedInstance[];
  /** Instance id → health and since-when, for instances whose provider gave no `since`. */
  readonly healthSince: HealthSinceMap;
  /** `state.retiring` pruned of instances no longer observed. */
  readonly retiring: Record<string, number>;
  /** `state.lifecycleDone` pruned of instances no longer observed (their hook is over). */
  readonly lifecycleDone: Record<string, LifecycleResult>;
}

/** Instances of `instances` launched under the intent `token` (its `infrakit.intent` tag). */
export function launchedUnder(
  token: string,
  instances: readonly InstanceDescription[],
): InstanceDescription[] {
  return instances.filter((i) => i.tags[TAG_INTENT] === token);
}

/**
 * What an open launch intent still owes: its count minus the instances observed with its token
 * (pets: its logical IDs not observed with its token). Launched-but-not-yet-visible instances stay
 * owed, so they are counted as pending and never launched twice by the planner.
 */
export function remainderOf(
  intent: Intent,
  instances: readonly InstanceDescription[],
): { count: number; logicalIds?: string[] } {
  const mine = launchedUnder(intent.token, instances);
  if (intent.logicalIds && intent.logicalIds.length > 0) {
    const seen = new Set(mine.map((i) => i.tags[TAG_LOGICAL_ID]));
    const logicalIds = intent.logicalIds.filter((id) => !seen.has(id));
    return { count: logicalIds.length, logicalIds };
  }
  return { count: Math.max(0, (intent.count ?? 0) - mine.length) };
}

/** Joins the provider's view, the flavor's health and the open intents into the planner's input. */
export function preparePlanInput(
  target: GroupTarget,
  instances: readonly InstanceDescription[],
  intents: readonly Intent[],
  state: GroupState,
  now: number,
  /** The flavor's verdicts by instance id, when it judges asynchronously (`healthOf`). */
  judged?: ReadonlyMap<string, Health>,
): PreparedInput {
  const healthSince: HealthSinceMap = {};
  const launching = launchingInstances(target, intents, instances);
  const minHealthyMatters = target.spec.update.minHealthySeconds > 0;
  const observed = instances
    .map((instance): ObservedInstance => {
      const health = judged?.get(instance.id) ?? target.flavor.health(target.flavorProperties, instance);
      let since = instance.health.since;
      if (since === undefined) {
        // The provider cannot date this health: keep the date we first saw it, while it holds.
        const previous = state.healthSince[instance.id];
        since = previous && previous.health === health ? previous.since : now;
        // Kept on the group's item, which DynamoDB caps at 400 KB: a healthy instance's date only
        // matters for `minHealthySeconds`, so without it only the others are kept.
        if (health !== 'healthy' || minHealthyMatters) healthSince[instance.id] = { health, since };
      }
      const logicalId = instance.tags[TAG_LOGICAL_ID];
      const waits = launching.has(instance.id);
      const until = launching.get(instance.id);
      return {
        id: instance.id,
        ...(logicalId !== undefined ? { logicalId } : {}),
        configHash: instance.tags[TAG_CONFIG_HASH] ?? '',
        state: instance.state,
        launchedAt: instance.launchedAt,
        health,
        healthSince: since,
        protected: instance.tags[TAG_PROTECTED] === 'true',
        ...(waits ? { launching: until !== undefined ? { until } : {} } : {}),
      };
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const observedIds = new Set(observed.map((i) => i.id));
  const launches: PendingLaunch[] = [];
  const terminations = new Set<string>();
  for (const intent of intents) {
    if (intent.kind === 'launch') {
      const rest = remainderOf(intent, instances);
      if (rest.count === 0) continue;
      launches.push({
        token: intent.token,
        count: rest.count,
        ...(rest.logicalIds ? { logicalIds: rest.logicalIds } : {}),
        configHash: intent.configHash ?? '',
      });
    } else {
      for (const id of intent.ids ?? []) if (observedIds.has(id)) terminations.add(id);
    }
  }
  // Marked for forensics but not yet out of the group (a pass stopped in between): already going.
  for (const instance of instances)
    if (instance.tags[TAG_RETAINED] !== undefined) terminations.add(instance.id);

  const retiring: Record<string, number> = {};
  for (const [id, deadline] of Object.entries(state.retiring))
    if (observedIds.has(id)) retiring[id] = deadline;
  const lifecycleDone: Record<string, LifecycleResult> = {};
  for (const [key, result] of Object.entries(state.lifecycleDone))
    if (observedIds.has(instanceOfLifecycleKey(key))) lifecycleDone[key] = result;

  return {
    input: {
      spec: target.spec,
      configHash: target.configHash,
      instances: observed,
      pending: { launches, terminations: [...terminations].sort() },
      retiring: new Map(Object.entries(retiring)),
      ...(state.memory?.rollout ? { rollout: state.memory.rollout } : {}),
      ...(state.memory?.remediations ? { remediations: state.memory.remediations } : {}),
      ...(state.memory?.rebooted ? { rebooted: state.memory.rebooted } : {}),
    },
    observed,
    healthSince,
    retiring,
    lifecycleDone,
  };
}

/**
 * The flavor's verdicts, when it judges health asynchronously (`healthOf`, a plugin call);
 * undefined for a flavor that judges synchronously. Throws when the flavor cannot answer for
 * every instance: the caller plans nothing from an incomplete view.
 */
export async function judgeHealth(
  target: GroupTarget,
  instances: readonly InstanceDescription[],
  signal?: AbortSignal,
): Promise<ReadonlyMap<string, Health> | undefined> {
  const { flavor } = target;
  if (!flavor.healthOf || instances.length === 0) return undefined;
  const verdicts = await flavor.healthOf(target.flavorProperties, instances, signal ? { signal } : undefined);
  if (verdicts.length !== instances.length)
    throw new Error(`flavor ${flavor.kind} judged ${verdicts.length} of ${instances.length} instances`);
  return new Map(instances.map((instance, n) => [instance.id, verdicts[n] ?? 'unknown']));
}
