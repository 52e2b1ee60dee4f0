import * as z from 'zod';
import { InstanceIdSchema } from './envelope.js';

/** `aws.ec2` / `EC2 Instance Rebalance Recommendation`: a Spot instance at elevated risk. */
export const EC2_REBALANCE = 'EC2 Instance Rebalance Recommendation';

/**
 * No deadline comes with a rebalance recommendation; it usually precedes an interruption by
 * 10–20 minutes, so the instance is kept this long for its replacement to become healthy.
 */
export const REBALANCE_GRACE_MS = 10 * 60_000;

export const RebalanceDetailSchema = z.object({ 'instance-id': InstanceIdSchema });

export type RebalanceDetail = z.output<typeof RebalanceDetailSchema>;
