import * as z from 'zod';
import { InstanceIdSchema } from './envelope.js';

/** `aws.ec2` / `EC2 Instance State-change Notification`. */
export const EC2_STATE_CHANGE = 'EC2 Instance State-change Notification';

export const StateChangeDetailSchema = z.object({
  'instance-id': InstanceIdSchema,
  state: z.enum(['pending', 'running', 'stopping', 'stopped', 'shutting-down', 'terminated']),
});

export type StateChangeDetail = z.output<typeof StateChangeDetailSchema>;

/** States after which the instance no longer serves: its group is reconciled at once. */
export const LEAVING_STATES: ReadonlySet<StateChangeDetail['state']> = new Set([
  'stopping',
  'stopped',
  'shutting-down',
  'terminated',
]);
