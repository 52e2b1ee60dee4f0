import type { FlavorRegistry } from '../flavors/types.js';
import type { ProviderRegistry } from '../providers/types.js';
import type { GroupStore } from '../store/types.js';
import { checkControllerId } from '../tags.js';
import type { Announce } from './drain.js';
import { PassAbandonedError } from './errors.js';
import type { KnownPlaces } from './places.js';
import type { EngineDeps } from './types.js';

export const DEFAULT_LEASE_TTL_MS = 60_000;
export const DEFAULT_DESCRIBE_TIMEOUT_MS = 20_000;
export const DEFAULT_LAUNCH_SETTLE_MS = 120_000;

/** The engine's dependencies with every default filled in, shared by all passes. */
export interface EngineContext {
  readonly store: GroupStore;
  readonly providers: ProviderRegistry;
  readonly flavors: FlavorRegistry;
  readonly owner: string;
  /** This controller's identity: every instance it launches, observes or destroys carries it. */
  readonly controllerId: string;
  readonly now: () => number;
  readonly leaseTtlMs: number;
  readonly describeTimeoutMs: number;
  readonly launchSettleMs: number;
  readonly providerCallTimeoutMs: number;
  /** `EngineDeps.signal`: aborts every provider call in flight, and a sweep's next groups. */
  readonly signal: AbortSignal | undefined;
  /** `EngineDeps.announce`. */
  readonly announce: Announce | undefined;
  /** Group id → the last `observe-failed` event this engine wrote for it (to repeat it rarely). */
  readonly observeFailures: Map<string, { readonly reason: string; readonly at: number }>;
  /**
   * `<group>/<instance>` of targets in a group's target groups proven not to be its former members
   * (another group's, another controller's, nobody's): their tags are not read again (`formerMembers`).
   */
  readonly foreignTargets: Set<string>;
  /** Group id → the places its spec versions named so far (`places.ts`). */
  readonly places: Map<string, KnownPlaces>;
  /** Marks the start of a protocol step; throws `PassAbandonedError` when a fault is injected there. */
  step(name: string, groupId: string): void;
}

export function engineContext(deps: EngineDeps): EngineContext {
  const faults = deps.faults;
  return {
    store: deps.store,
    providers: deps.providers,
    flavors: deps.flavors,
    owner: deps.owner,
    controllerId: checkControllerId(deps.controllerId),
    now: deps.now ?? Date.now,
    leaseTtlMs: deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
    describeTimeoutMs: deps.describeTimeoutMs ?? DEFAULT_DESCRIBE_TIMEOUT_MS,
    launchSettleMs: deps.launchSettleMs ?? DEFAULT_LAUNCH_SETTLE_MS,
    observeFailures: new Map(),
    foreignTargets: new Set(),
    places: new Map(),
    signal: deps.signal,
    announce: deps.announce,
    providerCallTimeoutMs:
      deps.providerCallTimeoutMs ?? Math.floor((deps.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS) / 2),
    step(name, groupId) {
      if (!faults) return;
      try {
        faults.before(name, groupId);
      } catch (err) {
        throw new PassAbandonedError(name, groupId, { cause: err });
      }
    },
  };
}
