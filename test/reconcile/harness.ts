import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FlavorRegistry } from '../../src/flavors/types.js';
import { vanillaFlavor } from '../../src/flavors/vanilla/index.js';
import type { InstanceProvider } from '../../src/providers/types.js';
import { createEngine } from '../../src/reconcile/index.js';
import type { Engine, EngineDeps, FaultHook } from '../../src/reconcile/types.js';
import { type GroupSpec, type GroupSpecInput, validateSpec } from '../../src/spec/index.js';
import { DynamoGroupStore } from '../../src/store/index.js';
import type { GroupStore } from '../../src/store/types.js';
import type { DynamoTestServer } from '../helpers/dynalite.js';
import { FakeProvider, TEST_CONTROLLER_ID } from '../helpers/fake-provider.js';

/** A shared, manually advanced clock (epoch ms). */
export class FakeClock {
  constructor(public t = Date.UTC(2026, 0, 1)) {}
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export const LEASE_TTL_MS = 60_000;
export const flavors: FlavorRegistry = new Map([[vanillaFlavor.kind, vanillaFlavor]]);

/** One isolated world: a fresh table, a fake provider and a clock, with engines on top. */
export interface World {
  readonly store: DynamoGroupStore;
  readonly provider: InstanceProvider;
  readonly clock: FakeClock;
  readonly tableName: string;
  /** An engine on the world's store and provider; `overrides` replaces any of its dependencies. */
  engine(owner?: string, faults?: FaultHook, overrides?: Partial<EngineDeps>): Engine;
  /** Validates and stores `spec` (create or replace at the stored version). */
  put(spec: GroupSpecInput): Promise<GroupSpec>;
  close(): void;
}

let owners = 0;

export async function newWorld<P extends InstanceProvider = FakeProvider>(
  server: DynamoTestServer,
  makeProvider?: (clock: FakeClock) => P,
): Promise<World & { provider: P }> {
  const clock = new FakeClock();
  const provider = makeProvider
    ? makeProvider(clock)
    : (new FakeProvider({ now: clock.now }) as unknown as P);
  const client: DynamoDBClient = server.client();
  const tableName = await server.newTable('engine');
  const store = new DynamoGroupStore({ client, tableName });
  return {
    store,
    provider,
    clock,
    tableName,
    engine(owner, faults, overrides) {
      owners += 1;
      return createEngine({
        store,
        providers: new Map([[provider.name, provider]]),
        flavors,
        owner: owner ?? `engine-${owners}`,
        controllerId: TEST_CONTROLLER_ID,
        now: clock.now,
        leaseTtlMs: LEASE_TTL_MS,
        describeTimeoutMs: 200,
        ...(faults ? { faults } : {}),
        ...overrides,
      });
    },
    async put(input) {
      const spec = validateSpec(input);
      const current = await store.getGroup(spec.id);
      await store.putSpec(spec, { expectedVersion: current?.version ?? 0, now: clock.now() });
      return spec;
    },
    close() {
      client.destroy();
    },
  };
}

/** A spec for the fake provider with fast health policies, overridable field by field. */
export function fakeSpec(
  id: string,
  allocation: { size: number } | { logicalIds: string[] },
  extra: Partial<GroupSpecInput> = {},
  provider = 'fake',
): GroupSpecInput {
  return {
    id,
    allocation,
    instance: { provider, properties: { image: 'v1' } },
    health: { gracePeriodSeconds: 0, unhealthyTimeoutSeconds: 0 },
    update: { maxSurge: 1, maxUnavailable: 0 },
    ...extra,
  };
}

/** Runs passes until one acts no more (or `max` passes), advancing the clock a little each time. */
export async function settle(
  engine: Engine,
  clock: FakeClock,
  ids?: readonly string[],
  max = 20,
): Promise<number> {
  for (let pass = 1; pass <= max; pass++) {
    const report = await engine.sweep(ids ? { ids } : {});
    if (report.results.every((r) => r.outcome !== 'acted' && r.outcome !== 'removed' && r.outcome !== 'busy'))
      return pass;
    clock.advance(1_000);
  }
  throw new Error(`not steady after ${max} passes`);
}

/** A view of `base` with the listed methods replaced (the others forwarded), to watch or delay calls. */
export function overlayStore(base: GroupStore, over: Partial<GroupStore>): GroupStore {
  return new Proxy(base, {
    get(target, prop) {
      const own = (over as Record<PropertyKey, unknown>)[prop];
      if (own !== undefined) return own;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A fault hook that crashes the pass once, before its first `step`; `fired()` says whether it did. */
export function crashOnce(step: string, message = `crash before ${step}`): FaultHook & { fired(): boolean } {
  let armed = true;
  return {
    before(name) {
      if (armed && name === step) {
        armed = false;
        throw new Error(message);
      }
    },
    fired: () => !armed,
  };
}
