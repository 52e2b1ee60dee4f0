import * as z from 'zod';
import { InstanceIdSchema } from './envelope.js';

/** `aws.ec2` / `EC2 Spot Instance Interruption Warning`: the instance goes in two minutes. */
export const EC2_SPOT_INTERRUPTION = 'EC2 Spot Instance Interruption Warning';

/** The notice comes two minutes before the action (no lead time for hibernate). */
export const SPOT_NOTICE_MS = 120_000;

export const SpotInterruptionDetailSchema = z.object({
  'instance-id': InstanceIdSchema,
  'instance-action': z.enum(['terminate', 'stop', 'hibernate']),
});

export type SpotInterruptionDetail = z.output<typeof SpotInterruptionDetailSchema>;
