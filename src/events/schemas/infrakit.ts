import * as z from 'zod';
import { GroupIdSchema } from '../../spec/schema.js';

/** Detail of the project's own events (`Group Spec Changed`, `Reconcile Requested`). */
export const OwnEventDetailSchema = z.object({
  groupIds: z.array(GroupIdSchema).min(1).max(1000),
  reason: z.string().max(1000).optional(),
  /** An operator's `POST …/reconcile`: a provider's standing rejection is tried once more. */
  retryRejected: z.boolean().optional(),
});

export type OwnEventDetail = z.output<typeof OwnEventDetailSchema>;
