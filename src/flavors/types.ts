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

  /** Prepares an instance for termination (deregister, hand off work). Idempotent. */
  drain(properties: Record<string, unknown>, instance: InstanceDescription): Promise<void>;
}

export type FlavorRegistry = ReadonlyMap<string, Flavor>;
