import type { InstanceDescription, ProvisionRequest } from '../providers/types.js';
import type { Allocation } from '../spec/schema.js';

/** Bumped on any incompatible change to the flavor contract. */
export const FLAVOR_CONTRACT_VERSION = '1.0.0';

export type Health = 'healthy' | 'unhealthy' | 'unknown';

/**
 * A flavor (after InfraKit's flavor SPI): what runs on an instance and how to judge its health.
 * Every method is deterministic for the same input.
 */
export interface Flavor {
  /** Flavor name as written in specs (`flavor.kind`). */
  readonly kind: string;

  /** Validates `flavor.properties` against the allocation; throws `SpecValidationError` (relative paths). */
  validate(properties: unknown, allocation: Allocation): Record<string, unknown>;

  /**
   * Adds the init script and tags to a request. The controller's own `infrakit.*` tags always win
   * over the flavor's. `index` is the position of the instance in this launch.
   */
  prepare(
    properties: Record<string, unknown>,
    request: ProvisionRequest,
    allocation: Allocation,
    index: number,
  ): ProvisionRequest;

  /** Health of one observed instance. */
  health(properties: Record<string, unknown>, instance: InstanceDescription): Health;

  /**
   * Optional: checks `properties` (already validated) with what only the flavor's backend can tell
   * (InfraKit's `Flavor.Validate`), when a spec is submitted, never on a pass. Throws
   * `SpecValidationError` (relative paths), or another error when the check could not be made.
   */
  preflight?(properties: Record<string, unknown>, allocation: Allocation): Promise<void>;

  /**
   * Optional, for flavors that must ask something (a plugin) to prepare a launch: used instead of
   * `prepare` by the engine when present. Same rules as `prepare`; a failure throws and the launch
   * is not made.
   */
  prepareLaunch?(
    properties: Record<string, unknown>,
    request: ProvisionRequest,
    allocation: Allocation,
    index: number,
    options?: { readonly signal?: AbortSignal },
  ): Promise<ProvisionRequest>;

  /**
   * Optional, for flavors that must ask something (a plugin) to judge health: one answer per
   * instance, in order, used instead of `health` when present. All or nothing: a failure throws,
   * and the pass plans nothing from an incomplete view (as a failed describe).
   */
  healthOf?(
    properties: Record<string, unknown>,
    instances: readonly InstanceDescription[],
    options?: { readonly signal?: AbortSignal },
  ): Promise<readonly Health[]>;

  /** Prepares an instance for termination (deregister, hand off work). Idempotent. */
  drain(properties: Record<string, unknown>, instance: InstanceDescription): Promise<void>;
}

export type FlavorRegistry = ReadonlyMap<string, Flavor>;
