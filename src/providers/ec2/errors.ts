import {
  InfrakitError,
  InsufficientCapacityError,
  InvalidConfigurationError,
  messageOf,
  ThrottledError,
} from '../../errors.js';

/**
 * EC2 error codes sorted into the few classes the provider reacts to, after Karpenter's
 * `pkg/errors/errors.go`. The SDK sets an EC2 error's `name` to the AWS error code.
 */

/** Too many requests: retried with backoff, then `ThrottledError`. */
export const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'RequestThrottled',
  'RequestThrottledException',
  'EC2ThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'PriorRequestNotComplete',
]);

/** Server-side hiccups: retried like throttling; rethrown as they are when retries run out. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'Unavailable',
]);

/** No capacity for this type / zone / quota: try the next instance type, then the next subnet. */
export const CAPACITY_CODES: ReadonlySet<string> = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientCapacityOnHost',
  'InstanceLimitExceeded',
  'InsufficientFreeAddressesInSubnet',
  'Unsupported',
  'MaxSpotInstanceCountExceeded',
  'VcpuLimitExceeded',
  'SpotMaxPriceTooLow',
  'UnfulfillableCapacity',
  'ReservationCapacityExceeded',
]);

/** The configuration itself is wrong: no retry, the group is blocked until the spec changes. */
export const INVALID_CONFIG_CODES: ReadonlySet<string> = new Set([
  'InvalidParameter',
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'MissingParameter',
  'UnauthorizedOperation',
  'AuthFailure',
  'OptInRequired',
  'Blocked',
  'InvalidSubnetID.NotFound',
  'InvalidSubnetID.Malformed',
  'InvalidGroup.NotFound',
  'InvalidGroupId.Malformed',
  'InvalidSecurityGroupID.NotFound',
  'InvalidKeyPair.NotFound',
  'InvalidBlockDeviceMapping',
  'InvalidInstanceType',
  'InvalidUserData.Malformed',
  'InvalidSnapshot.NotFound',
  'InvalidLaunchTemplateId.NotFound',
  'InvalidLaunchTemplateId.Malformed',
  'InvalidLaunchTemplateId.VersionNotFound',
  'InvalidLaunchTemplateName.NotFoundException',
  'InvalidLaunchTemplateName.MalformedException',
  'IdempotentParameterMismatch',
]);

/** Prefixes whose every code is a configuration error (`InvalidAMIID.NotFound`, `.Malformed`, …). */
const INVALID_CONFIG_PREFIXES: readonly string[] = ['InvalidAMIID.', 'InvalidIamInstanceProfile'];

/** The instance does not exist (or the id is not even well formed): it counts as gone. */
export const NOT_FOUND_CODES: ReadonlySet<string> = new Set([
  'InvalidInstanceID.NotFound',
  'InvalidInstanceID.Malformed',
]);

/**
 * A pet's private IP, or its network interface, is still held by the instance it replaces
 * (shutting down): retry later.
 */
export const ADDRESS_IN_USE_CODES: ReadonlySet<string> = new Set([
  'InvalidIPAddress.InUse',
  'InvalidNetworkInterface.InUse',
]);

/** A volume, interface, address or attachment EC2 no longer knows: already gone, nothing to undo. */
export const RESOURCE_GONE_CODES: ReadonlySet<string> = new Set([
  'InvalidVolume.NotFound',
  'InvalidNetworkInterfaceID.NotFound',
  'InvalidAllocationID.NotFound',
  'InvalidAssociationID.NotFound',
  'InvalidAttachment.NotFound',
  'InvalidAttachmentID.NotFound',
]);

export const isResourceGone = (err: unknown): boolean => RESOURCE_GONE_CODES.has(awsErrorCode(err) ?? '');

export type AwsErrorClass =
  | 'throttling'
  | 'transient'
  | 'capacity'
  | 'invalid-config'
  | 'not-found'
  | 'address-in-use'
  | 'other';

/** The AWS error code of an SDK error (its `name`, or `Code` on older shapes); undefined otherwise. */
export function awsErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { name, Code } = err as { name?: unknown; Code?: unknown };
  if (typeof Code === 'string') return Code;
  return typeof name === 'string' && name !== 'Error' ? name : undefined;
}

/** Sorts an error thrown by the EC2 SDK into the class the provider reacts to. */
export function classifyAwsError(err: unknown): AwsErrorClass {
  const code = awsErrorCode(err);
  if (code === undefined) return 'other';
  if (THROTTLING_CODES.has(code)) return 'throttling';
  if (TRANSIENT_CODES.has(code)) return 'transient';
  if (CAPACITY_CODES.has(code)) return 'capacity';
  if (NOT_FOUND_CODES.has(code)) return 'not-found';
  if (ADDRESS_IN_USE_CODES.has(code)) return 'address-in-use';
  if (INVALID_CONFIG_CODES.has(code) || INVALID_CONFIG_PREFIXES.some((p) => code.startsWith(p)))
    return 'invalid-config';
  return 'other';
}

export const isThrottling = (err: unknown): boolean => classifyAwsError(err) === 'throttling';
export const isRetryable = (err: unknown): boolean => {
  const c = classifyAwsError(err);
  return c === 'throttling' || c === 'transient';
};
export const isCapacity = (err: unknown): boolean => classifyAwsError(err) === 'capacity';
export const isNotFound = (err: unknown): boolean => classifyAwsError(err) === 'not-found';

/** `Code: message` of an AWS error, for readable error messages and events. */
export function describeAwsError(err: unknown): string {
  const code = awsErrorCode(err);
  const msg = messageOf(err);
  return code && !msg.startsWith(code) ? `${code}: ${msg}` : msg;
}

/**
 * Maps an SDK error to the project's typed errors (`src/errors.ts`), keeping it as `cause`.
 * `operation` names what was attempted, as the message's prefix (`launching instances: …`).
 * Errors already typed by this project pass through unchanged.
 */
export function toProviderError(err: unknown, operation: string, launchedIds: readonly string[] = []): Error {
  if (err instanceof InfrakitError) return err;
  const text = `${operation}: ${describeAwsError(err)}`;
  switch (classifyAwsError(err)) {
    case 'throttling':
      return new ThrottledError(text, { cause: err });
    case 'capacity':
    case 'address-in-use':
      return new InsufficientCapacityError(text, launchedIds, { cause: err });
    case 'invalid-config':
      return new InvalidConfigurationError(text, { cause: err });
    default:
      return err instanceof Error ? err : new Error(text, { cause: err });
  }
}
