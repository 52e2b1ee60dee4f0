import type { RolloutProgress } from '../plan/types.js';
import type { GroupSpec } from '../spec/schema.js';

/**
 * The persistence port. The DynamoDB adapter (`dynamo.ts`) is the only implementation; tests run it
 * on dynalite and moto. Every write is a single-item conditional write; a failed condition throws
 * one of the typed errors in `errors.ts` carrying what the caller needs to re-read and re-plan.
 */

/** `active` groups are reconciled; `destroying` ones are being emptied before removal. */
export type GroupLifecycle = 'active' | 'destroying';

export interface StoredSpec {
  readonly spec: GroupSpec;
  /** 1 for the first version, +1 for each change. */
  readonly version: number;
  /** Opaque, changes with every version (quoted, as HTTP wants it). */
  readonly etag: string;
  readonly updatedAt: number;
  /** Why this version was written, when the controller wrote it (an automatic rollback names the failed version). */
  readonly note?: string;
}

export interface LeaseState {
  readonly owner: string;
  /** Fencing token: every write by the holder is conditional on it. */
  readonly token: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/** The reconcile progress of a group, kept beside its spec. */
export interface GroupState {
  readonly lease?: LeaseState;
  /** +1 on every state write by a lease holder. */
  readonly revision: number;
  readonly lastSummary?: string;
  readonly blocked?: string;
  readonly lastReconcileAt?: number;
  /** Tokens of unfinished intents (so a steady-state sweep need not query intents). */
  readonly openIntents: readonly string[];
  /** Instance id → epoch ms since which its current health has held (for providers that cannot tell). */
  readonly healthSince: Readonly<Record<string, { readonly health: string; readonly since: number }>>;
  /** Instance id → deadline epoch ms: instances AWS will take away (Spot, maintenance). */
  readonly retiring: Readonly<Record<string, number>>;
  /** Epoch ms before which the next reconcile is worth doing (planner's nextCheckAt). */
  readonly nextCheckAt?: number;
  /**
   * Instance id → the result a caller gave its lifecycle hook (`POST …/instances/{id}/complete`),
   * merged without the lease at any moment; the holder removes a mark once it has acted on it.
   */
  readonly lifecycleDone: Readonly<Record<string, LifecycleResult>>;
  /** What the planner remembers between passes (rollout, replacement window, reboots). */
  readonly memory?: PlanMemory;
}

/** What the planner remembers between passes (`Plan.rollout`, `remediations`, `rebooted`), kept as one JSON attribute. */
export interface PlanMemory {
  readonly rollout?: RolloutProgress;
  readonly remediations?: readonly number[];
  readonly rebooted?: Readonly<Record<string, number>>;
  /** The last automatic rollback, shown in the status until another rollout starts. */
  readonly rollback?: { readonly at: number; readonly message: string; readonly restoredConfigHash: string };
  /** The halted config an automatic rollback was tried for (done or refused): never tried twice. */
  readonly rollbackAttempted?: string;
}

/** A lifecycle hook's outcome: go on (`continue`) or give the instance up (`abandon`). */
export type LifecycleResult = 'continue' | 'abandon';
/** The lifecycle hooks an instance may wait in. */
export type LifecycleHookName = 'launching' | 'terminating';

/**
 * The key of a hook's answer in `GroupState.lifecycleDone`: the instance id for `terminating`,
 * `<id>@launching` for `launching` (ids never hold `@`), so a launch's answer never completes the
 * same instance's later termination.
 */
export function lifecycleKey(instanceId: string, hook: LifecycleHookName): string {
  return hook === 'launching' ? `${instanceId}@launching` : instanceId;
}

/** The instance a `lifecycleDone` key is about. */
export function instanceOfLifecycleKey(key: string): string {
  const at = key.indexOf('@');
  return at < 0 ? key : key.slice(0, at);
}

/**
 * The state fields a lease holder writes. `retiring` is never rewritten as a whole: event handlers
 * add marks without the lease at any moment, so a holder only removes the marks it has seen go
 * (`retiringRemove`), and a mark added during its pass survives.
 */
export type StatePatch = Partial<Omit<GroupState, 'lease' | 'revision' | 'retiring' | 'lifecycleDone'>> & {
  readonly retiringRemove?: readonly string[];
  /** Lifecycle marks acted on (instance id → the result read): removed one by one, like `retiringRemove`. */
  readonly lifecycleDoneRemove?: Readonly<Record<string, LifecycleResult>>;
};

/** One group as listed: current spec plus state. */
export interface GroupRecord extends StoredSpec {
  readonly id: string;
  readonly lifecycle: GroupLifecycle;
  /** Destroying: the pets' volumes, interfaces and addresses go too (else they are kept). */
  readonly deleteVolumes?: boolean;
  readonly state: GroupState;
}

/** How a group is destroyed. */
export interface DestroyOptions {
  /** Also delete what the group's pets keep across replacement. @default false */
  readonly deleteVolumes?: boolean;
}

export type IntentKind = 'launch' | 'terminate';

export interface Intent {
  readonly groupId: string;
  readonly token: string;
  readonly kind: IntentKind;
  /** launch: how many instances. */
  readonly count?: number;
  /** launch (pets): logical IDs to fill. */
  readonly logicalIds?: readonly string[];
  /** launch: config hash the instances get. */
  readonly configHash?: string;
  /** terminate: ids to terminate. */
  readonly ids?: readonly string[];
  readonly reason: string;
  /** terminate: keep the instances running out of the group instead (`health.retainForForensics`). */
  readonly retain?: boolean;
  readonly createdAt: number;
  readonly doneAt?: number;
  /** launch: ids launched so far (best effort; the `infrakit.intent` tag is the truth). */
  readonly launchedIds?: readonly string[];
  /** terminate: the drain before the destroy, fixed when the intent is written (see `IntentDrain`). */
  readonly drain?: IntentDrain;
  /** terminate: when the drain was started (targets deregistered, hook announced, flavor drained). */
  readonly drainingSince?: number;
  /** terminate: when the instances were asked to stop (`IntentDrain.stopWithinMs`). */
  readonly stoppingSince?: number;
  /**
   * launch: the `launching` hook was announced for the launched instances and waits until this
   * time (epoch ms) at the latest; then `launchingDefault` applies to every unanswered instance.
   */
  readonly launchingUntil?: number;
  readonly launchingDefault?: LifecycleResult;
}

/**
 * The drain a terminate intent owes before its destroy. The deadlines are absolute (epoch ms), so
 * any later pass, by any reconciler, finishes the wait without knowing who started it.
 */
export interface IntentDrain {
  /** Load balancers: wait until no target is left registered, at most until this time. */
  readonly targetsUntil?: number;
  /** Lifecycle hook `terminating`: wait for its completion, at most until this time. */
  readonly hookUntil?: number;
  /**
   * Providers that stop gracefully (`stop`: a process's SIGTERM): once the targets and the hook are
   * done, the instances are asked to stop and given this long (ms) to go by themselves, then
   * destroyed without further grace (SIGKILL).
   */
  readonly stopWithinMs?: number;
}

/** What an open intent records as it goes. */
export interface IntentProgress {
  readonly launchedIds?: readonly string[];
  readonly drainingSince?: number;
  readonly stoppingSince?: number;
  readonly launching?: { readonly until: number; readonly defaultResult: LifecycleResult };
}

export type GroupEventLevel = 'info' | 'warn' | 'error';

export interface GroupEvent {
  readonly groupId: string;
  readonly at: number;
  readonly level: GroupEventLevel;
  /** Short machine-readable kind: `launch`, `terminate`, `blocked`, `observe-failed`, … */
  readonly kind: string;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque cursor for the next page; absent on the last one. */
  readonly next?: string;
}

/** Counts of DynamoDB requests, for benchmarks and the no-writes-in-steady-state guarantee. */
export interface StoreStats {
  reads: number;
  writes: number;
}

export interface GroupStore {
  readonly stats: StoreStats;

