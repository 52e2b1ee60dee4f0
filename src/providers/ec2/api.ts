import type {
  AllocateAddressCommandInput,
  AllocateAddressCommandOutput,
  AssociateAddressCommandInput,
  AssociateAddressCommandOutput,
  AttachVolumeCommandInput,
  AttachVolumeCommandOutput,
  CreateNetworkInterfaceCommandInput,
  CreateNetworkInterfaceCommandOutput,
  CreateTagsCommandInput,
  CreateTagsCommandOutput,
  CreateVolumeCommandInput,
  CreateVolumeCommandOutput,
  DeleteNetworkInterfaceCommandInput,
  DeleteNetworkInterfaceCommandOutput,
  DeleteTagsCommandInput,
  DeleteTagsCommandOutput,
  DeleteVolumeCommandInput,
  DeleteVolumeCommandOutput,
  DescribeAddressesCommandInput,
  DescribeAddressesCommandOutput,
  DescribeImagesCommandInput,
  DescribeImagesCommandOutput,
  DescribeInstanceStatusCommandInput,
  DescribeInstanceStatusCommandOutput,
  DescribeInstancesCommandInput,
  DescribeInstancesCommandOutput,
  DescribeNetworkInterfacesCommandInput,
  DescribeNetworkInterfacesCommandOutput,
  DescribeSubnetsCommandInput,
  DescribeSubnetsCommandOutput,
  DescribeVolumesCommandInput,
  DescribeVolumesCommandOutput,
  DetachVolumeCommandInput,
  DetachVolumeCommandOutput,
  DisassociateAddressCommandInput,
  DisassociateAddressCommandOutput,
  ModifyNetworkInterfaceAttributeCommandInput,
  ModifyNetworkInterfaceAttributeCommandOutput,
  RebootInstancesCommandInput,
  RebootInstancesCommandOutput,
  ReleaseAddressCommandInput,
  ReleaseAddressCommandOutput,
  RunInstancesCommandInput,
  RunInstancesCommandOutput,
  TerminateInstancesCommandInput,
  TerminateInstancesCommandOutput,
} from '@aws-sdk/client-ec2';
import { abortable } from '../../abort.js';
import type { CallOptions } from '../types.js';
import { type RetryOptions, withRetry } from './retry.js';
import { type Ec2ClientSource, type Ec2Sdk, type Ec2Sender, loadEc2Sdk, resolveEc2Client } from './sdk.js';
import type { TokenBucket } from './token-bucket.js';

/**
 * The EC2 calls the provider makes, and no others (after Karpenter's `sdk.EC2API`). Each call is
 * counted, retried on throttling with jittered backoff, and `RunInstances` is paced by the token
 * bucket. Errors come out as the SDK threw them; callers classify them (`errors.ts`).
 *
 * Each call takes `options.signal`: it is handed to the SDK (`abortSignal`, which aborts the
 * request on the wire), and once it aborts no further attempt is sent and the backoff or the
 * bucket's wait ends; the call rejects with `signal.reason`.
 */
