import { abortable } from '../../abort.js';
import { ThrottledError } from '../../errors.js';
import { describeAwsError, isRetryable, isThrottling } from './errors.js';
import type { Sleep } from './token-bucket.js';

export interface RetryOptions {
  /** Attempts in all, the first included. @default 5 */
  readonly maxAttempts?: number;
  /** Cap of the first backoff; doubles per attempt. @default 200 */
  readonly baseDelayMs?: number;
  /** Upper bound of any single backoff. @default 10_000 */
  readonly maxDelayMs?: number;
  readonly sleep: Sleep;
  /** Uniform in [0, 1); injectable for deterministic tests. @default Math.random */
  readonly random?: () => number;
}

/**
 * Full-jitter exponential backoff: a delay drawn uniformly from `[0, min(max, base·2^attempt))`.
 * Jitter spreads the retries of many reconcilers that were throttled at the same moment, so they
 * do not come back in lockstep and trip the limit again (AWS Architecture Blog, "Exponential
 * Backoff And Jitter").
 */
export function backoffDelayMs(attempt: number, options: RetryOptions): number {
  const base = options.baseDelayMs ?? 200;
  const max = options.maxDelayMs ?? 10_000;
  const ceiling = Math.min(max, base * 2 ** attempt);
  return Math.floor((options.random ?? Math.random)() * ceiling);
}

/**
 * Runs `attempt` until it succeeds, retrying throttling and transient server errors with
 * jittered backoff and a bounded number of attempts. Any other error is thrown at once (a
 * configuration error must not turn into a retry storm). When attempts run out, a throttled call
 * becomes `ThrottledError` (the engine retries at a later pass); a transient one is rethrown.
 *
 * Once `signal` aborts, no further attempt starts and a backoff under way ends at once: the call
 * rejects with `signal.reason` (also when the attempt under way failed because of the abort).
 */
export async function withRetry<T>(
  operation: string,
  attempt: () => Promise<T>,
  options: RetryOptions,
  signal?: AbortSignal,
): Promise<T> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  for (let n = 0; ; n++) {
    signal?.throwIfAborted();
    try {
      return await attempt();
    } catch (err) {
      signal?.throwIfAborted();
      if (!isRetryable(err)) throw err;
      if (n + 1 >= maxAttempts) {
        if (isThrottling(err))
          throw new ThrottledError(
            `${operation} still throttled after ${maxAttempts} attempts: ${describeAwsError(err)}`,
            {
              cause: err,
            },
          );
        throw err;
      }
      await abortable(options.sleep(backoffDelayMs(n, options), signal), signal);
    }
  }
}
