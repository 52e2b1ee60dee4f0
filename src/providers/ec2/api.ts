import type {
  CreateTagsCommandInput,
  CreateTagsCommandOutput,
  DescribeImagesCommandInput,
  DescribeImagesCommandOutput,
  DescribeInstanceStatusCommandInput,
  DescribeInstanceStatusCommandOutput,
  DescribeInstancesCommandInput,
  DescribeInstancesCommandOutput,
  DescribeSubnetsCommandInput,
  DescribeSubnetsCommandOutput,
  RunInstancesCommandInput,
  RunInstancesCommandOutput,
  TerminateInstancesCommandInput,
  TerminateInstancesCommandOutput,
} from '@aws-sdk/client-ec2';
import { type RetryOptions, withRetry } from './retry.js';
import { type Ec2ClientSource, type Ec2Sdk, type Ec2Sender, loadEc2Sdk, resolveEc2Client } from './sdk.js';
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
  describeImages(input: DescribeImagesCommandInput): Promise<DescribeImagesCommandOutput>;
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
  readonly client: Ec2ClientSource;
  readonly counter: CallCounter;
  readonly bucket: TokenBucket;
  readonly retry: RetryOptions;
}

/** Wraps an `EC2Client` (built elsewhere, with its endpoint and region, now or on first use) into the narrow port. */
export function createEc2Api({ client, counter, bucket, retry }: Ec2ApiOptions): Ec2Api {
  type Send<O> = (ec2: Ec2Sender, sdk: Ec2Sdk) => Promise<O>;
  const call = async <O>(operation: string, send: Send<O>, paced = false): Promise<O> => {
    // The SDK and the client load on the first call (see sdk.ts), not when the provider is built.
    const [ec2, sdk] = await Promise.all([resolveEc2Client(client), loadEc2Sdk()]);
    return withRetry(
      operation,
      async () => {
        // Every attempt, retries included, is a request against EC2's bucket: each takes a token.
        if (paced) await bucket.take();
        counter.record(operation);
        return send(ec2, sdk);
      },
      retry,
    );
  };
  return {
    runInstances: (input) =>
      call('RunInstances', (ec2, sdk) => ec2.send(new sdk.RunInstancesCommand(input)), true),
    describeInstances: (input) =>
      call('DescribeInstances', (ec2, sdk) => ec2.send(new sdk.DescribeInstancesCommand(input))),
    describeInstanceStatus: (input) =>
      call('DescribeInstanceStatus', (ec2, sdk) => ec2.send(new sdk.DescribeInstanceStatusCommand(input))),
    describeSubnets: (input) =>
      call('DescribeSubnets', (ec2, sdk) => ec2.send(new sdk.DescribeSubnetsCommand(input))),
    describeImages: (input) =>
      call('DescribeImages', (ec2, sdk) => ec2.send(new sdk.DescribeImagesCommand(input))),
    terminateInstances: (input) =>
      call('TerminateInstances', (ec2, sdk) => ec2.send(new sdk.TerminateInstancesCommand(input))),
    createTags: (input) => call('CreateTags', (ec2, sdk) => ec2.send(new sdk.CreateTagsCommand(input))),
  };
}
