/**
 * The instance provider contract (after InfraKit's instance SPI). One shared contract test suite
 * (`test/contract/instance-provider.ts`) runs against every implementation.
 */

/** Bumped on any incompatible change to the methods or their semantics below. */
export const INSTANCE_PROVIDER_CONTRACT_VERSION = '1.0.0';

/** Every state an instance can be observed in; `terminated` instances are never returned. */
export type InstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down';

/** The provider's own view of an instance's health (EC2 status checks, a live process, …). */
export interface ProviderHealth {
  readonly status: 'ok' | 'impaired' | 'unknown';
  /** When the current status began (epoch ms), when the provider knows it. */
  readonly since?: number;
}

/** An instance as a provider observes it. */
export interface InstanceDescription {
  readonly id: string;
  readonly state: InstanceState;
  /** All tags, including the controller's `infrakit.*` tags written at launch. */
  readonly tags: Readonly<Record<string, string>>;
  /** Launch time, epoch ms. */
  readonly launchedAt: number;
  readonly health: ProviderHealth;
  /** Provider-specific facts worth showing (private IP, subnet, pid, …); never secrets. */
  readonly details?: Readonly<Record<string, string | number>>;
}

/** One instance to launch. */
export interface ProvisionRequest {
  /** Tags to set at launch: the group's `infrakit.*` tags plus the flavor's and the user's. */
  readonly tags: Readonly<Record<string, string>>;
  /** Pets only: the logical ID this instance fills (also present as the `infrakit.logical-id` tag). */
  readonly logicalId?: string;
  /**
   * Idempotency token of the launch intent (also the `infrakit.intent` tag). Requests sharing a
   * token belong to one intent and may be launched in one call.
   */
  readonly token: string;
  /** The init script prepared by the flavor (user data, a shell prelude, …). */
  readonly init?: string;
}

/** What `describe` selects on: every instance carrying all of `tags` and every key of `tagKeys`. */
export interface DescribeSelector {
  readonly tags?: Readonly<Record<string, string>>;
  readonly tagKeys?: readonly string[];
  /**
   * Only for a provider with `placeOf`: look in these places alone (complete for them, and only
   * for them). A place the provider does not serve holds nothing it can see. @default every place
   */
  readonly places?: readonly string[];
}

/**
 * Whose instances these are: one group of one controller. An instance belongs to an owner only
 * when it carries both `infrakit.controller = controllerId` and `infrakit.group = groupId`; the
 * same group name under another controller (a second stack in the same account) is not ours.
 */
export interface InstanceOwner {
  readonly controllerId: string;
  readonly groupId: string;
}

export interface ProvisionResult {
  /** Instances launched by this call, in request order where the provider can tell. */
  readonly launched: readonly InstanceDescription[];
}

export interface DestroyResult {
  /** Ids now gone or going (including those that were already gone). */
  readonly destroyed: readonly string[];
}

/**
 * How a caller may stop a provider call it no longer waits for (a timeout, a lost lease, a
 * controller shutting down).
 */
export interface CallOptions {
  /**
   * Once aborted, the call sends no further request (no next page, no retry, no next launch),
   * gives up any wait (backoff, pacing, a grace period) and rejects soon with `signal.reason`.
   * Work already done stays done and is reported as the contract says for a partial failure:
   * instances launched before the abort carry their token's tag and are found by `describe`.
   */
  readonly signal?: AbortSignal;
}

/** What `attach` still waits for; `done` once every instance given holds all it should. */
export interface AttachResult {
  readonly done: boolean;
  /** Why not done, one line each (an instance still pending, a volume still held elsewhere). */
  readonly waiting: readonly string[];
}

/** Which logical IDs' resources `release` may delete. */
export interface ReleaseRequest {
  /** The logical IDs whose resources stay (the spec's). */
  readonly keep: readonly string[];
  /** Release every logical ID's resources, whatever the properties keep (a destroy with `deleteVolumes`). */
  readonly all?: boolean;
}

export interface ReleaseResult {
  readonly done: boolean;
  /** Ids deleted by this call (or found already gone). */
  readonly released: readonly string[];
  /** Why not done: resources still attached to a live instance. */
  readonly waiting: readonly string[];
}

/** A resource a logical ID keeps across replacement (a data volume, a network interface, an address). */
export interface RetainedResource {
  readonly kind: string;
  readonly id: string;
  readonly logicalId: string;
  readonly details?: Readonly<Record<string, string | number>>;
}

/** What `preflight` may know of the group a spec is submitted for. */
export interface PreflightContext {
  readonly owner: InstanceOwner;
  readonly logicalIds?: readonly string[];
}

/**
 * A target's state in a load balancer's target group (ELBv2's `TargetHealth.State`); `absent`: not
 * registered at all (never, or its deregistration has finished).
 */
export type TargetState =
  | 'initial'
  | 'healthy'
  | 'unhealthy'
  | 'unused'
  | 'draining'
  | 'unavailable'
  | 'absent';

