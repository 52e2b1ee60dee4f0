import type { GroupOutcome } from './context.js';
import type { PlanAction, TerminateReason } from './types.js';

const TERMINATE_LABEL: Record<TerminateReason, string> = {
  'scale-down': 'scale-down',
  'duplicate-logical-id': 'duplicate logical ID',
  'unknown-logical-id': 'unknown logical ID',
  unhealthy: 'unhealthy',
  failed: 'failed',
  outdated: 'outdated',
  retiring: 'retiring',
  'launch-abandoned': 'launch abandoned',
};

function listIds(ids: readonly string[]): string {
  return ids.length <= 3 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')} +${ids.length - 3} more`;
}

function describe(action: PlanAction, o: GroupOutcome): string {
  if (action.kind === 'reboot') return `reboot ${action.ids.length} unhealthy`;
  if (action.kind === 'launch') {
    switch (action.reason) {
      case 'scale-up':
        return `launch ${action.count} (scale-up ${o.current}→${o.desired})`;
      case 'replace':
        return `launch ${action.count} (replace)`;
      case 'update':
        return `launch ${action.count} updated`;
      case 'missing-logical-id':
        return `launch ${action.count} (missing ${listIds(action.logicalIds ?? [])})`;
    }
  }
  if (action.reason === 'scale-down')
    return `terminate ${action.ids.length} (scale-down ${o.current}→${o.desired})`;
  const verb = action.retain ? 'retain' : 'terminate';
  return `${verb} ${action.ids.length} ${TERMINATE_LABEL[action.reason]}`;
}

function isUpdateStep(action: PlanAction): boolean {
  if (action.kind === 'reboot') return false;
  return action.kind === 'launch' ? action.reason === 'update' : action.reason === 'outdated';
}

/**
 * The one-line summary shown by pretend and the CLI, e.g.
 * `launch 2 (scale-up 3→5); terminate 1 outdated (rolling update 2/5 done)` or `steady: 5/5 healthy`.
 */
export function summarize(
  actions: readonly PlanAction[],
  o: GroupOutcome,
  blocked: { readonly reason: string } | undefined,
): string {
  const progress = `rolling update ${o.updated}/${o.desired} done`;
  const parts = actions.map((a) => describe(a, o));
  let lastUpdate = -1;
  actions.forEach((a, i) => {
    if (isUpdateStep(a)) lastUpdate = i;
  });
  if (lastUpdate >= 0) parts[lastUpdate] = `${parts[lastUpdate]} (${progress})`;
  else if (o.rolling && parts.length > 0) parts.push(progress);

  if (parts.length === 0) {
    if (blocked) return `blocked: ${blocked.reason}`;
    if (o.settled) return `steady: ${o.available}/${o.desired} healthy`;
    const waiting = [`${o.available}/${o.desired} healthy`];
    if (o.starting > 0) waiting.push(`${o.starting} starting`);
    if (o.rolling) waiting.push(progress);
    return `waiting: ${waiting.join(', ')}`;
  }
  const line = parts.join('; ');
  return blocked ? `${line}; blocked: ${blocked.reason}` : line;
}
