import { abortable, childSignal } from '../abort.js';

/** A provider call that took longer than the engine waits for it. */
export class CallTimeoutError extends Error {
  override readonly name = 'CallTimeoutError';
}

/**
 * `call`, given a signal of its own, bounded by `ms`. When late, the signal is aborted with a
 * `CallTimeoutError` saying `what timed out after ms` and the promise rejects with it at once; when
 * any of `parents` aborts first (a lost lease, a controller shutting down), likewise with that
 * parent's reason. The call is cancelled, not merely no longer waited for: a provider honouring the
 * signal sends no further request. Whatever the call does after the abort is ignored.
 */
export async function withTimeout<T>(
  call: (signal: AbortSignal) => Promise<T>,
  ms: number,
  what: string,
  parents: readonly (AbortSignal | undefined)[] = [],
): Promise<T> {
  const own = childSignal(parents);
  const timer = setTimeout(() => own.abort(new CallTimeoutError(`${what} timed out after ${ms} ms`)), ms);
  try {
    own.signal.throwIfAborted();
    return await abortable(call(own.signal), own.signal);
  } finally {
    clearTimeout(timer);
    own.release();
  }
}
