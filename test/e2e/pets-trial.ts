import {
  DescribeAddressesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeVolumesCommand,
  EC2Client,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { vanillaFlavor } from '../../src/flavors/vanilla/index.js';
import { TAG_DEVICE } from '../../src/providers/ec2/pet-resources.js';
import { Ec2Provider } from '../../src/providers/ec2/provider.js';
import { TokenBucket } from '../../src/providers/ec2/token-bucket.js';
import { createEngine } from '../../src/reconcile/index.js';
import type { Engine } from '../../src/reconcile/types.js';
import { validateSpec } from '../../src/spec/index.js';
import { DynamoGroupStore } from '../../src/store/index.js';
import { TAG_CONTROLLER, TAG_GROUP, TAG_LOGICAL_ID } from '../../src/tags.js';
import type { DynamoTestServer } from '../helpers/dynalite.js';
import { createNetwork, ec2Client } from '../providers/ec2-fixtures.js';
import { prng } from '../reconcile/trial.js';
import { ec2Spec, liveInstances, tagOf } from './ec2-world.js';

/**
 * The pets' crash-injection trial (issue: stateful pets). A 3-member group keeps a data volume, a
 * network interface and an Elastic IP per logical ID. Each replacement kills one member behind the
 * controller's back, then lets reconcilers, each a fresh "process", heal the group while crashes
 * are injected at random:
 *
 * - before a protocol step of the engine (its fault hook: the pass is abandoned, nothing cleaned
 *   up, the lease left to expire);
 * - at an EC2 call that changes the world (create, run, attach, associate), either before the
 *   request leaves (nothing happened) or after EC2 applied it with the answer lost (it happened,
 *   the process never knew). The process is then dead: its next engine step abandons the pass.
 *
 * After each replacement the clock passes the lease and the launch settle time and a clean
 * reconciler converges the group. The verdict counts, from moto itself, what must stay zero:
 * duplicate volumes (a logical ID with more than one data volume, or interface, or address), lost
 * ones (a logical ID whose volume, interface or address is not the one it had at the start), and
 * orphaned attachments (a volume attached to anything but its logical ID's one live instance, or a
 * live instance without its volume), plus open intents left behind.
 */

const LOGICAL_IDS = ['zk1', 'zk2', 'zk3'] as const;
const GROUP = 'zk';
const LEASE_TTL_MS = 60_000;
/** EC2 calls that change the world: where a crash can lose an answer. */
const MUTATING = new Set([
  'CreateVolumeCommand',
  'CreateNetworkInterfaceCommand',
  'AllocateAddressCommand',
  'RunInstancesCommand',
  'AttachVolumeCommand',
  'DetachVolumeCommand',
  'AssociateAddressCommand',
]);
const STEPS_PER_PASS = 30;

class Crash extends Error {
  constructor(where: string) {
    super(`injected crash ${where}`);
    this.name = 'Crash';
  }
}

export interface PetsTrialVerdict {
  readonly replacements: number;
  readonly duplicateVolumes: number;
  readonly lostVolumes: number;
  readonly orphanedAttachments: number;
  /** Interfaces and addresses: duplicates or lost, together. */
  readonly interfaceOrAddressFaults: number;
  readonly openIntents: number;
  /** Crashes injected: before engine steps, before EC2 calls, after EC2 calls (answer lost). */
  readonly crashes: { readonly step: number; readonly beforeCall: number; readonly afterCall: number };
  /** Passes it took to heal, at most, after the crashes stopped. */
  readonly maxRecoveryPasses: number;
}

interface Holdings {
  readonly volumes: Map<string, string[]>;
  readonly interfaces: Map<string, string[]>;
  readonly addresses: Map<string, string[]>;
  /** Volume id → instance ids it is attached to. */
  readonly attachments: Map<string, string[]>;
  /** Logical ID → live instance ids. */
  readonly instances: Map<string, string[]>;
}

async function holdings(raw: EC2Client, controllerId: string): Promise<Holdings> {
  const filters = [
    { Name: `tag:${TAG_CONTROLLER}`, Values: [controllerId] },
    { Name: `tag:${TAG_GROUP}`, Values: [GROUP] },
  ];
  const [v, n, a, live] = await Promise.all([
    raw.send(
      new DescribeVolumesCommand({ Filters: [...filters, { Name: 'tag-key', Values: [TAG_DEVICE] }] }),
    ),
    raw.send(new DescribeNetworkInterfacesCommand({ Filters: filters })),
    raw.send(new DescribeAddressesCommand({ Filters: filters })),
    liveInstances(raw, filters),
  ]);
  const by = <T>(
    items: readonly T[],
    lid: (x: T) => string | undefined,
    id: (x: T) => string | undefined,
  ) => {
    const out = new Map<string, string[]>();
    for (const x of items) {
      const key = lid(x) ?? '';
      out.set(key, [...(out.get(key) ?? []), id(x) ?? '']);
    }
    return out;
  };
  const volumes = v.Volumes ?? [];
  return {
    volumes: by(
      volumes,
      (x) => tagOf(x.Tags, TAG_LOGICAL_ID),
      (x) => x.VolumeId,
    ),
    interfaces: by(
      n.NetworkInterfaces ?? [],
      (x) => tagOf(x.TagSet, TAG_LOGICAL_ID),
      (x) => x.NetworkInterfaceId,
    ),
    addresses: by(
      a.Addresses ?? [],
      (x) => tagOf(x.Tags, TAG_LOGICAL_ID),
      (x) => x.AllocationId,
    ),
    attachments: new Map(
      volumes.map((x) => [x.VolumeId ?? '', (x.Attachments ?? []).map((t) => t.InstanceId ?? '')]),
    ),
    instances: by(
      live,
      (x) => tagOf(x.Tags, TAG_LOGICAL_ID),
      (x) => x.InstanceId,
    ),
  };
}

/** Runs `replacements` crash-injected replacements on moto at `endpoint`; the verdict counts what must be zero. */
export async function runPetsTrial(
  endpoint: string,
  dynamo: DynamoTestServer,
  options: { replacements: number; seed: number; crashRate?: number },
): Promise<PetsTrialVerdict> {
  const rand = prng(options.seed);
  const crashRate = options.crashRate ?? 0.08;
  const controllerId = `pets-trial-${options.seed}`;
  const raw = ec2Client(endpoint);
  const net = await createNetwork(raw);
  let offset = 0;
  const now = () => Date.now() + offset;
  const crashes = { step: 0, beforeCall: 0, afterCall: 0 };
  /** The "process" currently running: its death is seen by its next engine step. */
  let current = { dead: false, armed: false };
  const client = new EC2Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const process = current;
      const command = String(context.commandName ?? '');
      if (!process.armed || !MUTATING.has(command)) return next(args);
      if (process.dead) throw new Crash(`(dead process) at ${command}`);
      const roll = rand();
      if (roll < crashRate / 2) {
        crashes.beforeCall += 1;
        process.dead = true;
        throw new Crash(`before ${command}`);
      }
      const out = await next(args);
      if (roll < crashRate) {
        crashes.afterCall += 1;
        process.dead = true;
        throw new Crash(`after ${command} (its answer lost)`);
      }
      return out;
    },
    { step: 'initialize', name: 'crashInjection' },
  );
  const provider = new Ec2Provider({
    client,
    bucket: new TokenBucket({ capacity: 1_000, refillPerSecond: 1_000 }),
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
  });
  const ddb = dynamo.client();
  const store = new DynamoGroupStore({ client: ddb, tableName: await dynamo.newTable('pets') });
  let processes = 0;
  const engine = (armed: boolean): Engine => {
    const process = { dead: false, armed };
    current = process;
    processes += 1;
    return createEngine({
      store,
      controllerId,
      providers: new Map([[provider.name, provider]]),
      flavors: new Map([[vanillaFlavor.kind, vanillaFlavor]]),
      owner: `process-${processes}`,
      now,
      leaseTtlMs: LEASE_TTL_MS,
      describeTimeoutMs: 30_000,
      faults: {
        before(step) {
          if (process.dead) throw new Crash(`dead before ${step}`);
          if (armed && rand() < crashRate / STEPS_PER_PASS) {
            crashes.step += 1;
            process.dead = true;
            throw new Crash(`before ${step}`);
          }
        },
      },
    });
  };
  /** One pass by a fresh process; a crash leaves its lease to expire (the clock jumps past it). */
  const pass = async (armed: boolean) => {
    const e = engine(armed);
    let acted = true;
    try {
      const r = await e.reconcileGroup(GROUP);
      acted = r.outcome !== 'steady';
    } catch {
      // The process died mid-pass (PassAbandonedError): nothing of it is cleaned up.
    }
    if (current.dead) offset += LEASE_TTL_MS + 1_000;
    return acted && !current.dead;
  };
  /** Fault-free passes until one finds nothing to do. */
  const recover = async (): Promise<number> => {
    offset += 130_000; // past the lease and the launch settle time: open intents are finished
    for (let n = 1; n <= 25; n++) if (!(await pass(false))) return n;
    throw new Error('the group did not settle after 25 clean passes');
  };

  const props = {
    volumes: [{ device: '/dev/sdf', sizeGiB: 8 }],
    networkInterface: true,
    elasticIp: true,
  };
  const spec = validateSpec(ec2Spec(GROUP, 0, net, props, { allocation: { logicalIds: [...LOGICAL_IDS] } }));
  await store.putSpec(spec, { expectedVersion: 0, now: now() });
  await recover();
  const start = await holdings(raw, controllerId);

  let maxRecoveryPasses = 0;
  for (let i = 0; i < options.replacements; i++) {
    const lid = LOGICAL_IDS[Math.floor(rand() * LOGICAL_IDS.length)] ?? 'zk1';
    const victims = (await holdings(raw, controllerId)).instances.get(lid) ?? [];
    await raw.send(new TerminateInstancesCommand({ InstanceIds: victims }));
    for (let p = 0; p < 4; p++) await pass(true);
    maxRecoveryPasses = Math.max(maxRecoveryPasses, await recover());
  }

  const end = await holdings(raw, controllerId);
  let duplicateVolumes = 0;
  let lostVolumes = 0;
  let orphanedAttachments = 0;
  let interfaceOrAddressFaults = 0;
  for (const lid of LOGICAL_IDS) {
    const volumes = end.volumes.get(lid) ?? [];
    duplicateVolumes += Math.max(0, volumes.length - 1);
    const original = start.volumes.get(lid)?.[0];
    if (!original || !volumes.includes(original)) lostVolumes += 1;
    for (const kind of ['interfaces', 'addresses'] as const) {
      const now = end[kind].get(lid) ?? [];
      if (now.length !== 1 || now[0] !== start[kind].get(lid)?.[0]) interfaceOrAddressFaults += 1;
    }
    const holders = end.instances.get(lid) ?? [];
    for (const v of volumes) {
      const attached = end.attachments.get(v) ?? [];
      // Attached to exactly its logical ID's one live instance, and to nothing else.
      if (holders.length !== 1 || attached.length !== 1 || attached[0] !== holders[0])
        orphanedAttachments += 1;
    }
  }
  const openIntents = (await store.listOpenIntents(GROUP)).length;
  raw.destroy();
  client.destroy();
  ddb.destroy();
  return {
    replacements: options.replacements,
    duplicateVolumes,
    lostVolumes,
    orphanedAttachments,
    interfaceOrAddressFaults,
    openIntents,
    crashes,
    maxRecoveryPasses,
  };
}
