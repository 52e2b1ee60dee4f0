import { InfrakitError } from '../errors.js';

/**
 * A pass was abandoned mid-way (an injected crash). Nothing is cleaned up: the lease is left to
 * expire, exactly as if the process had died, so recovery is exercised for real.
 */
export class PassAbandonedError extends InfrakitError {
  readonly step: string;
  readonly groupId: string;
  constructor(step: string, groupId: string, options?: ErrorOptions) {
    super(`reconcile of ${groupId} abandoned before step ${step}`, options);
    this.name = 'PassAbandonedError';
    this.step = step;
    this.groupId = groupId;
  }
}
