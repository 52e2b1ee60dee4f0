import type { Holds } from './gate.js';
import type { Assessed } from './health.js';
import type { InstanceVerdict, ObservedInstance, PlanAction } from './types.js';

/**
 * The planner's reasoning per instance, for `GET /groups/{id}?explain=true`: what it makes of each
 * one (its condition), and what the plan does with it or why it holds it back. Sorted by id.
 */
export function explainInstances(
  observed: readonly Assessed[],
  going: readonly ObservedInstance[],
  actions: readonly PlanAction[],
  holds: Holds,
): InstanceVerdict[] {
  const decided = new Map<string, string>();
  for (const action of actions) {
    if (action.kind === 'launch') continue;
    const decision =
      action.kind === 'reboot' ? 'reboot' : `${action.retain ? 'retain' : 'terminate'}: ${action.reason}`;
    for (const id of action.ids) decided.set(id, decision);
  }
  const verdicts: InstanceVerdict[] = observed.map((a) => {
    const id = a.instance.id;
    const hold = holds.get(id);
    const decision = decided.get(id) ?? (hold ? `held: ${hold.reason}` : 'keep');
    return {
      id,
      condition: a.condition,
      outdated: a.outdated,
      decision,
      ...(hold && !decided.has(id) ? { detail: hold.detail } : {}),
    };
  });
  for (const g of going) {
    verdicts.push({
      id: g.id,
      condition: g.state,
      outdated: false,
      decision: 'going',
      detail: 'terminating',
    });
  }
  return verdicts.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}
