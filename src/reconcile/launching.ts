/**
 * The `launching` lifecycle hook (EC2 Auto Scaling's Pending:Wait): a new instance does not count
 * as in service until the application completes the hook, or its timeout applies the default.
 *
 *   t0  launch     the launch intent is written and carried out as always (provision, visible, attach).
 *   t1  announce   instead of completing the intent: `Instance Launching` per instance (event log,
 *                  bus, local print), then the intent records `launchingUntil` (now + timeoutSeconds)
 *                  and `launchingDefault`. The intent stays open, so every later pass resumes it.
 *   t2  wait       an instance is answered once the group record holds its `<id>@launching` answer
 *                  (`POST /groups/{id}/instances/{instanceId}/complete`), or the deadline has passed
 *                  (the default result). Until all are answered its instances are not in service:
 *                  planned as starting (no rollout progress, no `minHealthySeconds`, never judged
 *                  unhealthy, still filling their slot) and never registered in target groups.
 *   t3  result     `abandon`: a terminate intent for those instances (reason `launch-abandoned`,
 *                  drained like any termination), each a failed replacement of a rollout, and the
 *                  planner launches their successors; `continue`: registered in the target groups.
 *   t4  complete   the launch intent completes; its instances are in service from the next pass.
 *
 * A crash anywhere leaves the open intent with its absolute deadline: whoever holds the lease next
 * resumes at t1 (announcing again only when the crash fell between announcing and recording) or t2;
 * an abandon already written as a terminate intent (a crash between t3 and t4) is not written twice.
 * A group being destroyed, or a launch of an older config, waits for nothing.
 */
import type { InstanceDescription } from '../providers/types.js';
import { type Intent, type LifecycleResult, lifecycleKey } from '../store/types.js';
import { TAG_INTENT } from '../tags.js';
import type { GroupTarget } from './target.js';

/** Whether the instances of this launch intent wait in the `launching` hook before being in service. */
export function launchWaits(target: GroupTarget, intent: Intent): boolean {
  if (intent.kind !== 'launch' || target.destroying) return false;
  if ((intent.configHash ?? target.configHash) !== target.configHash) return false;
  return intent.launchingUntil !== undefined || target.spec.lifecycle?.launching !== undefined;
}

/** Instance id → its hook's deadline (undefined until announced), for every instance not in service yet. */
export function launchingInstances(
  target: GroupTarget,
  intents: readonly Intent[],
  instances: readonly InstanceDescription[],
): ReadonlyMap<string, number | undefined> {
  const waiting = new Map<string, number | undefined>();
  for (const intent of intents) {
    if (!launchWaits(target, intent)) continue;
    for (const i of instances)
      if (i.tags[TAG_INTENT] === intent.token) waiting.set(i.id, intent.launchingUntil);
  }
  return waiting;
}

/** The hook's result per instance at `now`, or undefined while any instance still waits (t2). */
export function launchResults(
  intent: Intent,
  ids: readonly string[],
  answers: Readonly<Record<string, LifecycleResult>>,
  now: number,
): { readonly continued: readonly string[]; readonly abandoned: readonly string[] } | undefined {
  if (intent.launchingUntil === undefined) return undefined;
  const timedOut = now >= intent.launchingUntil;
  const continued: string[] = [];
  const abandoned: string[] = [];
  for (const id of ids) {
    const result = answers[lifecycleKey(id, 'launching')] ?? (timedOut ? intent.launchingDefault : undefined);
    if (result === undefined) return undefined;
    (result === 'abandon' ? abandoned : continued).push(id);
  }
  return { continued, abandoned };
}
