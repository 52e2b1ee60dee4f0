/**
 * The typed errors the controller acts on. Each sets `name`, keeps `cause`, and carries the data a
 * caller needs to react (re-read and re-plan, retry later, block the group, show the user).
 */

/** One validation problem, with the dotted path of the offending field. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/** Base class of every error this project throws on purpose. */
export class InfrakitError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InfrakitError';
  }
}

/** Input (a spec, provider properties, a request) is invalid; `issues` name each field and reason. */
export class SpecValidationError extends InfrakitError {
  readonly issues: readonly FieldIssue[];
  constructor(issues: readonly FieldIssue[], options?: ErrorOptions) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '), options);
    this.name = 'SpecValidationError';
    this.issues = issues;
  }

  /** The same issues with `prefix` prepended to every path (e.g. `instance.properties`). */
  withPrefix(prefix: string): SpecValidationError {
    return new SpecValidationError(
      this.issues.map((i) => ({ path: i.path ? `${prefix}.${i.path}` : prefix, message: i.message })),
      { cause: this.cause },
    );
  }
}

/** A provider call was throttled; retry later with backoff. */
export class ThrottledError extends InfrakitError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ThrottledError';
  }
}

/** The provider had no capacity for the request (type, zone, quota); try elsewhere or later. */
export class InsufficientCapacityError extends InfrakitError {
  /** Instances that were launched before capacity ran out (may be empty). */
  readonly launchedIds: readonly string[];
  constructor(message: string, launchedIds: readonly string[] = [], options?: ErrorOptions) {
    super(message, options);
    this.name = 'InsufficientCapacityError';
    this.launchedIds = launchedIds;
  }
}

/** The provider rejected the configuration itself; retrying will not help until the spec changes. */
export class InvalidConfigurationError extends InfrakitError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidConfigurationError';
  }
}

/** An instance does not carry this group's tag: it is never destroyed or relabelled. */
export class NotOwnedError extends InfrakitError {
  readonly instanceIds: readonly string[];
  constructor(instanceIds: readonly string[], groupId: string, options?: ErrorOptions) {
    super(`refusing to act on instances not tagged for group ${groupId}: ${instanceIds.join(', ')}`, options);
    this.name = 'NotOwnedError';
    this.instanceIds = instanceIds;
  }
}

/** Classifies an error for events and metrics. */
export type ErrorClass = 'throttling' | 'capacity' | 'invalid-config' | 'not-owned' | 'validation' | 'other';

export function classifyError(err: unknown): ErrorClass {
  if (err instanceof ThrottledError) return 'throttling';
  if (err instanceof InsufficientCapacityError) return 'capacity';
  if (err instanceof InvalidConfigurationError) return 'invalid-config';
  if (err instanceof NotOwnedError) return 'not-owned';
  if (err instanceof SpecValidationError) return 'validation';
  return 'other';
}

/** A readable one-line message for any thrown value. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
