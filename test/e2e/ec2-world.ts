import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeInstancesCommand,
  type EC2Client,
  type Instance,
  RunInstancesCommand,
  type Tag,
} from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { FlavorRegistry } from '../../src/flavors/types.js';
import { vanillaFlavor } from '../../src/flavors/vanilla/index.js';
import { Ec2Provider } from '../../src/providers/ec2/provider.js';
import { Elbv2TargetGroups } from '../../src/providers/ec2/targets.js';
import { TokenBucket } from '../../src/providers/ec2/token-bucket.js';
import type { TargetGroups } from '../../src/providers/types.js';
import { createEngine } from '../../src/reconcile/index.js';
import type { Engine, EngineDeps, FaultHook, SweepReport } from '../../src/reconcile/types.js';
import { type GroupSpec, type GroupSpecInput, validateSpec } from '../../src/spec/index.js';
import { DynamoGroupStore } from '../../src/store/index.js';
import { TAG_CONTROLLER, TAG_GROUP } from '../../src/tags.js';
import { type DynamoTestServer, startDynalite } from '../helpers/dynalite.js';
import { startMoto } from '../helpers/moto.js';
import { AMI, createNetwork, ec2Client, faultyClient, type TestNetwork } from '../providers/ec2-fixtures.js';

/**
 * One end-to-end world: the real engine, the real DynamoDB store (on dynalite) and the real EC2
 * provider talking to moto through an SDK client whose every request is recorded and may be
 * failed by an injected fault (SDK middleware, before the request leaves the process).
 */

/** A request the provider's client sent (or tried to send), as the SDK saw it. */
export interface SentRequest {
  readonly command: string;
  readonly input: Record<string, unknown>;
}

/** Called before each request; throw an AWS error to fail it, or return to let it through. */
export type RequestFault = (command: string, input: Record<string, unknown>) => void;

export const LEASE_TTL_MS = 60_000;
const flavors: FlavorRegistry = new Map([[vanillaFlavor.kind, vanillaFlavor]]);

export interface Ec2World {
  /** An unrecorded, fault-free client for out-of-band actions and for looking. */
  readonly raw: EC2Client;
  readonly store: DynamoGroupStore;
  readonly provider: Ec2Provider;
  /** Every request the provider sent, EC2 and ELBv2 in one timeline, in order (faulted ones included). */
  readonly sent: SentRequest[];
  /** The provider's ELBv2 target groups (moto's), counted by operation. */
  readonly targets: Elbv2TargetGroups;
  /** An unrecorded ELBv2 client for out-of-band actions and for looking. */
  readonly rawElb: ElasticLoadBalancingV2Client;
  /** The fault applied to the provider's next requests; undefined lets everything through. */
  fault: RequestFault | undefined;
  /** Epoch ms as the engine sees it: real time plus `advance`d offsets (so leases can expire). */
  now(): number;
  advance(ms: number): void;
  engine(faults?: FaultHook, extra?: Partial<EngineDeps>): Engine;
  /** Validates and stores `spec`, creating it or replacing it at its stored version. */
  put(spec: GroupSpecInput): Promise<GroupSpec>;
  /** The identity this world's engines run as (its `infrakit.controller`). */
  readonly controllerId: string;
  /** This controller's instances of the group in any non-terminated state, straight from moto. */
  live(groupId: string): Promise<Instance[]>;
  /** Ids sent in TerminateInstances requests that reached moto. */
  terminated(): string[];
  close(): void;
}

export interface Ec2WorldOptions {
  retryAttempts?: number;
  controllerId?: string;
  /** Wraps the provider's target groups (to play what moto lacks, such as `draining`). */
  targets?: (real: TargetGroups) => TargetGroups;
}

