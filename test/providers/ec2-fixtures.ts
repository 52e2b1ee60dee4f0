import { CreateSubnetCommand, CreateVpcCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';

/** An AMI moto knows (moto accepts unknown AMIs too, real EC2 would not). */
export const AMI = 'ami-12c6146b';

/** An EC2 client for a local endpoint: dummy credentials, never a real AWS endpoint; retries left to the provider. */
export function ec2Client(endpoint: string): EC2Client {
  return new EC2Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

/** An AWS error as the SDK throws it (its `name` is the EC2 error code). */
export function awsError(code: string, message = code): EC2ServiceException {
  return new EC2ServiceException({
    name: code,
    message,
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

/** A clock that only moves when slept on: pacing is checked without real sleeping. */
export function fakeClock(start = 1_000_000) {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
    elapsed: () => t - start,
  };
}

export interface TestNetwork {
  readonly vpcId: string;
  /** One subnet per AZ: us-east-1a 10.20.1.0/24, us-east-1b 10.20.2.0/24, us-east-1c 10.20.3.0/24. */
  readonly subnets: readonly { id: string; cidr: string; az: string }[];
}

/** A VPC with one subnet in each of three AZs. */
export async function createNetwork(client: EC2Client): Promise<TestNetwork> {
  const vpc = await client.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }));
  const vpcId = vpc.Vpc?.VpcId ?? '';
  const subnets = [];
  for (const [i, az] of ['us-east-1a', 'us-east-1b', 'us-east-1c'].entries()) {
    const cidr = `10.20.${i + 1}.0/24`;
    const out = await client.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: az }),
    );
    subnets.push({ id: out.Subnet?.SubnetId ?? '', cidr, az });
  }
  return { vpcId, subnets };
}

/**
 * A moto-backed client whose requests pass through `inject` first: it may throw an AWS error
 * (a fault at the SDK boundary) or return nothing to let the request reach moto.
 */
export function faultyClient(
  endpoint: string,
  inject: (commandName: string, input: Record<string, unknown>) => void,
): EC2Client {
  const client = ec2Client(endpoint);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      inject(String(context.commandName ?? ''), args.input as Record<string, unknown>);
      return next(args);
    },
    { step: 'initialize', name: 'faultInjection' },
  );
  return client;
}
