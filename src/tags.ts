/**
 * Tag names the controller writes on every instance at launch (never after). Membership lives in
 * these tags: the real world, not the store, says which instances belong to which group.
 */
export const TAG_PREFIX = 'infrakit.';
export const TAG_GROUP = 'infrakit.group';
export const TAG_CONFIG_HASH = 'infrakit.config-hash';
export const TAG_LOGICAL_ID = 'infrakit.logical-id';
export const TAG_INTENT = 'infrakit.intent';
/** Set to `true` by an operator: never chosen for scale-down, update or remediation. */
export const TAG_PROTECTED = 'infrakit.protected';

/** True when `key` is one of the controller's own tags, which user tags may never override. */
export function isControllerTag(key: string): boolean {
  return key.startsWith(TAG_PREFIX);
}
