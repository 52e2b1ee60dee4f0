/**
 * Event names shared by the handlers (which publish and consume them) and the CDK stack (which routes
 * them). Changing one is a breaking change for deployed stacks.
 */

/** `source` of the project's own EventBridge events. */
export const EVENT_SOURCE = 'infrakit';

/** Detail-types of the project's own events; both carry `{ groupIds: string[] }`. */
export const DETAIL_TYPE_SPEC_CHANGED = 'Group Spec Changed';
export const DETAIL_TYPE_RECONCILE_REQUESTED = 'Reconcile Requested';
/**
 * Published for applications, never consumed by the controller: an instance waits in its
 * `terminating` lifecycle hook (detail: groupId, instanceId, hook, deadline, defaultResult, reason)
 * until `POST /groups/{id}/instances/{instanceId}/complete` or the deadline.
 */
export const DETAIL_TYPE_INSTANCE_TERMINATING = 'Instance Terminating';
export const DETAIL_TYPE_INSTANCE_LAUNCHING = 'Instance Launching';