export interface Ec2Api {
  runInstances(input: RunInstancesCommandInput, options?: CallOptions): Promise<RunInstancesCommandOutput>;
  describeInstances(
    input: DescribeInstancesCommandInput,
    options?: CallOptions,
  ): Promise<DescribeInstancesCommandOutput>;
  describeInstanceStatus(
    input: DescribeInstanceStatusCommandInput,
    options?: CallOptions,
  ): Promise<DescribeInstanceStatusCommandOutput>;
  describeSubnets(
    input: DescribeSubnetsCommandInput,
    options?: CallOptions,
  ): Promise<DescribeSubnetsCommandOutput>;
  describeImages(
    input: DescribeImagesCommandInput,
    options?: CallOptions,
  ): Promise<DescribeImagesCommandOutput>;
  terminateInstances(
    input: TerminateInstancesCommandInput,
    options?: CallOptions,
  ): Promise<TerminateInstancesCommandOutput>;
  createTags(input: CreateTagsCommandInput, options?: CallOptions): Promise<CreateTagsCommandOutput>;
  // The remediation ladder's reboot, and an instance kept for forensics (forensics.ts).
  deleteTags(input: DeleteTagsCommandInput, options?: CallOptions): Promise<DeleteTagsCommandOutput>;
  rebootInstances(
    input: RebootInstancesCommandInput,
    options?: CallOptions,
  ): Promise<RebootInstancesCommandOutput>;
  // A pet's volumes, network interface and Elastic IP (pet-*.ts).
  allocateAddress(
    input: AllocateAddressCommandInput,
    options?: CallOptions,
  ): Promise<AllocateAddressCommandOutput>;
  associateAddress(
    input: AssociateAddressCommandInput,
    options?: CallOptions,
  ): Promise<AssociateAddressCommandOutput>;
  attachVolume(input: AttachVolumeCommandInput, options?: CallOptions): Promise<AttachVolumeCommandOutput>;
  createNetworkInterface(
    input: CreateNetworkInterfaceCommandInput,
    options?: CallOptions,
  ): Promise<CreateNetworkInterfaceCommandOutput>;
  createVolume(input: CreateVolumeCommandInput, options?: CallOptions): Promise<CreateVolumeCommandOutput>;
  deleteNetworkInterface(
    input: DeleteNetworkInterfaceCommandInput,
    options?: CallOptions,
  ): Promise<DeleteNetworkInterfaceCommandOutput>;
  deleteVolume(input: DeleteVolumeCommandInput, options?: CallOptions): Promise<DeleteVolumeCommandOutput>;
  describeAddresses(
    input: DescribeAddressesCommandInput,
    options?: CallOptions,
  ): Promise<DescribeAddressesCommandOutput>;
  describeNetworkInterfaces(
    input: DescribeNetworkInterfacesCommandInput,
    options?: CallOptions,
  ): Promise<DescribeNetworkInterfacesCommandOutput>;
  describeVolumes(
    input: DescribeVolumesCommandInput,
    options?: CallOptions,
  ): Promise<DescribeVolumesCommandOutput>;
  detachVolume(input: DetachVolumeCommandInput, options?: CallOptions): Promise<DetachVolumeCommandOutput>;
  disassociateAddress(
    input: DisassociateAddressCommandInput,
    options?: CallOptions,
  ): Promise<DisassociateAddressCommandOutput>;
  modifyNetworkInterfaceAttribute(
    input: ModifyNetworkInterfaceAttributeCommandInput,
    options?: CallOptions,
  ): Promise<ModifyNetworkInterfaceAttributeCommandOutput>;
  releaseAddress(
    input: ReleaseAddressCommandInput,
    options?: CallOptions,
  ): Promise<ReleaseAddressCommandOutput>;
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
  type Send<O> = (ec2: Ec2Sender, sdk: Ec2Sdk, http: { abortSignal?: AbortSignal }) => Promise<O>;
  const call = async <O>(
    operation: string,
    send: Send<O>,
    options: CallOptions | undefined,
    paced = false,
  ): Promise<O> => {
    const signal = options?.signal;
    signal?.throwIfAborted();
    // The SDK and the client load on the first call (see sdk.ts), not when the provider is built.
    const [ec2, sdk] = await abortable(Promise.all([resolveEc2Client(client), loadEc2Sdk()]), signal);
    const http = signal ? { abortSignal: signal } : {};
    return withRetry(
      operation,
      async () => {
        // Every attempt, retries included, is a request against EC2's bucket: each takes a token.
        if (paced) await bucket.take(signal);
        signal?.throwIfAborted();
        counter.record(operation);
        return send(ec2, sdk, http);
      },
      retry,
      signal,
    );
  };
  return {
    runInstances: (input, options) =>
      call(
        'RunInstances',
        (ec2, sdk, http) => ec2.send(new sdk.RunInstancesCommand(input), http),
        options,
        true,
      ),
    describeInstances: (input, options) =>
      call(
        'DescribeInstances',
        (ec2, sdk, http) => ec2.send(new sdk.DescribeInstancesCommand(input), http),
        options,
      ),
    describeInstanceStatus: (input, options) =>
      call(
        'DescribeInstanceStatus',
        (ec2, sdk, http) => ec2.send(new sdk.DescribeInstanceStatusCommand(input), http),
        options,
      ),
    describeSubnets: (input, options) =>
      call(
        'DescribeSubnets',
        (ec2, sdk, http) => ec2.send(new sdk.DescribeSubnetsCommand(input), http),
        options,
      ),
    describeImages: (input, options) =>
      call(
        'DescribeImages',
        (ec2, sdk, http) => ec2.send(new sdk.DescribeImagesCommand(input), http),
        options,
      ),
    terminateInstances: (input, options) =>
      call(
        'TerminateInstances',
        (ec2, sdk, http) => ec2.send(new sdk.TerminateInstancesCommand(input), http),
        options,
      ),
    createTags: (input, options) =>
      call('CreateTags', (ec2, sdk, http) => ec2.send(new sdk.CreateTagsCommand(input), http), options),
    deleteTags: (input, options) =>
      call('DeleteTags', (ec2, sdk, http) => ec2.send(new sdk.DeleteTagsCommand(input), http), options),
    rebootInstances: (input, options) =>
      call(
        'RebootInstances',
        (ec2, sdk, http) => ec2.send(new sdk.RebootInstancesCommand(input), http),
        options,
      ),
    allocateAddress: (input, options) =>
      call(
        'AllocateAddress',
        (ec2, sdk, http) => ec2.send(new sdk.AllocateAddressCommand(input), http),
        options,
      ),
    associateAddress: (input, options) =>
      call(
        'AssociateAddress',
        (ec2, sdk, http) => ec2.send(new sdk.AssociateAddressCommand(input), http),
        options,
      ),
    attachVolume: (input, options) =>
      call('AttachVolume', (ec2, sdk, http) => ec2.send(new sdk.AttachVolumeCommand(input), http), options),
    createNetworkInterface: (input, options) =>
      call(
        'CreateNetworkInterface',
        (ec2, sdk, http) => ec2.send(new sdk.CreateNetworkInterfaceCommand(input), http),
        options,
      ),
    createVolume: (input, options) =>
      call('CreateVolume', (ec2, sdk, http) => ec2.send(new sdk.CreateVolumeCommand(input), http), options),
    deleteNetworkInterface: (input, options) =>
      call(
        'DeleteNetworkInterface',
        (ec2, sdk, http) => ec2.send(new sdk.DeleteNetworkInterfaceCommand(input), http),
        options,
      ),
    deleteVolume: (input, options) =>
      call('DeleteVolume', (ec2, sdk, http) => ec2.send(new sdk.DeleteVolumeCommand(input), http), options),
    describeAddresses: (input, options) =>
      call(
        'DescribeAddresses',
        (ec2, sdk, http) => ec2.send(new sdk.DescribeAddressesCommand(input), http),
        options,
      ),
    describeNetworkInterfaces: (input, options) =>
      call(
        'DescribeNetworkInterfaces',
        (ec2, sdk, http) => ec2.send(new sdk.DescribeNetworkInterfacesCommand(input), http),
        options,
      ),
    describeVolumes: (input, options) =>
      call(
        'DescribeVolumes',
        (ec2, sdk, http) => ec2.send(new sdk.DescribeVolumesCommand(input), http),
        options,
      ),
    detachVolume: (input, options) =>
      call('DetachVolume', (ec2, sdk, http) => ec2.send(new sdk.DetachVolumeCommand(input), http), options),
    disassociateAddress: (input, options) =>
      call(
        'DisassociateAddress',
        (ec2, sdk, http) => ec2.send(new sdk.DisassociateAddressCommand(input), http),
        options,
      ),
    modifyNetworkInterfaceAttribute: (input, options) =>
      call(
        'ModifyNetworkInterfaceAttribute',
        (ec2, sdk, http) => ec2.send(new sdk.ModifyNetworkInterfaceAttributeCommand(input), http),
        options,
      ),
    releaseAddress: (input, options) =>
      call(
        'ReleaseAddress',
        (ec2, sdk, http) => ec2.send(new sdk.ReleaseAddressCommand(input), http),
        options,
      ),
  };
}
