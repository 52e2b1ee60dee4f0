import { abortable, sleepUnlessAborted } from '../../abort.js';

/**
 * Sleeps `ms` milliseconds, or less when `signal` aborts (then it rejects with `signal.reason`);
 * injectable so tests advance a fake clock instead of waiting. A sleep that ignores the signal is
 * still cut short by its callers, which never wait past an abort.
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = sleepUnlessAborted;

export interface TokenBucketOptions {
  /** Tokens available at once. @default 5 (EC2's RunInstances burst) */
  readonly capacity?: number;
  /** Tokens added per second. @default 2 (EC2's RunInstances refill rate) */
  readonly refillPerSecond?: number;
  /** Epoch ms. @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout-based sleep */
  readonly sleep?: Sleep;
}

/**
 * A client-side token bucket that keeps a request rate within a server-side bucket of the same
 * shape, so that the controller paces itself instead of collecting `RequestLimitExceeded`.
 * The defaults match EC2's published RunInstances request bucket (5 burst, refill 2 per second).
 *
 * Waiters are served first come, first served: `take` calls are chained, so a burst of concurrent
 * launches is spread out evenly rather than all waking at the same instant and racing for a token.
 * The bucket is per process; share one instance between providers that talk to the same account
 * and region.
 */
export class TokenBucket {
  readonly capacity: number;
  readonly refillPerSecond: number;
  private readonly now: () => number;
  private readonly sleep: Sleep;
  private tokens: number;
  private lastRefill: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(options: TokenBucketOptions = {}) {
    this.capacity = options.capacity ?? 5;
    this.refillPerSecond = options.refillPerSecond ?? 2;
    if (!(this.capacity >= 1) || !(this.refillPerSecond > 0))
      throw new RangeError('token bucket needs capacity >= 1 and refillPerSecond > 0');
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.tokens = this.capacity;
    this.lastRefill = this.now();
  }

  /**
   * Resolves once a token has been taken, waiting for the refill when the bucket is empty. Once
   * `signal` aborts, rejects at once with its reason, and the waiter takes no token when its turn
   * comes: the callers behind it move up.
   */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.takeInTurn(signal));
    // A failed sleep must not wedge every later caller: the chain continues either way.
    this.queue = turn.catch(() => undefined);
    return abortable(turn, signal);
  }

  /** Tokens available right now (fractional while refilling); for tests and metrics. */
  available(): number {
    this.refill();
    return this.tokens;
  }

  private async takeInTurn(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    this.refill();
    while (this.tokens < 1) {
      const waitMs = Math.ceil(((1 - this.tokens) / this.refillPerSecond) * 1000);
      await abortable(this.sleep(waitMs, signal), signal);
      this.refill();
    }
    this.tokens -= 1;
  }

  private refill(): void {
    const t = this.now();
    const elapsed = Math.max(0, t - this.lastRefill);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed / 1000) * this.refillPerSecond);
    this.lastRefill = t;
  }
}
