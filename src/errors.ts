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

/**
 * Bounds on how much of a validation failure is reported. A small document can have thousands of
 * problems (a YAML anchor of unknown keys used many times), and an answer listing all of them can
 * exceed what API Gateway and Lambda will carry: only the first issues are reported, each clipped,
 * followed by one issue that counts the rest.
 */
export const ISSUE_LIMITS = {
  /** Issues reported in full; the rest are counted. */
  count: 50,
  /** Total JSON size of the reported issues; stops earlier when paths or messages are long. */
  bytes: 24 * 1024,
  /** Characters of one issue's path and of its message. */
  pathChars: 200,
  messageChars: 300,
  /** Issues, and characters, summarised in an error's one-line message. */
  messageIssues: 20,
  summaryChars: 2_000,
} as const;

/** `text` cut to at most `max` characters, marked with `…` when cut (never splitting a surrogate pair). */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let head = text.slice(0, Math.max(0, max - 1));
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  return `${head}…`;
}

function clipIssue(issue: FieldIssue): FieldIssue {
  return {
    path: clipText(issue.path, ISSUE_LIMITS.pathChars),
    message: clipText(issue.message, ISSUE_LIMITS.messageChars),
  };
}

const omitted = (n: number) => `${n} more issue${n === 1 ? '' : 's'} not shown`;

/**
 * The issues to report: the first ones (at most `ISSUE_LIMITS.count`, within `ISSUE_LIMITS.bytes`),
 * each clipped, then, when some were left out, one issue with an empty path that says how many.
 */
export function reportedIssues(issues: readonly FieldIssue[]): FieldIssue[] {
  const shown: FieldIssue[] = [];
  let bytes = 0;
  for (const issue of issues) {
    if (shown.length >= ISSUE_LIMITS.count) break;
    const clipped = clipIssue(issue);
    bytes += Buffer.byteLength(JSON.stringify(clipped));
    if (bytes > ISSUE_LIMITS.bytes && shown.length > 0) break;
    shown.push(clipped);
  }
  const rest = issues.length - shown.length;
  return rest > 0 ? [...shown, { path: '', message: omitted(rest) }] : shown;
}

/** One line naming the first issues (`path: message; …`) and counting the rest. */
export function summarizeIssues(issues: readonly FieldIssue[]): string {
  const parts: string[] = [];
  let chars = 0;
  for (const issue of issues) {
    if (parts.length >= ISSUE_LIMITS.messageIssues) break;
    const { path, message } = clipIssue(issue);
    const part = path ? `${path}: ${message}` : message;
    if (chars + part.length > ISSUE_LIMITS.summaryChars && parts.length > 0) break;
    parts.push(part);
    chars += part.length + 2;
  }
  const rest = issues.length - parts.length;
  return rest > 0 ? [...parts, omitted(rest)].join('; ') : parts.join('; ');
}

/**
 * Input (a spec, provider properties, a request) is invalid; `issues` name each field and reason.
 * `issues` holds every problem found; the message names the first ones and counts the rest.
 */
export class SpecValidationError extends InfrakitError {
  readonly issues: readonly FieldIssue[];
  constructor(issues: readonly FieldIssue[], options?: ErrorOptions) {
    super(summarizeIssues(issues), options);
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

/**
 * A backend the controller asks (a provider's API, an InfraKit plugin) did not answer usefully: it
 * could not be reached, timed out, or answered garbage or an error of its own. Not the caller's
 * fault; the same call may work later.
 */
export class BackendError extends InfrakitError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BackendError';
  }
}

/**
 * A spec could not be fully checked because a backend its check needs did not answer (a plugin's
 * `Validate` at PUT): `issues` names the fields whose checks could not be made. Nothing was written;
 * the API answers 503 and the request may be retried.
 */
export class CheckUnavailableError extends InfrakitError {
  readonly issues: readonly FieldIssue[];
  constructor(issues: readonly FieldIssue[], options?: ErrorOptions) {
    super(
      `the spec could not be checked: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      options,
    );
    this.name = 'CheckUnavailableError';
    this.issues = issues;
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

/**
 * A load balancer target group a spec names does not exist (deleted, or never created). Nothing is
 * registered in it and no drain waits for it; the group goes on with its other target groups.
 */
export class TargetGroupNotFoundError extends InvalidConfigurationError {
  readonly targetGroupArn: string;
  constructor(targetGroupArn: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TargetGroupNotFoundError';
    this.targetGroupArn = targetGroupArn;
  }
}

/** An instance does not carry this group's tag: it is never destroyed or relabelled. */
export class NotOwnedError extends InfrakitError {
  readonly instanceIds: readonly string[];
  constructor(
    instanceIds: readonly string[],
    owner: { readonly controllerId: string; readonly groupId: string },
    options?: ErrorOptions,
  ) {
    super(
      `refusing to act on instances not tagged for group ${owner.groupId} of controller ${owner.controllerId}: ${instanceIds.join(', ')}`,
      options,
    );
    this.name = 'NotOwnedError';
    this.instanceIds = instanceIds;
  }
}

/** The classes of errors, for events and metrics (and the API's `errorClass`). */
export const ERROR_CLASSES = [
  'throttling',
  'capacity',
  'invalid-config',
  'not-owned',
  'validation',
  'other',
] as const;

/** Classifies an error for events and metrics. */
export type ErrorClass = (typeof ERROR_CLASSES)[number];

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
