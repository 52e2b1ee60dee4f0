import type { LeaseState } from '../store/types.js';
import type { EngineContext } from './context.js';

/**
 * Holds a group's lease for one pass and renews it when a third of its time to live has gone, so a
 * long pass never outlives its lease. Every store write of the pass is fenced by `current` (the
 * store makes it conditional on the lease token), so a holder whose lease was taken over gets a
 * `LeaseLostError` at its next write and stops.
 */
export class LeaseKeeper {
  private lease: LeaseState;
  private renewedAt: number;

  constructor(
    private readonly ctx: EngineContext,
    private readonly groupId: string,
    lease: LeaseState,
  ) {
    this.lease = lease;
    this.renewedAt = ctx.now();
  }

  get current(): LeaseState {
    return this.lease;
  }

  /** Renews the lease if more than a third of its time to live has passed since the last renewal. */
  async keep(): Promise<void> {
    const now = this.ctx.now();
    if (now - this.renewedAt <= this.ctx.leaseTtlMs / 3) return;
    this.ctx.step('renew-lease', this.groupId);
    this.lease = await this.ctx.store.renewLease(this.groupId, this.lease, this.ctx.leaseTtlMs, now);
    this.renewedAt = now;
  }
}