/** One registered target as its target group reports it. */
export interface TargetHealth {
  readonly id: string;
  readonly state: TargetState;
  /** Why, when the target group says (`Target.ResponseCodeMismatch`, `Target.DeregistrationInProgress`, …). */
  readonly reason?: string;
}

/**
 * Load balancer target groups (EC2: ELBv2, target type `instance`). Every method is idempotent
 * and safe to repeat after a crash; a failure throws (a caller plans nothing from a partial read).
 */
export interface TargetGroups {
  /**
   * Every target currently registered in `targetGroupArn` (any state but `absent`), one read. Targets
   * of other groups and of nobody are listed too: the caller picks its own by instance id.
   */
  targets(targetGroupArn: string, options?: CallOptions): Promise<readonly TargetHealth[]>;
  /** Registers `ids` (on `port`, or the target group's own). Already registered: no change. */
  register(
    targetGroupArn: string,
    ids: readonly string[],
    port?: number,
    options?: CallOptions,
  ): Promise<void>;
  /**
   * Starts deregistering `ids` (they go `draining`, then `absent` after the deregistration delay).
   * Only ids that are registered may be passed (EC2 refuses a target it does not know).
   */
  deregister(
    targetGroupArn: string,
    ids: readonly string[],
    port?: number,
    options?: CallOptions,
  ): Promise<void>;
  /** The target group's deregistration delay, in seconds (how long a target drains at most). */
  deregistrationDelaySeconds(targetGroupArn: string, options?: CallOptions): Promise<number>;
}

/** `destroy`'s options: its cancellation, and how long an instance gets to stop by itself. */
export interface DestroyOptions extends CallOptions {
  /**
   * How long to wait after asking an instance to stop before forcing it (process: SIGTERM, then
   * SIGKILL). The engine passes 0 after a drain that already gave the instance its time (`stop`).
   * @default the provider's own grace
   */
  readonly graceMs?: number;
}

/**
 * An instance provider.
 *
 * Errors: throttling throws `ThrottledError`, missing capacity `InsufficientCapacityError`, a
 * configuration the provider rejects `InvalidConfigurationError` (all in `src/errors.ts`).
 *
 * Cancellation: `provision`, `describe` and `destroy` take `options.signal` (see `CallOptions`);
 * nothing a call started outlives its abort by more than the request already on the wire.
 */
export interface InstanceProvider {
  /** Provider name as written in specs (`instance.provider`). */
  readonly name: string;

  /**
   * Optional: the load balancers this provider's instances can be registered in (a spec's
   * `loadBalancers`). A provider without it refuses such specs at admission.
   */
  readonly targets?: TargetGroups;

  /**
   * Optional: the tags of `ids`, in any state (terminated included), by id; an id the backend does
   * not know is absent. Read-only. The engine asks it about targets in a group's target groups that
   * are not members, to prove which of them left this group (and may be deregistered) and which are
   * someone else's (never touched).
   */
  tagsOf?(
    ids: readonly string[],
    options?: CallOptions,
  ): Promise<ReadonlyMap<string, Readonly<Record<string, string>>>>;

  /**
   * Optional: how long after a launch intent was recorded an instance it asked for may still
   * appear to `describe` (a request the backend carries out after the caller stopped waiting for
   * its answer, a backend that shows launches late). The engine waits at least this long, and at
   * least its own `launchSettleMs`, before it takes an invisible launch as lost and launches it
   * again: shorter would duplicate instances whenever the backend is slow.
   */
  readonly launchSettleMs?: number;

  /**
   * Validates and normalizes `instance.properties`; throws `SpecValidationError` whose paths are
   * relative to the properties object. Pure: no I/O, same input → same output.
   */
  validate(properties: unknown): Record<string, unknown>;

  /**
   * Optional: for a provider made of parts that answer (and fail) on their own (InfraKit: plugin
   * objects), the part a spec's instances live in, from its validated properties. Pure. The engine
   * then describes each group in the places its spec versions named (`DescribeSelector.places`), so
   * that a place that cannot be read blocks only the groups that may have instances there.
   */
  placeOf?(properties: Record<string, unknown>): string;

  /**
   * Optional: checks one launch request as the engine would send it (the controller's tags, then
   * the flavor's `prepare`: its tags and init script) with `properties` (already validated)
   * against limits the provider's backend enforces at launch (EC2: 50 tags, 16 KB of user data),
   * so that the API refuses such a spec instead of storing it. Pure: no I/O, same input → same
   * outcome. Throws `SpecValidationError` whose paths name the request field at fault: `tags`,
   * `tags.<key>` or `init`.
   */
  validateLaunch?(properties: Record<string, unknown>, request: ProvisionRequest): void;

  /**
   * Optional: checks `properties` (already validated) against what only the backend can tell,
   * when the controller's launch guardrails need it (EC2: a subnet's VPC, an image's owner). Runs
   * when a spec is submitted, never on a reconcile pass. Read-only. Throws `SpecValidationError`
   * whose paths are relative to the properties object; other errors mean the check could not be
   * made (the spec is then refused as a whole). `context` names the group, for checks against what
   * it already holds (EC2: a pet's volumes pin it to their Availability Zone).
   */
  preflight?(properties: Record<string, unknown>, context?: PreflightContext): Promise<void>;

