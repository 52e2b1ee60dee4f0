import type { DescribeSelector, InstanceOwner } from './providers/types.js';

/**
 * Tag names the controller writes on every instance at launch (never after). Membership lives in
 * these tags: the real world, not the store, says which instances belong to which group.
 */
export const TAG_PREFIX = 'infrakit.';
/**
 * Which controller owns the instance: unique to a stack (AWS) or to a table (local mode). An
 * instance is this controller's only when it carries this controller's identity and a group tag;
 * one with the right group but another identity is somebody else's and is never touched.
 */
export const TAG_CONTROLLER = 'infrakit.controller';
export const TAG_GROUP = 'infrakit.group';
export const TAG_CONFIG_HASH = 'infrakit.config-hash';
export const TAG_LOGICAL_ID = 'infrakit.logical-id';
export const TAG_INTENT = 'infrakit.intent';
/** Set to `true` by an operator: never chosen for scale-down, update or remediation. */
export const TAG_PROTECTED = 'infrakit.protected';
/**
 * Set (to the group id) on an instance kept for forensics (`health.retainForForensics`): it left
 * the group (its `infrakit.group` tag removed) and keeps running until someone looks at it.
 */
export const TAG_RETAINED = 'infrakit.retained';

/** True when `key` is one of the controller's own tags, which user tags may never override. */
export function isControllerTag(key: string): boolean {
  return key.startsWith(TAG_PREFIX);
}

/**
 * The controller's tags an instance may carry besides the user's: the four set at launch on every
 * instance, plus `infrakit.protected`, which an operator may add later. Pets also carry
 * `infrakit.logical-id`. A provider with a per-resource tag limit keeps room for all of them, so
 * that neither a launch nor a later label can exceed it.
 */
export const RESERVED_TAG_KEYS: readonly string[] = [
  TAG_CONTROLLER,
  TAG_GROUP,
  TAG_CONFIG_HASH,
  TAG_INTENT,
  TAG_PROTECTED,
];

/**
 * A controller identity: what `infrakit.controller` holds. EC2 tag values allow far more; this
 * keeps ids readable and safe in IAM condition values and filters.
 */
export const CONTROLLER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Throws unless `id` is a usable controller identity (see `CONTROLLER_ID_PATTERN`). */
export function checkControllerId(id: string): string {
  if (!CONTROLLER_ID_PATTERN.test(id)) {
    throw new Error(
      `controller id must be 1-128 letters, digits and . _ : - (starting with a letter or digit); got ${JSON.stringify(id)}`,
    );
  }
  return id;
}

/** The tags every instance of `owner` carries: this controller's identity and the group. */
export function ownerTags(owner: InstanceOwner): Record<string, string> {
  return { [TAG_CONTROLLER]: owner.controllerId, [TAG_GROUP]: owner.groupId };
}

/** Whether an instance's tags say it belongs to `owner` (this controller's identity and group). */
export function isOwnedBy(tags: Readonly<Record<string, string>>, owner: InstanceOwner): boolean {
  return tags[TAG_CONTROLLER] === owner.controllerId && tags[TAG_GROUP] === owner.groupId;
}

/** Every instance of one group of this controller. */
export function groupSelector(owner: InstanceOwner): DescribeSelector {
  return { tags: ownerTags(owner) };
}

/** Every instance of every group of this controller (one describe per sweep). */
export function controllerSelector(controllerId: string): DescribeSelector {
  return { tags: { [TAG_CONTROLLER]: controllerId }, tagKeys: [TAG_GROUP] };
}

/** The controller's own tags on one launch request, as the engine writes them. */
export function controllerTags(
  owner: InstanceOwner,
  configHash: string,
  token: string,
  logicalId?: string,
): Record<string, string> {
  return {
    ...ownerTags(owner),
    [TAG_CONFIG_HASH]: configHash,
    [TAG_INTENT]: token,
    ...(logicalId !== undefined ? { [TAG_LOGICAL_ID]: logicalId } : {}),
  };
}

/** True for `aws:`-prefixed keys (any case), which AWS reserves: no caller may set them. */
export function isAwsReservedTag(key: string): boolean {
  return key.toLowerCase().startsWith('aws:');
}
