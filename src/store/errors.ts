import { InfrakitError } from '../errors.js';

/** The spec changed since the caller read it (stale `If-Match`, lost race): re-read and retry. */
export class VersionConflictError extends InfrakitError {
  /** The version now stored (0 when the group does not exist). */
  readonly currentVersion: number;
  constructor(
    groupId: string,
    expectedVersion: number | undefined,
    currentVersion: number,
    options?: ErrorOptions,
  ) {
    super(
      `group ${groupId} is at version ${currentVersion}, not ${expectedVersion ?? 'absent'}: re-read it and retry`,
      options,
    );
    this.name = 'VersionConflictError';
    this.currentVersion = currentVersion;
  }
}

/** The group already exists and the write was create-only. */
export class GroupExistsError extends InfrakitError {
  constructor(groupId: string, options?: ErrorOptions) {
    super(`group ${groupId} already exists`, options);
    this.name = 'GroupExistsError';
  }
}

/**
 * The group is being destroyed: its spec can no longer change (a write would be lost, or would
 * bring back a group the user asked to remove). Create it again once it is gone.
 */
export class GroupDestroyingError extends InfrakitError {
  constructor(groupId: string, options?: ErrorOptions) {
    super(`group ${groupId} is being destroyed; wait until it is gone, then create it again`, options);
    this.name = 'GroupDestroyingError';
  }
}

export class GroupNotFoundError extends InfrakitError {
  constructor(groupId: string, options?: ErrorOptions) {
    super(`group ${groupId} not found`, options);
    this.name = 'GroupNotFoundError';
  }
}

/** The caller no longer holds the lease (expired and taken over): stop acting on the group. */
export class LeaseLostError extends InfrakitError {
  constructor(groupId: string, options?: ErrorOptions) {
    super(`lease on group ${groupId} was lost`, options);
    this.name = 'LeaseLostError';
  }
}
