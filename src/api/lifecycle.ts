import type { GroupRecord, GroupStore, Intent, LifecycleHookName } from '../store/types.js';
import { notFound } from './errors.js';
import type { RouteParams } from './router.js';

/** EC2 instance ids, process ids, plugin ids: a safe alphabet, never a path. */
const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function instanceIdParam(params: RouteParams): string {
  const id = params.instanceId ?? '';
  if (INSTANCE_ID.test(id)) return id;
  throw notFound(`instance ${JSON.stringify(id.slice(0, 80))} not found`);
}

/**
 * The lifecycle hook `instanceId` waits in, if any: `terminating` while an open terminate intent of
 * the group drains it with a hook deadline not yet passed, `launching` while the open launch intent
 * that launched it waits with a deadline not yet passed. Read from the intents, which only a holder
 * writes, so an answer is accepted only for a wait that exists.
 */
export async function waitingHook(
  store: GroupStore,
  group: GroupRecord,
  instanceId: string,
  now: number,
): Promise<LifecycleHookName | undefined> {
  if (group.state.openIntents.length === 0) return undefined;
  const intents: readonly Intent[] = await store.listOpenIntents(group.id);
  const launching = intents.some(
    (i) =>
      i.kind === 'launch' &&
      (i.launchedIds ?? []).includes(instanceId) &&
      i.launchingUntil !== undefined &&
      now < i.launchingUntil,
  );
  if (launching) return 'launching';
  const waits = intents.some(
    (i) =>
      i.kind === 'terminate' &&
      (i.ids ?? []).includes(instanceId) &&
      i.drain?.hookUntil !== undefined &&
      now < i.drain.hookUntil,
  );
  return waits ? 'terminating' : undefined;
}
