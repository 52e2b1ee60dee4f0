import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FlavorRegistry } from '../src/flavors/types.js';
import { vanillaFlavor } from '../src/flavors/vanilla/index.js';
import { Ec2Provider } from '../src/providers/ec2/provider.js';
import { createEngine } from '../src/reconcile/index.js';
import type { Engine, EngineDeps } from '../src/reconcile/types.js';
import { configHash, type GroupSpecInput, validateSpec } from '../src/spec/index.js';
import { DynamoGroupStore } from '../src/store/index.js';
import { TAG_CONFIG_HASH, TAG_CONTROLLER, TAG_GROUP, TAG_INTENT } from '../src/tags.js';
import type { DynamoTestServer } from '../test/helpers/dynalite.js';
import { FakeEc2 } from '../test/helpers/fake-ec2.js';
import { fakeEc2HttpClient } from '../test/helpers/fake-ec2-http.js';

/**
 * A controller over the paging fake EC2 (test/helpers/fake-ec2.ts) and dynalite, in this process:
 * `groups` groups of `size` running instances each, tagged as the engine tags a launch, so that the
 * first sweep adopts them. For figures at sizes moto cannot reach and for the cost model.
 */

/** DynamoDB capacity consumed, as DynamoDB reports it (`ReturnConsumedCapacity: TOTAL`). */
export interface ConsumedCapacity {
  /** Read capacity units: strongly consistent reads count 1 per 4 KB, a Query page by its size. */
  reads: number;
  /** Write capacity units: 1 per 1 KB written. */
  writes: number;
  /** Requests by operation. */
  readonly requests: Map<string, number>;
}

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/** Asks DynamoDB for the capacity every read and write consumes and adds it up in `capacity`. */
export function countCapacity(client: DynamoDBClient, capacity: ConsumedCapacity): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      const isRead = READS.has(operation);
      if (!isRead && !WRITES.has(operation)) return next(args);
      capacity.requests.set(operation, (capacity.requests.get(operation) ?? 0) + 1);
      const input = args.input as { ReturnConsumedCapacity?: string };
      input.ReturnConsumedCapacity ??= 'TOTAL';
      try {
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
        const units = [consumed]
          .flat()
          .reduce<number>(
            (sum, c) => sum + ((c as { CapacityUnits?: number } | undefined)?.CapacityUnits ?? 0),
            0,
          );
        if (isRead) capacity.reads += units;
        else capacity.writes += units;
        return result;
      } catch (err) {
        // A refused conditional write still costs a write unit (DynamoDB charges the attempt).
        if (!isRead) capacity.writes += 1;
        throw err;
      }
    },
    { step: 'initialize', name: 'benchConsumedCapacity' },
  );
}

export interface FakeWorld {
  readonly ec2: FakeEc2;
  readonly provider: Ec2Provider;
  readonly store: DynamoGroupStore;
  readonly capacity: ConsumedCapacity;
  /** Wall and CPU time the fake spent answering EC2 requests (EC2's side), when reached `via: 'sdk'`. */
  readonly ec2Time: { serverMs: number; serverCpuMs: number };
  readonly controllerId: string;
  readonly ids: readonly string[];
  /** An engine as the Lambda runtime builds it (src/runtime/aws.ts): default timeouts and leases. */
  engine(options?: Partial<EngineDeps>): Engine;
  close(): void;
}

const flavors: FlavorRegistry = new Map([[vanillaFlavor.kind, vanillaFlavor]]);

export function benchSpec(id: string, size: number): GroupSpecInput {
  return {
    id,
    allocation: { size },
    instance: { provider: 'ec2', properties: { imageId: 'ami-12c6146b', instanceType: 't3.micro' } },
    health: { gracePeriodSeconds: 0, unhealthyTimeoutSeconds: 0 },
  };
}

export function groupIds(groups: number): string[] {
  const digits = String(groups - 1).length;
  return Array.from({ length: groups }, (_, g) => `g${g.toString().padStart(digits, '0')}`);
}

export interface FakeWorldOptions {
  readonly controllerId?: string;
  /**
   * How the provider reaches the fake: `object`, as an `EC2Client` stand-in (fast; for counting
   * calls), or `sdk`, through a real `EC2Client` speaking EC2's query protocol and XML (the SDK's
   * own work included; for measuring time). @default 'object'
   */
  readonly via?: 'object' | 'sdk';
}

export async function fakeWorld(
  dynamo: DynamoTestServer,
  groups: number,
  size: number,
  options: FakeWorldOptions = {},
): Promise<FakeWorld> {
  const controllerId = options.controllerId ?? 'bench-controller';
  const ec2 = new FakeEc2();
  const ec2Time = { serverMs: 0, serverCpuMs: 0 };
  const provider = new Ec2Provider({
    client: options.via === 'sdk' ? fakeEc2HttpClient(ec2, ec2Time) : ec2.client(),
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
  });
  const client = dynamo.client();
  const store = new DynamoGroupStore({ client, tableName: await dynamo.newTable('bench') });
  const capacity: ConsumedCapacity = { reads: 0, writes: 0, requests: new Map() };
  countCapacity(client, capacity);
  const ids = groupIds(groups);
  const now = Date.now();
  for (const id of ids) {
    const spec = validateSpec(benchSpec(id, size));
    await store.putSpec(spec, { createOnly: true, now });
    ec2.seed(size, {
      [TAG_CONTROLLER]: controllerId,
      [TAG_GROUP]: id,
      [TAG_CONFIG_HASH]: configHash(spec),
      [TAG_INTENT]: `${id}-bench`,
    });
  }
  let owners = 0;
  return {
    ec2,
    provider,
    store,
    capacity,
    ec2Time,
    controllerId,
    ids,
    engine(options = {}) {
      owners += 1;
      return createEngine({
        store,
        providers: new Map([[provider.name, provider]]),
        flavors,
        owner: `bench-${owners}`,
        controllerId,
        ...options,
      });
    },
    close() {
      client.destroy();
    },
  };
}