export async function newEc2World(
  endpoint: string,
  dynamo: DynamoTestServer,
  options: Ec2WorldOptions = {},
): Promise<Ec2World> {
  const controllerId = options.controllerId ?? 'e2e-controller';
  let offset = 0;
  const now = () => Date.now() + offset;
  const sent: SentRequest[] = [];
  const reached: SentRequest[] = [];
  const world = { fault: undefined as RequestFault | undefined };
  const client = faultyClient(endpoint, (command, input) => {
    sent.push({ command, input });
    world.fault?.(command, input);
    reached.push({ command, input });
  });
  const elbClient = (record: boolean) => {
    const c = new ElasticLoadBalancingV2Client({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    if (record)
      c.middlewareStack.add(
        (next, context) => async (args) => {
          const command = String(context.commandName ?? '');
          const input = args.input as Record<string, unknown>;
          sent.push({ command, input });
          world.fault?.(command, input);
          reached.push({ command, input });
          return next(args);
        },
        { step: 'initialize', name: 'recordElbv2' },
      );
    return c;
  };
  const elb = elbClient(true);
  const rawElb = elbClient(false);
  const targets = new Elbv2TargetGroups(elb);
  const provider = new Ec2Provider({
    client,
    targets: options.targets ? options.targets(targets) : targets,
    // RunInstances pacing is proven by the provider's own tests; here it would only slow moto down.
    bucket: new TokenBucket({ capacity: 1_000, refillPerSecond: 1_000 }),
    retry: { maxAttempts: options.retryAttempts ?? 3, baseDelayMs: 1, maxDelayMs: 5 },
  });
  const ddb: DynamoDBClient = dynamo.client();
  const store = new DynamoGroupStore({ client: ddb, tableName: await dynamo.newTable('e2e') });
  const raw = ec2Client(endpoint);
  let owners = 0;
  return Object.assign(world, {
    controllerId,
    raw,
    store,
    provider,
    sent,
    targets,
    rawElb,
    now,
    advance(ms: number) {
      offset += ms;
    },
    engine(faults?: FaultHook, extra: Partial<EngineDeps> = {}) {
      owners += 1;
      return createEngine({
        store,
        controllerId,
        providers: new Map([[provider.name, provider]]),
        flavors,
        owner: `e2e-${owners}`,
        now,
        leaseTtlMs: LEASE_TTL_MS,
        // moto slows down as instances pile up; a slow answer is not what these tests are about.
        describeTimeoutMs: 30_000,
        ...(faults ? { faults } : {}),
        ...extra,
      });
    },
    async put(input: GroupSpecInput) {
      const spec = validateSpec(input);
      const current = await store.getGroup(spec.id);
      await store.putSpec(spec, { expectedVersion: current?.version ?? 0, now: now() });
      return spec;
    },
    async live(groupId: string) {
      return liveInstances(raw, [
        { Name: `tag:${TAG_CONTROLLER}`, Values: [controllerId] },
        { Name: `tag:${TAG_GROUP}`, Values: [groupId] },
      ]);
    },
    terminated() {
      return reached
        .filter((r) => r.command === 'TerminateInstancesCommand')
        .flatMap((r) => (r.input.InstanceIds as string[] | undefined) ?? []);
    },
    close() {
      client.destroy();
      raw.destroy();
      elb.destroy();
      rawElb.destroy();
      ddb.destroy();
    },
  });
}

/** Non-terminated instances matching `filters`, every page read. */
export async function liveInstances(
  client: EC2Client,
  filters: { Name: string; Values: string[] }[],
): Promise<Instance[]> {
  const out: Instance[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new DescribeInstancesCommand({
        Filters: [
          ...filters,
          {
            Name: 'instance-state-name',
            Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'],
          },
        ],
        ...(token ? { NextToken: token } : {}),
      }),
    );
    for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
    token = page.NextToken || undefined;
  } while (token);
  return out.sort((a, b) => (a.InstanceId ?? '').localeCompare(b.InstanceId ?? ''));
}

/** A tag's value on an EC2 resource. */
export function tagOf(tags: readonly Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

/** An `ec2` group spec for moto, with health windows of zero so that every step can progress at once. */
export function ec2Spec(
  id: string,
  size: number,
  net: TestNetwork,
  properties: Record<string, unknown> = {},
  extra: Partial<GroupSpecInput> = {},
): GroupSpecInput {
  return {
    id,
    allocation: { size },
    instance: {
      provider: 'ec2',
      properties: {
        imageId: AMI,
        instanceType: 't3.micro',
        subnetIds: net.subnets.map((s) => s.id),
        tags: { team: 'e2e' },
        ...properties,
      },
    },
    flavor: { kind: 'vanilla', properties: { init: ['echo hello'] } },
    health: { gracePeriodSeconds: 0, unhealthyTimeoutSeconds: 0 },
    update: { maxSurge: 1, maxUnavailable: 0, minHealthySeconds: 0 },
    ...extra,
  };
}

/**
 * Sweeps `ids` until a pass acts no more, calling `observe` after every pass (the moment a user
 * would look). Throws when not converged within `max` passes: a bound, so a livelock fails.
 */
export async function converge(
  engine: Engine,
  ids: readonly string[],
  observe: (report: SweepReport) => Promise<void> = async () => {},
  max = 20,
): Promise<number> {
  for (let pass = 1; pass <= max; pass++) {
    const report = await engine.sweep({ ids });
    await observe(report);
    const failed = report.results.find((r) => r.outcome === 'failed');
    if (failed) throw new Error(`pass ${pass} failed for ${failed.groupId}: ${failed.error ?? '?'}`);
    if (report.results.every((r) => r.outcome !== 'acted' && r.outcome !== 'removed' && r.outcome !== 'busy'))
      return pass;
  }
  throw new Error(`groups ${ids.join(', ')} not converged after ${max} passes`);
}

/** Instances launched by someone else in the same account: no tags, another system's, another controller's. */
export async function launchForeign(client: EC2Client, net: TestNetwork): Promise<string[]> {
  const kinds: (Tag[] | undefined)[] = [
    undefined,
    [
      { Key: 'owner', Value: 'another-system' },
      { Key: 'Name', Value: 'not-ours' },
    ],
    [{ Key: TAG_GROUP, Value: 'a-group-this-table-does-not-know' }],
  ];
  const ids: string[] = [];
  for (const tags of kinds) {
    const out = await client.send(
      new RunInstancesCommand({
        ImageId: AMI,
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
        SubnetId: net.subnets[0]?.id,
        ...(tags ? { TagSpecifications: [{ ResourceType: 'instance', Tags: tags }] } : {}),
      }),
    );
    ids.push(...(out.Instances ?? []).map((i) => i.InstanceId ?? ''));
  }
  return ids;
}

/**
 * A moto server (reset) and a dynalite, with a client straight to moto and a test network on it:
 * what every end-to-end file and moto bench starts with. `world` makes worlds on them; `stop` closes
 * the worlds made and stops both servers.
 */
export interface MotoEc2 {
  /** An SDK client straight to moto (no recording, no faults), for setup and checks. */
  readonly raw: EC2Client;
  readonly net: TestNetwork;
  world(options?: Ec2WorldOptions): Promise<Ec2World>;
  /** Closes the worlds made so far (the servers keep running). */
  closeWorlds(): void;
  stop(): Promise<void>;
}

export async function startMotoEc2(): Promise<MotoEc2> {
  const [moto, dynamo] = await Promise.all([startMoto(), startDynalite()]);
  const raw = ec2Client(moto.endpoint);
  const worlds: Ec2World[] = [];
  const closeWorlds = () => {
    for (const w of worlds.splice(0)) w.close();
  };
  try {
    await moto.reset();
    const net = await createNetwork(raw);
    return {
      raw,
      net,
      async world(options = {}) {
        const w = await newEc2World(moto.endpoint, dynamo, options);
        worlds.push(w);
        return w;
      },
      closeWorlds,
      async stop() {
        closeWorlds();
        raw.destroy();
        await Promise.all([moto.stop(), dynamo.stop()]);
      },
    };
  } catch (err) {
    raw.destroy();
    await Promise.all([moto.stop(), dynamo.stop()]);
    throw err;
  }
}