  // ---- specs (API) ----
  /**
   * Creates (expectedVersion 0 / create-only) or replaces at `expectedVersion`; writes history
   * after the record. A group being destroyed keeps its spec: `GroupDestroyingError`.
   */
  putSpec(
    spec: GroupSpec,
    options: { expectedVersion?: number; createOnly?: boolean; now: number; note?: string },
  ): Promise<StoredSpec>;
  getGroup(id: string): Promise<GroupRecord | undefined>;
  /** Paginated listing of all groups (spec + state), cheap: one query per page. */
  listGroups(options?: { limit?: number; cursor?: string }): Promise<Page<GroupRecord>>;
  /** Past versions, newest first. */
  listVersions(id: string, options?: { limit?: number; cursor?: string }): Promise<Page<StoredSpec>>;
  getVersion(id: string, version: number): Promise<StoredSpec | undefined>;
  /**
   * Marks the group `destroying` (conditional on it existing, and with `expectedVersion` on the
   * spec still being at that version: `VersionConflictError` otherwise). `deleteVolumes` is kept
   * once asked for (a second DELETE may add it, never take it back).
   */
  markDestroying(id: string, now: number, expectedVersion?: number, options?: DestroyOptions): Promise<void>;
  /** Removes the group record; history and events are left to expire. Conditional on `expectedVersion`. */
  deleteGroup(id: string, expectedVersion: number): Promise<void>;

