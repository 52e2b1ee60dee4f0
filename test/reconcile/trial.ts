import type { InstanceDescription, InstanceProvider } from '../../src/providers/types.js';
import { PassAbandonedError } from '../../src/reconcile/index.js';
import type { Engine } from '../../src/reconcile/types.js';
import { configHash, type GroupSpecInput, validateSpec } from '../../src/spec/index.js';
import { TAG_CONFIG_HASH, TAG_GROUP, TAG_INTENT, TAG_LOGICAL_ID } from '../../src/tags.js';
import type { DynamoTestServer } from '../helpers/dynalite.js';
import { FakeProvider } from '../helpers/fake-provider.js';
import { type FakeClock, fakeSpec, LEASE_TTL_MS, newWorld, settle } from './harness.js';

/**
 * The concurrency trial (DESIGN §5): several reconcilers with distinct owners share one table, one
 * provider and one clock, and run passes and sweeps at once over a few groups while the specs
 * change under them; one of them crashes before a random protocol step. Then the clock passes the
 * lease TTL and a recovery reconciler sweeps until steady. The verdict counts what must be zero.
 */

/** Every step the engine announces to its fault hook, i.e. every gap a crash can fall into. */
export const PROTOCOL_STEPS = [
  'read',
  'observe',
  'load-intents',
  'plan',
  'acquire-lease',
  'reread',
  'reobserve',
  'prune-intents',
  'put-intent',
  'provision',
  'record-launched',
  'index-instances',
  'verify-launch',
  'drain',
  'destroy',
  'complete-intent',
  'update-state',
  'append-events',
  'delete-group',
  'release-lease',
] as const;

export interface TrialVerdict {
  readonly seed: number;
  /** Instances beyond the declared ones (a cattle surplus, a second instance of a logical ID). */
  readonly duplicates: number;
  /** Instances of a removed group, of no group, or without an intent token. */
  readonly leaks: number;
  /** Groups not holding exactly the declared instances with the current config hash. */
  readonly mismatches: readonly string[];
  /** Leases still held past their expiry. */
  readonly staleLeases: number;
  readonly crashed: boolean;
}

export interface TrialOptions {
  readonly engines?: number;
  readonly groups?: number;
  /** Provider factory (default: the fake provider); its specs use `properties(image)`. */
  readonly provider?: (clock: FakeClock) => InstanceProvider;
  readonly properties?: (image: string) => Record<string, unknown>;
  /** Destroys whatever the provider still holds after the verdict (real processes). */
  readonly cleanup?: (provider: InstanceProvider, live: readonly InstanceDescription[]) => Promise<void>;
}

/**
 * Wraps a provider to count, per intent token, the instances launched over the whole trial against
 * what the intent's first provision asked for. A token that ends up with more instances than that
 * was launched twice, even if the planner later terminated the surplus: a duplicate.
 */
export function countingLaunches(provider: InstanceProvider): {
  provider: InstanceProvider;
  duplicates(): number;
} {
  const asked = new Map<string, number>();
  const launched = new Map<string, number>();
  const wrapped: InstanceProvider = {
    name: provider.name,
    validate: (p) => provider.validate(p),
    describe: (s) => provider.describe(s),
    destroy: (ids, group, reason) => provider.destroy(ids, group, reason),
    label: (ids, tags) => provider.label(ids, tags),
    async provision(properties, requests) {
      const token = requests[0]?.token ?? '';
      if (!asked.has(token)) asked.set(token, requests.length);
      const result = await provider.provision(properties, requests);
      launched.set(token, (launched.get(token) ?? 0) + result.launched.length);
      return result;
    },
  };
  return {
    provider: wrapped,
    duplicates: () =>
      [...launched].reduce((sum, [token, n]) => sum + Math.max(0, n - (asked.get(token) ?? 0)), 0),
  };
}

