import * as z from 'zod';

/** `aws.health` / `AWS Health Event`; only EC2 `scheduledChange` events are acted on. */
export const AWS_HEALTH_EVENT = 'AWS Health Event';

export const HealthDetailSchema = z.object({
  eventArn: z.string().optional(),
  service: z.string(),
  eventTypeCode: z.string().optional(),
  eventTypeCategory: z.string(),
  startTime: z.string().optional(),
  endTime: z.string().optional(),
  affectedEntities: z.array(z.object({ entityValue: z.string() })).default([]),
});

export type HealthDetail = z.output<typeof HealthDetailSchema>;
