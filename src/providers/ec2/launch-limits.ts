import { type FieldIssue, SpecValidationError } from '../../errors.js';
import { isAwsReservedTag, isControllerTag, RESERVED_TAG_KEYS } from '../../tags.js';
import type { ProvisionRequest } from '../types.js';
import type { Ec2Properties } from './properties.js';

/**
 * Limits EC2 enforces on a launch that the spec can break. RunInstances refuses a request over
 * them, which would otherwise only show later, as a group blocked on every launch.
 */

/** User tags per resource (instance and volume alike); `aws:` tags do not count and cannot be set. */
export const EC2_MAX_TAGS = 50;
export const EC2_MAX_TAG_KEY_LENGTH = 128;
export const EC2_MAX_TAG_VALUE_LENGTH = 256;
/** User data, in raw form before base64 encoding ("User data is limited to 16 KB"). */
export const EC2_MAX_USER_DATA_BYTES = 16 * 1024;

/** Tags `instance.properties.tags` may hold: the rest of EC2's 50 is kept for the controller's own. */
export const MAX_PROPERTY_TAGS = EC2_MAX_TAGS - RESERVED_TAG_KEYS.length;

/**
 * Checks one prepared launch request (the controller's tags, the flavor's tags and init script)
 * together with the group's properties against EC2's limits, as `provision` would send them:
 * the request's tags over the properties' tags, the init script as user data. Pure.
 *
 * Throws `SpecValidationError` whose paths name the request field at fault: `tags` (the count),
 * `tags.<key>` (one tag), `init` (the user data).
 */
export function checkLaunchRequest(p: Ec2Properties, request: ProvisionRequest): void {
  const issues: FieldIssue[] = [];

  for (const [key, value] of Object.entries(request.tags)) {
    if (isAwsReservedTag(key))
      issues.push({ path: `tags.${key}`, message: 'aws:* tags are reserved by AWS' });
    else if (key.length === 0 || key.length > EC2_MAX_TAG_KEY_LENGTH)
      issues.push({
        path: `tags.${key}`,
        message: `EC2 tag keys are 1-${EC2_MAX_TAG_KEY_LENGTH} characters`,
      });
    else if (value.length > EC2_MAX_TAG_VALUE_LENGTH)
      issues.push({
        path: `tags.${key}`,
        message: `EC2 tag values are at most ${EC2_MAX_TAG_VALUE_LENGTH} characters, got ${value.length}`,
      });
  }

  // What EC2 counts: every key on the instance once (the request's tags win over the properties'
  // for the same key), plus room for the controller's tags that come later (infrakit.protected).
  const controller = new Set(RESERVED_TAG_KEYS);
  const fromRequest = new Set<string>();
  for (const key of Object.keys(request.tags)) {
    if (isControllerTag(key)) controller.add(key);
    else fromRequest.add(key);
  }
  const fromProperties = Object.keys(p.tags).filter((k) => !fromRequest.has(k) && !controller.has(k));
  const total = controller.size + fromRequest.size + fromProperties.length;
  if (total > EC2_MAX_TAGS) {
    issues.push({
      path: 'tags',
      message:
        `${total} tags on each instance, more than the ${EC2_MAX_TAGS} EC2 allows per resource: ` +
        `${fromRequest.size} set by the flavor, ${fromProperties.length} by instance.properties.tags, ` +
        `${controller.size} kept for the controller's own (${[...controller].sort().join(', ')})`,
    });
  }

  if (request.init !== undefined) {
    const bytes = Buffer.byteLength(request.init, 'utf8');
    if (bytes > EC2_MAX_USER_DATA_BYTES) {
      issues.push({
        path: 'init',
        message:
          `the init script is ${bytes} bytes; EC2 user data is limited to ${EC2_MAX_USER_DATA_BYTES} bytes ` +
          '(16 KB) before base64 encoding',
      });
    }
  }

  if (issues.length > 0) throw new SpecValidationError(issues);
}
