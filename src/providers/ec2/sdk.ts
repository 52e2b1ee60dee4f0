import type { EC2Client, EC2ClientConfig } from '@aws-sdk/client-ec2';
import { type Deferred, onFirstUse, resolveDeferred } from '../../lazy.js';

/** The EC2 SDK module's type (for the lazy import below). */
export type Ec2Sdk = typeof import('@aws-sdk/client-ec2');

/** What the provider needs of a client: `send`. */
export type Ec2Sender = Pick<EC2Client, 'send'>;

/** A client given directly, or built on first use (see `lazyEc2Client`). */
export type Ec2ClientSource = Deferred<Ec2Sender>;

/**
 * The EC2 SDK, imported on first use: it is by far the heaviest module a handler loads (about
 * 200 ms on Node 20), and many invocations never call EC2 (API reads, events about instances that
 * are not ours).
 */
export const loadEc2Sdk = onFirstUse(() => import('@aws-sdk/client-ec2'));

/** An `EC2Client` built with `config` the first time it is needed, then kept. */
export function lazyEc2Client(config: EC2ClientConfig): () => Promise<Ec2Sender> {
  return onFirstUse(async () => new (await loadEc2Sdk()).EC2Client(config));
}

export const resolveEc2Client: (source: Ec2ClientSource) => Promise<Ec2Sender> = resolveDeferred;
