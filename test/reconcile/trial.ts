import { InsufficientCapacityError, ThrottledError } from '../../src/errors.js';
import type { InstanceDescription, InstanceProvider } from '../../src/providers/types.js';
import { DEFAULT_LAUNCH_SETTLE_MS } from '../../src/reconcile/context.js';
import { PassAbandonedError } from '../../src/reconcile/index.js';
import type { Engine, FaultHook, ReconcileResult } from '../../src/reconcile/types.js';
import { configHash, type GroupSpecInput, validateSpec } from '../../src/spec/index.js';
import { GroupDestroyingError, VersionConflictError } from '../../src/store/errors.js';
import type { LeaseState } from '../../src/store/types.js';
import { TAG_CONFIG_HASH, TAG_GROUP, TAG_INTENT, TAG_LOGICAL_ID } from '../../src/tags.js';
import type { DynamoTestServer } from '../helpers/dynalite.js';
import { FakeProvider } from '../helpers/fake-provider.js';
import {
  type FakeClock,
  fakeSpec,
  LEASE_TTL_MS,
  newWorld,
  overlayStore,
  settle,
  type World,
} from './harness.js';

/**
 * The concurrency trial (architecture §5): several reconcilers with distinct owners share one table, one
 * provider and one clock, and run passes and sweeps at once over a few groups while the specs
 * change under them (and DELETEs arrive). One of them, the victim, crashes before a chosen protocol
 * step: consecutive seeds cycle through every step, and each trial's scenario (scale up, scale
 * down, rolling update, destroy, pets, the stray token of a crash inside putIntent) is picked so
 * that the victim's passes reach that step.
 *
 * Time moves while they run. The shared clock jumps forward at seeded protocol steps, at times by
 * more than a lease, and lease writes sometimes answer late, so leases lapse under live holders
 * (takeover, fencing, renewal). In some trials a provision or destroy stalls: its caller freezes
 * inside the call while its lease runs out and others take over, and the call lands later. With the
 * fake provider some trials also arm its faults: failed describes, provisions and destroys that
 * fail half way, throttling and capacity errors.
 *
 * The model's two assumptions, both the engine's documented ones:
 * - Time passes only while reconcilers wait on I/O (store or provider calls): jumps run in their
 *   own event-loop turn, never between a reconciler's lease check and its next call. A real process
 *   can also pause between the two (a GC pause); `LeaseKeeper` starts every call with two thirds of
 *   the lease in hand, so only a longer pause could matter, and that is not modelled.
 * - A stalled launch lands before its intent's settle deadline (`launchSettleMs` after the intent
 *   was written; see `EngineDeps.launchSettleMs`): past it, the remainder is relaunched.
 *
 * Then the clock passes the lease TTL and the launch settle time, and a recovery reconciler sweeps
 * until steady. The verdict counts what must be zero: duplicates (also per intent token, however
 * the instances went away later), leaks, groups off their spec, open intents, live leases left,
 * and provider calls (provision, destroy) started by a caller that did not hold the group's lease,
 * live, as the store's lease writes had left it (architecture §5.1: one actor per group at a time).
 */
