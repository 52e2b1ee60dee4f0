import type { EC2Client, EC2ClientConfig } from '@aws-sdk/client-ec2';

/** The EC2 SDK module's type (for the lazy import below). */
export type Ec2Sdk = typeof import('@aws-sdk/client-ec2');

/** What the provider needs of a client: `send`. */
export type Ec2Sender = Pick<EC2Client, 'send'>;

let loading: Promise<Ec2Sdk> | undefined;

/**
 * The EC2 SDK, imported on first use. It is by far the heaviest module a handler loads (about
 * 200 ms on Node 20), and many invocations never call EC2 (API reads, events about instances that
 * are not ours), so a Lambda's init phase does not pay for it.
 */
export function loadEc2Sdk(): Promise<Ec2Sdk> {
  loading ??= import('@aws-sdk/client-ec2');
  return loading;
}

/** A client given directly, or built on first use (see `lazyEc2Client`). */
export type Ec2ClientSource = Ec2Sender | (() => Promise<Ec2Sender>);

/** An `EC2Client` built with `config` the first time it is needed, then kept. */
export function lazyEc2Client(config: EC2ClientConfig): () => Promise<Ec2Sender> {
  let client: Promise<Ec2Sender> | undefined;
  return () => {
    client ??= loadEc2Sdk().then((sdk) => new sdk.EC2Client(config));
    return client;
  };
}

/** Resolves a client source to a client. */
export async function resolveEc2Client(source: Ec2ClientSource): Promise<Ec2Sender> {
  return typeof source === 'function' ? source() : source;
}