  // ---- lease and state (reconcilers) ----
  /** Takes the lease if free or expired; returns it, or undefined when another holder has it. */
  acquireLease(id: string, owner: string, ttlMs: number, now: number): Promise<LeaseState | undefined>;
  renewLease(id: string, lease: LeaseState, ttlMs: number, now: number): Promise<LeaseState>;
  releaseLease(id: string, lease: LeaseState): Promise<void>;
  /** Writes state fields, conditional on holding `lease`; bumps `revision`. */
  updateState(id: string, lease: LeaseState, patch: StatePatch): Promise<void>;
  /**
   * Writes state without the lease, in one conditional write, only while no live lease is held
   * and the record is still at `read` (version and state revision), with no open intent and not
   * being destroyed; bumps `revision`. False (nothing written) when the record moved on.
   */
  recordState(
    id: string,
    read: { readonly version: number; readonly revision: number },
    patch: StatePatch,
    now: number,
  ): Promise<boolean>;
  /**
   * Adds a retiring mark (events handler): merges one map key, no lease needed.
   * `GroupNotFoundError` when the group record is gone (never creates a record).
   */
  markRetiring(id: string, instanceId: string, deadline: number): Promise<void>;
  /**
   * Records a lifecycle hook's completion for one instance (the API): one atomic set add, no lease
   * needed. `GroupNotFoundError` when the group record is gone.
   */
  markLifecycleDone(
    id: string,
    instanceId: string,
    result: LifecycleResult,
    hook?: LifecycleHookName,
  ): Promise<void>;

  // ---- intents ----
  /** Writes an intent (create only) and adds its token to `openIntents`, under the lease. */
  putIntent(intent: Intent, lease: LeaseState): Promise<void>;
  /** Records progress (launched ids) on an open intent, under the lease. */
  updateIntent(intent: Intent, patch: IntentProgress, lease: LeaseState): Promise<void>;
  /** Marks an intent done and removes its token from `openIntents`, under the lease. */
  completeIntent(intent: Intent, lease: LeaseState, now: number): Promise<void>;
  /** Open (not done) intents of a group. */
  listOpenIntents(groupId: string): Promise<readonly Intent[]>;

  // ---- events and instance index ----
  appendEvents(events: readonly GroupEvent[]): Promise<void>;
  /** Newest first. */
  listEvents(groupId: string, options?: { limit?: number; cursor?: string }): Promise<Page<GroupEvent>>;
  /** instance id → group id, written at launch so state-change events find their group cheaply. */
  indexInstances(groupId: string, instanceIds: readonly string[], now: number): Promise<void>;
  groupOfInstance(instanceId: string): Promise<string | undefined>;
}
