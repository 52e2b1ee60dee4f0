import {
  CreateTagsCommand,
  type CreateTagsCommandInput,
  type CreateTagsCommandOutput,
  DescribeInstanceStatusCommand,
  type DescribeInstanceStatusCommandInput,
  type DescribeInstanceStatusCommandOutput,
  DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  type DescribeInstancesCommandOutput,
  DescribeSubnetsCommand,
  type DescribeSubnetsCommandInput,
  type DescribeSubnetsCommandOutput,
  type EC2Client,
  RunInstancesCommand,
  type RunInstancesCommandInput,
  type RunInstancesCommandOutput,
  TerminateInstancesCommand,
  type TerminateInstancesCommandInput,
  type TerminateInstancesCommandOutput,
} from '@aws-sdk/client-ec2';
import { type RetryOptions, withRetry } from './retry.js';
import type { TokenBucket } from './token-bucket.js';

/**
 * The EC2 calls the provider makes, and no others (after Karpenter's `sdk.EC2API`). Each call is
 * counted, retried on throttling with jittered backoff, and `RunInstances` is paced by the token
 * bucket. Errors come out as the SDK threw them; callers classify them (`errors.ts`).
 */
export interface Ec2Api {
  runInstances(input: RunInstancesCommandInput): Promise<RunInstancesCommandOutput>;
  describeInstances(input: DescribeInstancesCommandInput): Promise<DescribeInstancesCommandOutput>;
  describeInstanceStatus(
    input: DescribeInstanceStatusCommandInput,
  ): Promise<DescribeInstanceStatusCommandOutput>;
  describeSubnets(input: DescribeSubnetsCommandInput): Promise<DescribeSubnetsCommandOutput>;
  terminateInstances(input: TerminateInstancesCommandInput): Promise<TerminateInstancesCommandOutput>;
  createTags(input: CreateTagsCommandInput): Promise<CreateTagsCommandOutput>;
}

/** EC2 requests sent, by operation name (retries included): the figure the sweep benchmark reports. */
export class CallCounter {
  private readonly counts = new Map<string, number>();

  record(operation: string): void {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
  }

  /** Requests per operation, sorted by name. */
  snapshot(): Readonly<Record<string, number>> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  reset(): void {
    this.counts.clear();
  }
}

export interface Ec2ApiOptions {
  readonly client: Pick<EC2Client, 'send'>;
  readonly counter: CallCounter;
  readonly bucket: TokenBucket;
  readonly retry: RetryOptions;
}

/** Wraps an `EC2Client` (built elsewhere, with its endpoint and region) into the narrow port. */
export function createEc2Api({ client, counter, bucket, retry }: Ec2ApiOptions): Ec2Api {
  const call = <O>(operation: string, send: () => Promise<O>, paced = false): Promise<O> =>
    withRetry(
      operation,
      async () => {
        // Every attempt, retries included, is a request against EC2's bucket: each takes a token.
        if (paced) await bucket.take();
        counter.record(operation);
        return send();
      },
      retry,
    );
  return {
    runInstances: (input) => call('RunInstances', () => client.send(new RunInstancesCommand(input)), true),
    describeInstances: (input) =>
      call('DescribeInstances', () => client.send(new DescribeInstancesCommand(input))),
    describeInstanceStatus: (input) =>
      call('DescribeInstanceStatus', () => client.send(new DescribeInstanceStatusCommand(input))),
    describeSubnets: (input) => call('DescribeSubnets', () => client.send(new DescribeSubnetsCommand(input))),
    terminateInstances: (input) =>
      call('TerminateInstances', () => client.send(new TerminateInstancesCommand(input))),
    createTags: (input) => call('CreateTags', () => client.send(new CreateTagsCommand(input))),
  };
}