  /**
   * Launches one instance per request, tagging each at launch (never after).
   *
   * Idempotency: a provider that honours tokens must not launch twice for the same token; one
   * that cannot (a process, moto's EC2) may, so the engine always first describes by
   * `infrakit.intent` and only provisions the missing remainder. Partial failure: throws after
   * launching some instances; those carry the token's tag and are found by `describe`. Aborted
   * (`options.signal`): no further instance is launched, and the call throws like a partial failure.
   */
  provision(
    properties: Record<string, unknown>,
    requests: readonly ProvisionRequest[],
    options?: CallOptions,
  ): Promise<ProvisionResult>;

  /**
   * Every instance carrying the selector's tags in any non-terminated state (pending, running,
   * stopping, stopped, shutting-down). Read-only and repeatable. Throws on any failure or partial
   * read: a caller must never act on an incomplete observation. Aborted (`options.signal`): no
   * further page or status request is sent, and the call throws.
   */
  describe(selector: DescribeSelector, options?: CallOptions): Promise<readonly InstanceDescription[]>;

  /**
   * Terminates `ids`, which must all belong to `owner` (carry `infrakit.controller` and
   * `infrakit.group` with its values): the tags are re-checked first and an instance without them
   * makes the call throw `NotOwnedError` before anything is destroyed. Idempotent: an instance
   * already gone or unknown counts as destroyed. Aborted (`options.signal`): no further instance is
   * asked to stop and no wait for one to go is finished; the call throws, and a later call with the
   * same ids completes the work.
   */
  destroy(
    ids: readonly string[],
    owner: InstanceOwner,
    reason: string,
    options?: DestroyOptions,
  ): Promise<DestroyResult>;

  /**
   * Optional: asks `ids` (all `owner`'s, checked as by `destroy`) to stop by themselves, and returns
   * at once without waiting (process: SIGTERM). The engine then waits across passes, up to the
   * group's `lifecycle.drainTimeoutSeconds`, for them to go, and `destroy`s what is left with
   * `graceMs: 0`. Idempotent; an instance already gone is skipped.
   */
  stop?(ids: readonly string[], owner: InstanceOwner, reason: string): Promise<void>;

  /**
   * Optional: finishes what a launch leaves to do once its instances run (EC2: a pet's data volumes
   * and Elastic IP, kept per logical ID across replacement). The engine calls it before it marks a
   * launch intent done, with the instances the intent launched, and keeps the intent open (calling
   * again on later passes) until it answers `done`. Idempotent: what is already attached stays as
   * it is; nothing held by another live instance is ever taken from it.
   */
  attach?(
    properties: Record<string, unknown>,
    instances: readonly InstanceDescription[],
    owner: InstanceOwner,
    options?: CallOptions,
  ): Promise<AttachResult>;

  /**
   * Optional: deletes the per-logical-ID resources (volumes, interfaces, addresses) of `owner`'s
   * logical IDs outside `request.keep`, if the properties let go of removed ones, or all of them with
   * `request.all`. Waits (answers not `done`) while a live instance still holds one. Idempotent.
   */
  release?(
    properties: Record<string, unknown>,
    owner: InstanceOwner,
    request: ReleaseRequest,
    options?: CallOptions,
  ): Promise<ReleaseResult>;

  /** Optional: what `owner`'s logical IDs keep across replacement. Read-only. */
  retained?(
    properties: Record<string, unknown>,
    owner: InstanceOwner,
    options?: CallOptions,
  ): Promise<readonly RetainedResource[]>;

  /**
   * Optional (the remediation ladder's `reboot`): reboots `ids`, which must all belong to `owner`
   * (checked as for `destroy`, `NotOwnedError` before anything is rebooted). Idempotent enough to
   * retry: a second reboot of a rebooting instance does no harm; an instance already gone is
   * skipped. Aborted (`options.signal`): no further instance is asked to reboot, and the call throws.
   */
  reboot?(ids: readonly string[], owner: InstanceOwner, options?: CallOptions): Promise<void>;

  /**
   * Optional (`health.retainForForensics`): takes `ids` out of the group but keeps them running:
   * the `infrakit.group` membership tag is removed and `infrakit.retained=<group>` added, so
   * `describe` no longer returns them and `destroy` would refuse them. Ownership is checked as for
   * `destroy`. Idempotent: an instance already retained or gone counts as retained. Returns the ids
   * retained (or gone).
   */
  keepForForensics?(
    ids: readonly string[],
    owner: InstanceOwner,
    options?: CallOptions,
  ): Promise<DestroyResult>;

  /**
   * Adds or overwrites tags on existing instances (operator labels such as `infrakit.protected`).
   * Idempotent; an unknown or gone instance is skipped, not an error.
   */
  label(ids: readonly string[], tags: Readonly<Record<string, string>>): Promise<void>;
}

/** Providers by name, as the engine and the API look them up. */
export type ProviderRegistry = ReadonlyMap<string, InstanceProvider>;
