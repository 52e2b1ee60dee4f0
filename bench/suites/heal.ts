import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import type { EventDeps } from '../../src/events/context.js';
import { dispatchEvent } from '../../src/events/registry.js';
import { vanillaFlavor } from '../../src/flavors/vanilla/index.js';
import { Ec2Provider, TokenBucket } from '../../src/providers/ec2/index.js';
import { createEngine } from '../../src/reconcile/index.js';
import { validateSpec } from '../../src/spec/index.js';
import { DynamoGroupStore } from '../../src/store/index.js';
import { fixtureEvent } from '../../test/handlers/fixtures.js';
import { startDynalite } from '../../test/helpers/dynalite.js';
import { motoAvailable, startMoto } from '../../test/helpers/moto.js';
import type { BenchSuite, Figure } from '../types.js';

/**
 * heal.event-to-launch: handler time from an `EC2 Instance State-change Notification`
 * (terminated) to the replacement's RunInstances request leaving the process, against dynalite
 * and moto on loopback. The events run in rounds with a fresh moto (its DescribeInstances slows
 * down as terminated instances pile up, which real EC2 does not). The RunInstances token bucket is
 * opened wide: it paces bursts on purpose, and 200 back-to-back events are a burst no real group
 * produces. `heal.own-code.*` is the same window minus the time spent waiting for the emulators.
 */

const EVENTS = 200;
const ROUNDS = 4;
const GROUP_SIZE = 5;
const AMI = 'ami-12c6146b';

interface Clock {
  /** Set when the RunInstances request is handed to the HTTP layer. */
  runInstancesAt?: number;
  /** Emulator round trips completed inside the current window, ms. */
  ioMs: number;
  windowStart: number;
  /** Requests (command and ms) completed inside the current window. */
  calls: string[];
}

/** Times every request of `client`; marks the moment RunInstances leaves. */
function instrument(client: EC2Client | DynamoDBClient, clock: Clock): void {
  const stack = client.middlewareStack as {
    add(mw: unknown, options: { step: string; priority?: string; name: string }): void;
  };
  stack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: unknown) => {
        const started = performance.now();
        if (context.commandName === 'RunInstancesCommand' && clock.runInstancesAt === undefined) {
          clock.runInstancesAt = started;
        }
        try {
          return await next(args);
        } finally {
          if (started >= clock.windowStart && clock.runInstancesAt === undefined) {
            const ms = performance.now() - started;
            clock.ioMs += ms;
            clock.calls.push(`${context.commandName?.replace(/Command$/, '')} ${ms.toFixed(1)}`);
          }
        }
      },
    { step: 'finalizeRequest', priority: 'low', name: `heal-bench-timer-${Math.random()}` },
  );
}

function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

async function run(): Promise<Figure[]> {
  if (!motoAvailable()) {
    process.stderr.write('heal: moto server not available, skipped\n');
    return [];
  }
  const [dynamo, moto] = await Promise.all([startDynalite(), startMoto()]);
  const total: number[] = [];
  const own: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      await moto.reset();
      const clock: Clock = { ioMs: 0, windowStart: Number.POSITIVE_INFINITY, calls: [] };
      const options = {
        endpoint: moto.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      };
      const ec2 = new EC2Client({ ...options, maxAttempts: 1 });
      const outside = new EC2Client(options);
      const ddb = dynamo.client();
      instrument(ec2, clock);
      instrument(ddb, clock);
      const store = new DynamoGroupStore({ client: ddb, tableName: await dynamo.newTable('heal') });
      const provider = new Ec2Provider({
        client: ec2,
        bucket: new TokenBucket({ capacity: 1_000, refillPerSecond: 1_000 }),
      });
      const engine = createEngine({
        store,
        controllerId: 'bench-heal',
        providers: new Map([['ec2', provider]]),
        flavors: new Map([['vanilla', vanillaFlavor]]),
        owner: 'heal-bench',
      });
      const spec = validateSpec({
        id: 'heal',
        allocation: { size: GROUP_SIZE },
        instance: { provider: 'ec2', properties: { imageId: AMI, instanceType: 't3.micro' } },
      });
      await store.putSpec(spec, { createOnly: true, now: Date.now() });
      await engine.reconcileGroup('heal');
      const deps: EventDeps = { store, engine, busyRetryDelaysMs: [] };
      for (let n = 0; n < EVENTS / ROUNDS; n++) {
        const live = await provider.describe({ tags: { 'infrakit.group': 'heal' } });
        const victim = live.find((i) => i.state === 'running' || i.state === 'pending')?.id;
        if (!victim) throw new Error('no live instance to terminate');
        await outside.send(new TerminateInstancesCommand({ InstanceIds: [victim] }));
        clock.runInstancesAt = undefined;
        clock.ioMs = 0;
        clock.calls = [];
        clock.windowStart = performance.now();
        const outcome = await dispatchEvent(
          fixtureEvent('aws.ec2', 'state-change-terminated', {
            instanceId: victim,
            time: new Date().toISOString(),
          }),
          deps,
        );
        if (clock.runInstancesAt === undefined || outcome.results[0]?.launched !== 1) {
          throw new Error(`event ${n} did not launch a replacement: ${JSON.stringify(outcome.results)}`);
        }
        const elapsed = clock.runInstancesAt - clock.windowStart;
        total.push(elapsed);
        own.push(elapsed - clock.ioMs);
        clock.windowStart = Number.POSITIVE_INFINITY;
      }
      // One example of where the window goes, to see whether the emulators dominate.
      process.stderr.write(
        `heal: round ${round + 1}, last event's requests before RunInstances (ms): ${clock.calls.join(', ')}\n`,
      );
      ec2.destroy();
      outside.destroy();
      ddb.destroy();
    }
  } finally {
    await Promise.all([dynamo.stop(), moto.stop()]);
  }
  total.sort((a, b) => a - b);
  own.sort((a, b) => a - b);
  const fig = (name: string, value: number, goal: string): Figure => ({ name, value, unit: 'ms', goal });
  return [
    fig('heal.event-to-launch.p50.ms', percentile(total, 50), '<= 100'),
    fig('heal.event-to-launch.p99.ms', percentile(total, 99), '<= 300'),
    fig('heal.own-code.p50.ms', percentile(own, 50), 'informative'),
    fig('heal.own-code.p99.ms', percentile(own, 99), 'informative'),
  ];
}

export const suite: BenchSuite = { name: 'heal', run };