/** mulberry32: a tiny seeded PRNG, so a failing trial is replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function runTrial(
  server: DynamoTestServer,
  seed: number,
  options: TrialOptions = {},
): Promise<TrialVerdict> {
  const rand = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  let counted: ReturnType<typeof countingLaunches> | undefined;
  const w = await newWorld(server, (clock) => {
    counted = countingLaunches(options.provider?.(clock) ?? new FakeProvider({ now: clock.now }));
    return counted.provider;
  });
  const props = options.properties ?? ((image: string) => ({ image }));
  const ids = Array.from({ length: options.groups ?? 2 }, (_, i) => `g${i}`);
  const randomSpec = (id: string): GroupSpecInput => {
    const allocation =
      rand() < 0.6
        ? { size: Math.floor(rand() * 4) }
        : { logicalIds: ['p1', 'p2', 'p3'].filter(() => rand() < 0.7).concat('p0') };
    const [maxSurge, maxUnavailable] = pick([
      [1, 0],
      [0, 1],
      [1, 1],
    ] as const);
    return {
      ...fakeSpec(id, allocation, { update: { maxSurge, maxUnavailable } }, w.provider.name),
      instance: { provider: w.provider.name, properties: props(pick(['v1', 'v2'])) },
    };
  };
  try {
    for (const id of ids) await w.put(randomSpec(id));
    if (rand() < 0.5) await settle(w.engine('warmup'), w.clock);

    // One engine dies before the n-th occurrence of a random step (if it ever gets there).
    const victim = Math.floor(rand() * (options.engines ?? 8));
    const crashStep = pick(PROTOCOL_STEPS);
    let countdown = Math.floor(rand() * 2);
    let dead = false;
    let crashed = false;
    const engines: Engine[] = Array.from({ length: options.engines ?? 8 }, (_, n) =>
      w.engine(`trial-${seed}-${n}`, {
        before(step) {
          if (n !== victim) return;
          // Once dead, the process does nothing more: every later step of every pass fails too.
          if (dead) throw new Error('dead');
          if (step === crashStep && countdown-- === 0) {
            dead = true;
            crashed = true;
            throw new Error(`crash before ${step}`);
          }
        },
      }),
    );

    const destroyed = new Set<string>();
    const mutate = async () => {
      for (let k = Math.floor(rand() * 3); k > 0; k--) {
        for (let t = Math.floor(rand() * 20); t > 0; t--) await new Promise<void>((r) => setImmediate(r));
        const id = pick(ids);
        if (destroyed.has(id)) continue;
        if (rand() < 0.2) {
          destroyed.add(id);
          await w.store.markDestroying(id, w.clock.now());
        } else await w.put(randomSpec(id));
      }
    };
    const run = async (engine: Engine, n: number) => {
      // The victim keeps working until it dies, so that its crash step is usually reached.
      for (let k = n === victim ? 4 : 1 + Math.floor(rand() * 2); k > 0 && !(n === victim && dead); k--) {
        try {
          if (rand() < 0.5) await engine.reconcileGroup(pick(ids));
          else await engine.sweep({ concurrency: 2 });
        } catch (err) {
          if (!(err instanceof PassAbandonedError)) throw err;
        }
      }
    };
    await Promise.all([mutate(), ...engines.map((e, n) => run(e, n))]);

    // Liveness: the crashed holder's lease expires and a fresh reconciler finishes the work.
    w.clock.advance(LEASE_TTL_MS + 1);
    await settle(w.engine(`recovery-${seed}`), w.clock, undefined, 40);
    const v = await verdict(w, ids, seed);
    return { ...v, duplicates: v.duplicates + (counted?.duplicates() ?? 0), crashed };
  } finally {
    if (options.cleanup)
      await options.cleanup(w.provider, await w.provider.describe({ tagKeys: [TAG_GROUP] }));
    w.close();
  }
}

async function verdict(
  w: Awaited<ReturnType<typeof newWorld>>,
  ids: readonly string[],
  seed: number,
): Promise<Omit<TrialVerdict, 'crashed'>> {
  const live = await w.provider.describe({ tagKeys: [TAG_GROUP] });
  const all = [...live, ...(await w.provider.describe({}))].filter(
    (i, n, list) => list.findIndex((j) => j.id === i.id) === n,
  );
  let duplicates = 0;
  let leaks = all.filter((i) => i.tags[TAG_INTENT] === undefined || i.tags[TAG_GROUP] === undefined).length;
  let staleLeases = 0;
  const mismatches: string[] = [];
  for (const id of ids) {
    const mine = live.filter((i) => i.tags[TAG_GROUP] === id);
    const record = await w.store.getGroup(id);
    if (!record) {
      leaks += mine.length;
      continue;
    }
    if (record.state.lease && record.state.lease.expiresAt > w.clock.now()) staleLeases += 1;
    const spec = validateSpec(record.spec);
    const hash = configHash(spec);
    if (record.lifecycle === 'destroying') mismatches.push(`${id}: still destroying`);
    const wanted = record.lifecycle === 'destroying' ? [] : spec.allocation.logicalIds;
    if (wanted) {
      const seen = mine.map((i) => i.tags[TAG_LOGICAL_ID] ?? '');
      duplicates += seen.length - new Set(seen).size;
      const got = [...new Set(seen)].sort().join(',');
      if (got !== [...wanted].sort().join(','))
        mismatches.push(`${id}: logical ids ${got} ≠ ${wanted.join(',')}`);
    } else {
      const size = record.lifecycle === 'destroying' ? 0 : (spec.allocation.size ?? 0);
      duplicates += Math.max(0, mine.length - size);
      if (mine.length !== size) mismatches.push(`${id}: ${mine.length} instances ≠ size ${size}`);
    }
    if (mine.some((i) => i.tags[TAG_CONFIG_HASH] !== hash)) mismatches.push(`${id}: outdated config hash`);
  }
  return { seed, duplicates, leaks, mismatches, staleLeases };
}
