import { LeaseLostError } from '../store/errors.js';
import type { LeaseState } from '../store/types.js';
import type { EngineContext } from './context.js';

/** The reason a pass's signal is aborted with once the pass is over. */
export class PassOverError extends Error {
  override readonly name = 'PassOverError';
}

/**
 * Holds a group's lease for one pass and renews it when a third of its time to live has gone, so a
 * long pass never outlives its lease. Every store write of the pass is fenced by `current` (the
 * store makes it conditional on the lease token), so a holder whose lease was taken over gets a
 * `LeaseLostError` at its next write and stops.
 *
 * The lease's age is read from its own expiry, not from when the store answered: an acquire or a
 * renewal whose answer came back late has already used up part of the lease, and a provider call
 * started on the strength of a fresh-looking but lapsed lease could overlap a new holder's pass.
 *
 * `signal` is what the pass's provider calls are cancelled by: aborted with the `LeaseLostError`
 * when a renewal finds the lease taken over, and by `end` when the pass is over, so that nothing the
 * pass started outlives it.
 */
export class LeaseKeeper {
  private lease: LeaseState;
  private readonly aborter = new AbortController();

  constructor(
    private readonly ctx: EngineContext,
    private readonly groupId: string,
    lease: LeaseState,
  ) {
    this.lease = lease;
  }

  get current(): LeaseState {
    return this.lease;
  }

  /** Aborted once the lease is lost or the pass is over. */
  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  /**
   * Ends the pass: whatever it started and is still running is aborted, with `reason` (the
   * `LeaseLostError` when the lease was lost). Later calls change nothing.
   */
  end(reason: unknown = new PassOverError(`the pass over ${this.groupId} is over`)): void {
    this.aborter.abort(reason);
  }

  /**
   * Renews the lease if less than two thirds of its time to live are left. Checked again after each
   * renewal (a slow write may have used up the new lease too), so on return, with no I/O before the
   * caller's next step, at least two thirds of the lease are left.
   */
  async keep(): Promise<void> {
    for (;;) {
      const now = this.ctx.now();
      if (this.lease.expiresAt - now >= (this.ctx.leaseTtlMs * 2) / 3) return;
      this.ctx.step('renew-lease', this.groupId);
      try {
        this.lease = await this.ctx.store.renewLease(this.groupId, this.lease, this.ctx.leaseTtlMs, now);
      } catch (err) {
        if (err instanceof LeaseLostError) this.end(err);
        throw err;
      }
    }
  }
}
