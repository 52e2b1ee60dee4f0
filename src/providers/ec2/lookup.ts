import type { InstanceGroupLookup } from '../../plugins/types.js';
import { TAG_CONTROLLER, TAG_GROUP } from '../../tags.js';
import { type Ec2ClientSource, loadEc2Sdk, resolveEc2Client } from './sdk.js';

const NOT_FOUND_CODES = new Set(['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed']);

/**
 * The instance → group fallback in AWS: exactly one DescribeInstances by id, reading the
 * `infrakit.group` tag (EC2 keeps terminated instances visible for about an hour). An unknown
 * instance, one without a group tag, or one of another controller (its `infrakit.controller` is
 * not `controllerId`) is not ours.
 */
export function ec2InstanceGroupLookup(client: Ec2ClientSource, controllerId: string): InstanceGroupLookup {
  return async (instanceId) => {
    const [ec2, sdk] = await Promise.all([resolveEc2Client(client), loadEc2Sdk()]);
    try {
      const out = await ec2.send(new sdk.DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find(
        (i) => i.InstanceId === instanceId,
      );
      const tag = (key: string) => instance?.Tags?.find((t) => t.Key === key)?.Value;
      if (tag(TAG_CONTROLLER) !== controllerId) return undefined;
      return tag(TAG_GROUP) || undefined;
    } catch (err) {
      if (err instanceof Error && NOT_FOUND_CODES.has(err.name)) return undefined;
      throw err;
    }
  };
}
