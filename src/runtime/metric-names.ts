/**
 * CloudWatch (EMF) names the reconciling handlers publish (`src/runtime/metrics.ts`) and the
 * stack's dashboard and alarms watch (`infra/lib/monitoring.ts`). Renaming one breaks the alarms of
 * deployed stacks.
 */
export const METRICS_NAMESPACE = 'InfraKit';
export const METRIC = {
  groupsSeen: 'GroupsSeen',
  groupsActed: 'GroupsActed',
  groupsBlocked: 'GroupsBlocked',
  launches: 'Launches',
  terminations: 'Terminations',
  errors: 'Errors',
} as const;