/** Every step the engine announces to its fault hook, i.e. every gap a crash can fall into. */
export const PROTOCOL_STEPS = [
  'read',
  'observe',
  'load-intents',
  'plan',
  'record-state',
  'acquire-lease',
  'reread',
  'renew-lease',
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

export type ProtocolStep = (typeof PROTOCOL_STEPS)[number];

/** The step the victim of trial `seed` crashes before: consecutive seeds cycle through all steps. */
export function crashStepOf(seed: number): ProtocolStep {
  return PROTOCOL_STEPS[seed % PROTOCOL_STEPS.length] as ProtocolStep;
}

/** A provider call that changes the world, with its caller's lease as the store held it at the start. */
export interface ProviderCall {
  readonly kind: 'provision' | 'destroy';
  readonly owner: string;
  readonly groupId: string;
  readonly at: number;
  readonly phase: Phase;
  /** Why the caller did not hold a live lease on the group when the call started (absent: it did). */
  readonly invalid?: string;
}

type Phase = 'warmup' | 'concurrent' | 'recovery';

/** What a trial exercised (summed over a suite, to check the suite proves what it claims). */
export interface TrialStats {
  /** Provider calls (provision, destroy) by the reconcilers of the concurrent phase. */
  readonly calls: number;
  /** Leases taken from a live reconciler (or a dead one) after they expired unreleased. */
  readonly takeovers: number;
  /** Passes stopped by fencing: a write under a lease taken over (`LeaseLostError` → 'busy'). */
  readonly fenced: number;
  readonly renewals: number;
  /** Clock jumps during the concurrent phase, and those longer than a third of the lease. */
  readonly jumps: number;
  readonly longJumps: number;
  /** Provider calls held while their caller's lease ran out. */
  readonly stalls: number;
  /** Provider faults armed (failed describe, partial provision or destroy, throttling, capacity). */
  readonly faults: number;
}

export interface TrialVerdict {
  readonly seed: number;
  /** Instances beyond the declared ones, and instances launched beyond their intent's count. */
  readonly duplicates: number;
  /** Instances of a removed group, of no group, or without an intent token. */
  readonly leaks: number;
  /** Groups not holding exactly the declared instances with the current config hash. */
  readonly mismatches: readonly string[];
  /** Leases still live after recovery (a pass that ended without releasing its lease). */
  readonly staleLeases: number;
  /** Groups with an open intent (item or token) after recovery. */
  readonly openIntents: number;
  /** Provider calls that started while their caller did not hold a live lease (described). */
  readonly lateCalls: readonly string[];
  /** Steps the engine announced that `PROTOCOL_STEPS` lacks (a crash there would never be tried). */
  readonly unknownSteps: readonly string[];
  readonly crashStep: ProtocolStep;
  /** The victim crashed before `crashStep`. */
  readonly crashed: boolean;
  readonly stats: TrialStats;
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

const SETTLE_MS = DEFAULT_LAUNCH_SETTLE_MS;

/**
 * The group leases as the store holds them, from the answers of its successful lease writes. A
 * takeover always writes a later expiry than the lease it replaces, so an answer observed out of
 * order never overrides a newer lease.
 */
class LeaseLedger {
  private readonly held = new Map<string, LeaseState>();
  private readonly released = new Map<string, number>();
  takeovers = 0;
  renewals = 0;

  taken(groupId: string, lease: LeaseState, counting: boolean): void {
    const before = this.held.get(groupId);
    if (before && before.token !== lease.token && before.expiresAt > lease.expiresAt) return;
    if (!before && lease.expiresAt < (this.released.get(groupId) ?? 0)) return;
    if (counting && before && before.token !== lease.token) this.takeovers += 1;
    this.held.set(groupId, lease);
  }

  renewed(groupId: string, lease: LeaseState, counting: boolean): void {
    if (counting) this.renewals += 1;
    this.taken(groupId, lease, false);
  }

  gone(groupId: string, lease?: LeaseState): void {
    const before = this.held.get(groupId);
    if (lease && before?.token !== lease.token) return;
    this.held.delete(groupId);
    this.released.set(groupId, Math.max(this.released.get(groupId) ?? 0, before?.expiresAt ?? 0));
  }

  holder(groupId: string): LeaseState | undefined {
    return this.held.get(groupId);
  }

  /** Why `mine` is not the live lease of the group at `now`, or undefined when it is. */
  check(groupId: string, mine: LeaseState | undefined, now: number): string | undefined {
    if (!mine) return 'the caller took no lease on the group';
    const held = this.held.get(groupId);
    if (!held) return 'the lease was released or the group deleted';
    if (held.token !== mine.token) return `the lease was taken over by ${held.owner}`;
    if (held.expiresAt < now) return `the lease expired ${now - held.expiresAt} ms earlier`;
    return undefined;
  }
}

interface Hold {
  readonly release: () => void;
  /** Virtual time the held call must have landed before (its intent's settle deadline). */
  readonly cap: number;
  /** Whether the stalled caller's lease has gone to another reconciler (or was removed). */
  readonly superseded: () => boolean;
  readonly groupId: string;
  /** Passes of others that act on the group, once it is superseded, before it is released. */
  passes: number;
}

/**
 * The concurrent phase's disturbances, all drawn from one seeded stream: clock jumps, stalled
 * provider calls and provider faults. Jumps and releases run in their own event-loop turn, when
 * every reconciler is parked on I/O.
 */
class Chaos {
  enabled = false;
  /**
   * Whether jumps may exceed a third of the lease (and lease answers come back late), and whether
   * provider faults may be armed: off until the victim has crashed (or finished), so that they do
   * not keep it from reaching its crash step; in some trials leases lapse from the start.
   */
  allowLong = false;
  allowFaults = false;
  readonly holds: Hold[] = [];
  /**
   * Settle deadlines of the launches now inside a real provider call (the process provider spawns
   * for real, in real time): the clock never jumps past one before its call has landed, as for a
   * held call. The engine counts on a launch landing within `launchSettleMs` of its intent.
   */
  private readonly landing: number[] = [];
  pendingRuns = 0;
  jumps = 0;
  longJumps = 0;
  stalls = 0;
  faults = 0;
  private provisionCalls = 0;
  private destroyCalls = 0;

  constructor(
    private readonly rand: () => number,
    private readonly clock: FakeClock,
    private readonly fake: FakeProvider | undefined,
    private readonly trace: (line: string) => void,
    private readonly profile: {
      jumpRate: number;
      slowRate: number;
      faultRate: number;
      stallAt: { provision: number; destroy: number };
    },
  ) {}

  /** Moves the clock by `ms` in a later turn, never past a held launch's settle deadline. */
  jump(ms: number): void {
    this.jumps += 1;
    if (ms > LEASE_TTL_MS / 3) this.longJumps += 1;
    const apply = () => {
      const target = this.clock.now() + ms;
      // A real call in flight whose deadline the jump would pass: wait for it to land.
      if (this.landing.some((cap) => cap <= target)) {
        setImmediate(apply);
        return;
      }
      const due = this.holds.filter((h) => h.cap <= target);
      if (due.length === 0) {
        this.clock.advance(ms);
        this.trace(`clock +${ms} ms`);
        return;
      }
      // The held call lands first (in this turn's microtasks); the jump follows in a later turn.
      for (const h of due) this.release(h);
      setImmediate(apply);
    };
    setImmediate(apply);
  }

  /** Runs a provider launch, keeping the clock short of its settle deadline until it lands. */
  async launching<T>(createdAt: number | undefined, call: () => Promise<T>): Promise<T> {
    if (createdAt === undefined) return call();
    const cap = createdAt + SETTLE_MS;
    this.landing.push(cap);
    try {
      return await call();
    } finally {
      this.landing.splice(this.landing.indexOf(cap), 1);
    }
  }

  /** Called at every protocol step of every reconciler of the concurrent phase. */
  onStep(): void {
    if (!this.enabled) return;
    if (this.rand() < this.profile.jumpRate) {
      // While a call is stalled, time moves in small steps: its caller's lease has run out already,
      // and the others get to act before the stalled call must land.
      const long = this.allowLong && this.holds.length === 0 && this.rand() < 0.3;
      this.jump(
        long
          ? Math.floor(LEASE_TTL_MS / 3 + this.rand() * LEASE_TTL_MS * 1.3)
          : Math.floor(500 + this.rand() * 8_000),
      );
    }
    if (this.fake && this.allowFaults && this.rand() < this.profile.faultRate) this.armFault(this.fake);
  }

  private armFault(fake: FakeProvider): void {
    this.faults += 1;
    const r = this.rand();
    if (r < 0.3) fake.faults.describe.push('fail');
    else if (r < 0.55) fake.faults.provisionFailAfter = Math.floor(this.rand() * 2);
    else if (r < 0.8) fake.faults.destroyFailAfter = Math.floor(this.rand() * 2);
    else if (r < 0.9) fake.faults.provisionError = new ThrottledError('injected: request limit exceeded');
    else fake.faults.provisionError = new InsufficientCapacityError('injected: no capacity');
  }

  /**
   * Maybe makes a lease write's answer come back late: the clock moves on while its caller waits,
   * by up to more than the lease (a lease taken or renewed just now may have lapsed already).
   */
  async slowAnswer(): Promise<void> {
    if (!this.enabled || !this.allowLong || this.holds.length > 0 || this.rand() >= this.profile.slowRate)
      return;
    this.jump(Math.floor(LEASE_TTL_MS / 3 + this.rand() * LEASE_TTL_MS));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /**
   * Maybe stalls this provision: its caller freezes inside the call while the clock runs past its
   * lease. It lands before its intent's settle deadline (`createdAt + launchSettleMs`): the engine
   * counts on an unfinished launch landing within that time (see `launchSettleMs`).
   */
  beforeProvision(groupId: string, createdAt: number | undefined, superseded: () => boolean): boolean {
    this.provisionCalls += 1;
    if (!this.enabled || !this.fake || this.provisionCalls !== this.profile.stallAt.provision) return false;
    if (createdAt === undefined) return false;
    const cap = createdAt + SETTLE_MS;
    const freeze = LEASE_TTL_MS + 1 + Math.floor(this.rand() * 20_000);
    if (this.clock.now() + freeze >= cap) return false;
    this.fake.faults.provisionHold = this.hold(groupId, cap, superseded);
    this.jump(freeze);
    return true;
  }

  /** Maybe stalls this destroy the same way (a re-issued destroy is harmless, so no deadline). */
  beforeDestroy(groupId: string, superseded: () => boolean): void {
    this.destroyCalls += 1;
    if (!this.enabled || !this.fake || this.destroyCalls !== this.profile.stallAt.destroy) return;
    this.fake.faults.destroyHold = this.hold(groupId, Number.POSITIVE_INFINITY, superseded);
    this.jump(LEASE_TTL_MS + 1 + Math.floor(this.rand() * 20_000));
  }

  private hold(groupId: string, cap: number, superseded: () => boolean): Promise<void> {
    this.stalls += 1;
    this.trace('provider call stalled');
    return new Promise<void>((resolve) => {
      this.holds.push({
        release: resolve,
        cap,
        groupId,
        superseded,
        passes: 1 + Math.floor(this.rand() * 3),
      });
      this.releaseIfStuck();
    });
  }

  private release(h: Hold): void {
    this.trace('stalled call released');
    const at = this.holds.indexOf(h);
    if (at >= 0) this.holds.splice(at, 1);
    h.release();
  }

  /** A reconciler finished a pass or a sweep (a stalled one cannot). */
  passDone(results: readonly ReconcileResult[]): void {
    for (const r of results) {
      if (r.outcome !== 'acted' && r.outcome !== 'removed') continue;
      for (const h of [...this.holds])
        if (h.groupId === r.groupId && h.superseded() && --h.passes <= 0) this.release(h);
    }
  }

  /** A run finished: if every run left may be waiting on a held call, nothing else would release it. */
  runFinished(): void {
    this.pendingRuns -= 1;
    this.releaseIfStuck();
  }

  private releaseIfStuck(): void {
    if (this.pendingRuns <= this.holds.length) this.releaseAll();
  }

  releaseAll(): void {
    for (const h of [...this.holds]) this.release(h);
  }

  stop(): void {
    this.enabled = false;
    this.releaseAll();
    if (this.fake) {
      const f = this.fake.faults;
      f.describe.length = 0;
      f.provisionFailAfter = undefined;
      f.provisionError = undefined;
      f.provisionHold = undefined;
      f.destroyFailAfter = undefined;
      f.destroyHold = undefined;
    }
  }
}

type Scenario = 'scale-up' | 'scale-down' | 'rolling' | 'destroy' | 'pets' | 'stray-token' | 'any';

const LAUNCH_STEPS: ReadonlySet<string> = new Set([
  'put-intent',
  'provision',
  'record-launched',
  'index-instances',
  'verify-launch',
  'complete-intent',
]);

/** A scenario for the victim's group in which its passes reach `step`. */
function scenarioFor(step: ProtocolStep, pick: <T>(items: readonly T[]) => T): Scenario {
  if (step === 'delete-group') return 'destroy';
  if (step === 'prune-intents') return 'stray-token';
  if (step === 'drain' || step === 'destroy') return pick(['scale-down', 'rolling', 'destroy'] as const);
  if (LAUNCH_STEPS.has(step)) return pick(['scale-up', 'rolling', 'pets'] as const);
  // Whatever the scenario, a pass reads, observes and plans; the rest needs work to do.
  if (step === 'read' || step === 'observe' || step === 'plan')
    return pick(['scale-up', 'scale-down', 'rolling', 'destroy', 'pets', 'any'] as const);
  return pick(['scale-up', 'scale-down', 'rolling', 'destroy', 'pets'] as const);
}

export async function runTrial(
  server: DynamoTestServer,
  seed: number,
  options: TrialOptions = {},
): Promise<TrialVerdict> {
  const rand = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const w = await newWorld(
    server,
    (clock) => options.provider?.(clock) ?? new FakeProvider({ now: clock.now }),
  );
  const fake = w.provider instanceof FakeProvider ? w.provider : undefined;
  const props = options.properties ?? ((image: string) => ({ image }));
  const ids = Array.from({ length: options.groups ?? 2 }, (_, i) => `g${i}`);
  const target = ids[0] ?? 'g0';
  const crashStep = crashStepOf(seed);
  const scenario = scenarioFor(crashStep, pick);

  // Per-trial disturbance profile: some trials run calm, most jump the clock, some stall calls and
  // arm the fake provider's faults.
  const chaosRand = prng(seed ^ 0x9e3779b9);
  const profile = {
    jumpRate: pick([0, 0.04, 0.08, 0.15]),
    slowRate: pick([0, 0.1, 0.25]),
    faultRate: fake && rand() < 0.4 ? 0.04 : 0,
    stallAt:
      fake && rand() < 0.4
        ? { provision: between(1, 3), destroy: between(1, 3) }
        : { provision: 0, destroy: 0 },
  };
  // TRIAL_TRACE=1 prints a trial's steps, lease writes, provider calls and clock jumps (replay a seed).
  const start = w.clock.now();
  const trace = process.env.TRIAL_TRACE
    ? (line: string) => console.log(`+${w.clock.now() - start} ${line}`)
    : () => {};
  const chaos = new Chaos(chaosRand, w.clock, fake, trace, profile);
  if (crashStep === 'renew-lease' && profile.jumpRate === 0) profile.jumpRate = 0.04;
  // In some trials leases lapse from the start, the victim's included (it may then miss its step).
  chaos.allowLong = rand() < 0.35;

  // ---- recording: every lease write's answer, every intent, every world-changing provider call ----
  const ledger = new LeaseLedger();
  const intents = new Map<string, { createdAt: number; count: number }>();
  const calls: ProviderCall[] = [];
  const launchedBy = new Map<string, number>();
  let phase: Phase = 'warmup';
  let fenced = 0;
  const unknownSteps = new Set<string>();

  const engineFor = (owner: string, hook?: FaultHook): Engine => {
    const mine = new Map<string, LeaseState>();
    const counting = () => phase === 'concurrent';
    const store = overlayStore(w.store, {
      async acquireLease(id, who, ttlMs, now) {
        const lease = await w.store.acquireLease(id, who, ttlMs, now);
        await chaos.slowAnswer();
        trace(
          `${who} acquire ${id} at +${now - start}: ${lease ? `until +${lease.expiresAt - start}` : 'busy'}`,
        );
        if (lease) {
          mine.set(id, lease);
          ledger.taken(id, lease, counting());
        }
        return lease;
      },
      async renewLease(id, lease, ttlMs, now) {
        const renewed = await w.store.renewLease(id, lease, ttlMs, now).catch((err: unknown) => {
          trace(`${owner} renew ${id}: lost`);
          throw err;
        });
        await chaos.slowAnswer();
        trace(`${owner} renew ${id} at +${now - start}: until +${renewed.expiresAt - start}`);
        mine.set(id, renewed);
        ledger.renewed(id, renewed, counting());
        return renewed;
      },
      async releaseLease(id, lease) {
        await w.store.releaseLease(id, lease);
        mine.delete(id);
        ledger.gone(id, lease);
      },
      async deleteGroup(id, version) {
        await w.store.deleteGroup(id, version);
        ledger.gone(id);
      },
      putIntent(intent, lease) {
        const count = intent.logicalIds?.length || intent.count || 0;
        if (!intents.has(intent.token)) intents.set(intent.token, { createdAt: intent.createdAt, count });
        return w.store.putIntent(intent, lease);
      },
    });
    const superseded = (groupId: string) => {
      const token = mine.get(groupId)?.token;
      return () => ledger.holder(groupId)?.token !== token;
    };
    const record = (kind: ProviderCall['kind'], groupId: string) => {
      const invalid = ledger.check(groupId, mine.get(groupId), w.clock.now());
      trace(`${owner} ${kind} ${groupId}: ${invalid ?? 'under a live lease'}`);
      calls.push({ kind, owner, groupId, at: w.clock.now(), phase, ...(invalid ? { invalid } : {}) });
    };
    const inner = w.provider;
    const provider: InstanceProvider = {
      name: inner.name,
      validate: (p) => inner.validate(p),
      describe: (s) => inner.describe(s),
      label: (i, t) => inner.label(i, t),
      async provision(properties, requests) {
        const token = requests[0]?.token ?? '';
        const groupId = requests[0]?.tags[TAG_GROUP] ?? '';
        record('provision', groupId);
        // A stalled launch is a good moment for a DELETE to arrive: the group must not be removed
        // before what may still land has landed.
        const stalled = chaos.beforeProvision(groupId, intents.get(token)?.createdAt, superseded(groupId));
        if (stalled && chaosRand() < 0.5) destroySoon(groupId);
        const add = (n: number) => launchedBy.set(token, (launchedBy.get(token) ?? 0) + n);
        try {
          const result = await chaos.launching(intents.get(token)?.createdAt, () =>
            inner.provision(properties, requests),
          );
          add(result.launched.length);
          return result;
        } catch (err) {
          if (err instanceof InsufficientCapacityError) add(err.launchedIds.length);
          throw err;
        }
      },
      destroy(instanceIds, owner, reason) {
        record('destroy', owner.groupId);
        chaos.beforeDestroy(owner.groupId, superseded(owner.groupId));
        return inner.destroy(instanceIds, owner, reason);
      },
    };
    return w.engine(owner, hook, { store, providers: new Map([[provider.name, provider]]) });
  };

  const randomSpec = (
    id: string,
    allocation?: { size: number } | { logicalIds: string[] },
    image?: string,
  ): GroupSpecInput => {
    const chosen =
      allocation ??
      (rand() < 0.6
        ? { size: Math.floor(rand() * 4) }
        : { logicalIds: ['p1', 'p2', 'p3'].filter(() => rand() < 0.7).concat('p0') });
    const [maxSurge, maxUnavailable] = pick([
      [1, 0],
      [0, 1],
      [1, 1],
    ] as const);
    return {
      ...fakeSpec(id, chosen, { update: { maxSurge, maxUnavailable } }, w.provider.name),
      instance: { provider: w.provider.name, properties: props(image ?? pick(['v1', 'v2'])) },
    };
  };

  const destroyed = new Set<string>();
  const deletes: Promise<void>[] = [];
  /** A DELETE of the group (marks it destroying), at once, without waiting for it. */
  const destroySoon = (id: string) => {
    if (destroyed.has(id)) return;
    destroyed.add(id);
    trace(`DELETE ${id}`);
    deletes.push(w.store.markDestroying(id, w.clock.now()));
  };
  try {
    // ---- the world before the concurrent phase: the scenario's change is pending on the target ----
    const warmup = engineFor('warmup');
    const image = pick(['v1', 'v2']);
    const other = image === 'v1' ? 'v2' : 'v1';
    const before: Record<Scenario, () => GroupSpecInput> = {
      'scale-up': () => randomSpec(target, { size: between(0, 2) }, image),
      'scale-down': () => randomSpec(target, { size: between(2, 4) }, image),
      rolling: () => randomSpec(target, { size: between(1, 3) }, image),
      destroy: () => randomSpec(target, { size: between(crashStep === 'delete-group' ? 0 : 1, 3) }, image),
      pets: () => randomSpec(target, { logicalIds: ['p0', 'p1'] }, image),
      'stray-token': () => randomSpec(target, { size: between(1, 3) }, image),
      any: () => randomSpec(target),
    };
    await w.put(before[scenario]());
    for (const id of ids.slice(1)) await w.put(randomSpec(id));
    const warm = scenario !== 'any' || rand() < 0.5;
    if (warm) await settle(warmup, w.clock);
    const size = async () => (await w.store.getGroup(target))?.spec.allocation.size ?? 0;
    switch (scenario) {
      case 'scale-up':
        await w.put(randomSpec(target, { size: (await size()) + between(1, 2) }, image));
        break;
      case 'scale-down':
        await w.put(randomSpec(target, { size: between(0, (await size()) - 1) }, image));
        break;
      case 'rolling':
        await w.put(randomSpec(target, { size: await size() }, other));
        break;
      case 'destroy':
        destroySoon(target);
        await Promise.all(deletes);
        break;
      case 'pets':
        await w.put(
          randomSpec(
            target,
            {
              logicalIds: pick([
                ['p1', 'p2'],
                ['p0', 'p2', 'p3'],
                ['p0', 'p1', 'p3'],
              ]),
            },
            pick([image, other]),
          ),
        );
        break;
      case 'stray-token':
      case 'any':
        break;
    }
    if (scenario === 'stray-token' || rand() < 0.1) {
      // The trace of a reconciler that died inside putIntent (token written, intent item not): a
      // token without an intent, and a lease left to expire.
      const record = await w.store.getGroup(target);
      const lease = await w.store.acquireLease(target, 'ghost', LEASE_TTL_MS, w.clock.now());
      if (record && lease)
        await w.store.updateState(target, lease, {
          openIntents: [...record.state.openIntents, `${target}-ghost-${seed.toString(36)}`],
        });
      w.clock.advance(LEASE_TTL_MS + 1);
    }

    // ---- the concurrent phase ----
    phase = 'concurrent';
    chaos.enabled = true;
    const engineCount = options.engines ?? 8;
    const victim = Math.floor(rand() * engineCount);
    // Steps of every pass are sometimes crashed at their second occurrence (a later pass).
    let countdown = ['read', 'observe', 'plan'].includes(crashStep) && rand() < 0.5 ? 1 : 0;
    let dead = false;
    let crashed = false;
    let rereads = 0;
    // The others start once the victim is about to take its first lease, so that the victim's pass
    // usually gets there first and reaches its crash step; lapses (jumps longer than a third of the
    // lease) and provider faults wait until the victim is dead or done, for the same reason.
    let ahead = () => {};
    const victimAhead = new Promise<void>((resolve) => {
      ahead = resolve;
    });
    const victimGone = () => {
      chaos.allowLong = true;
      chaos.allowFaults = true;
      ahead();
    };
    const engines: Engine[] = Array.from({ length: engineCount }, (_, n) =>
      engineFor(`trial-${seed}-${n}`, {
        before(step, groupId) {
          if (!(PROTOCOL_STEPS as readonly string[]).includes(step)) unknownSteps.add(step);
          trace(`${n} ${step} ${groupId}`);
          if (n === victim) {
            // Once dead, the process does nothing more: every later step of every pass fails too.
            if (dead) throw new Error('dead');
            if (step === crashStep && countdown-- === 0) {
              dead = true;
              crashed = true;
              victimGone();
              throw new Error(`crash before ${step}`);
            }
            if (step === 'acquire-lease') ahead();
            // To crash before a renewal, the victim must outlive a third of its lease mid-pass.
            if (crashStep === 'renew-lease' && step === 'reread' && rereads++ < 2)
              chaos.jump(Math.floor(LEASE_TTL_MS / 3) + 1 + Math.floor(rand() * 10_000));
          }
          chaos.onStep();
        },
      }),
    );

    const mutate = async () => {
      for (let k = Math.floor(chaosRand() * 3); k > 0; k--) {
        for (let t = Math.floor(chaosRand() * 20); t > 0; t--)
          await new Promise<void>((r) => setImmediate(r));
        const id = ids[Math.floor(chaosRand() * ids.length)] ?? target;
        if (destroyed.has(id)) continue;
        if (chaosRand() < 0.2) destroySoon(id);
        else
          await w.put(randomSpec(id)).catch((err: unknown) => {
            // A DELETE got there first (see `destroySoon`).
            if (!(err instanceof GroupDestroyingError || err instanceof VersionConflictError)) throw err;
          });
      }
    };
    const tally = (results: readonly ReconcileResult[]) => {
      chaos.passDone(results);
      for (const r of results) if (r.outcome === 'busy' && r.error !== undefined) fenced += 1;
    };
    const run = async (engine: Engine, n: number) => {
      if (n !== victim) await victimAhead;
      try {
        // The victim starts on its scenario's group and keeps working until it dies, so that its
        // crash step is usually reached.
        // The others go on a little while a call is stalled: its caller's lease runs out meanwhile.
        const passes = n === victim ? 6 : 1 + Math.floor(chaosRand() * 3);
        const more = () => n !== victim && chaos.holds.length > 0;
        for (let k = 0; (k < passes || (more() && k < 6)) && !(n === victim && dead); k++) {
          try {
            if (n === victim && (k === 0 || chaosRand() < 0.7)) tally([await engine.reconcileGroup(target)]);
            else if (chaosRand() < 0.5)
              tally([await engine.reconcileGroup(ids[Math.floor(chaosRand() * ids.length)] ?? target)]);
            else tally((await engine.sweep({ concurrency: 2 })).results);
          } catch (err) {
            if (!(err instanceof PassAbandonedError)) throw err;
          }
        }
      } finally {
        if (n === victim) victimGone();
        chaos.runFinished();
      }
    };
    const order = [victim, ...engines.keys()].filter((n, i, all) => all.indexOf(n) === i);
    chaos.pendingRuns = order.length;
    await Promise.all([mutate(), ...order.map((n) => run(engines[n] as Engine, n))]);
    await Promise.all(deletes);
    chaos.stop();
    // Let any jump still queued land before the recovery's clock arithmetic.
    for (let t = 0; t < 4; t++) await new Promise<void>((r) => setImmediate(r));

    // ---- liveness: every lease and every launch settle time runs out; a fresh reconciler finishes ----
    phase = 'recovery';
    w.clock.advance(Math.max(LEASE_TTL_MS, SETTLE_MS) + 1);
    await settle(engineFor(`recovery-${seed}`), w.clock, undefined, 40);

    const v = await verdict(w, ids, seed);
    let overLaunched = 0;
    const launched = fake?.launchedByToken ?? launchedBy;
    for (const [token, n] of launched) {
      const asked = intents.get(token)?.count;
      if (asked === undefined) overLaunched += n;
      else overLaunched += Math.max(0, n - asked);
    }
    const lateCalls = calls
      .filter((c) => c.invalid !== undefined)
      .map(
        (c) =>
          `${c.phase} ${c.kind} of ${c.groupId} by ${c.owner} at +${c.at - Date.UTC(2026, 0, 1)} ms: ${c.invalid}`,
      );
    return {
      ...v,
      duplicates: v.duplicates + overLaunched,
      lateCalls,
      unknownSteps: [...unknownSteps],
      crashStep,
      crashed,
      stats: {
        calls: calls.filter((c) => c.phase === 'concurrent').length,
        takeovers: ledger.takeovers,
        fenced,
        renewals: ledger.renewals,
        jumps: chaos.jumps,
        longJumps: chaos.longJumps,
        stalls: chaos.stalls,
        faults: chaos.faults,
      },
    };
  } finally {
    chaos.stop();
    if (options.cleanup)
      await options.cleanup(w.provider, await w.provider.describe({ tagKeys: [TAG_GROUP] }));
    w.close();
  }
}

async function verdict(
  w: World,
  ids: readonly string[],
  seed: number,
): Promise<
  Pick<TrialVerdict, 'seed' | 'duplicates' | 'leaks' | 'mismatches' | 'staleLeases' | 'openIntents'>
> {
  const live = await w.provider.describe({ tagKeys: [TAG_GROUP] });
  const all = [...live, ...(await w.provider.describe({}))].filter(
    (i, n, list) => list.findIndex((j) => j.id === i.id) === n,
  );
  let duplicates = 0;
  let leaks = all.filter((i) => i.tags[TAG_INTENT] === undefined || i.tags[TAG_GROUP] === undefined).length;
  let staleLeases = 0;
  let openIntents = 0;
  const mismatches: string[] = [];
  for (const id of ids) {
    const mine = live.filter((i) => i.tags[TAG_GROUP] === id);
    const record = await w.store.getGroup(id);
    if (!record) {
      leaks += mine.length;
      continue;
    }
    if (record.state.lease && record.state.lease.expiresAt >= w.clock.now()) staleLeases += 1;
    if (record.state.openIntents.length > 0 || (await w.store.listOpenIntents(id)).length > 0)
      openIntents += 1;
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
  return { seed, duplicates, leaks, mismatches, staleLeases, openIntents };
}
