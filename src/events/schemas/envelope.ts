import * as z from 'zod';

/**
 * The EventBridge envelope every event shares (`version: "0"`). Unknown fields are tolerated (AWS
 * adds some, e.g. `replay-name`); `detail` is validated by the schema of its kind.
 */
export const EnvelopeSchema = z.object({
  version: z.string().optional(),
  id: z.string().optional(),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string().optional(),
  time: z.string().optional(),
  region: z.string().optional(),
  resources: z.array(z.string()).optional(),
  detail: z.unknown(),
});

export type Envelope = z.output<typeof EnvelopeSchema>;

/** Epoch ms of the envelope's `time`, or `fallback` when missing or unparsable. */
export function eventTime(envelope: Envelope, fallback: number): number {
  const at = envelope.time ? Date.parse(envelope.time) : Number.NaN;
  return Number.isFinite(at) ? at : fallback;
}

/** EC2 instance ids as they appear in events (`i-` and 8 or 17 hex digits in AWS; emulators vary). */
export const InstanceIdSchema = z.string().regex(/^i-[0-9a-f]{1,32}$/, 'must be an EC2 instance id');
