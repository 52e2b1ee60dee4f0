/**
 * Small helpers for `AbortSignal`s: how a caller cancels work it no longer waits for (a timeout, a
 * lost lease, a controller shutting down). An aborted operation rejects with `signal.reason`.
 */

/**
 * `work`, unless `signal` aborts first: then the result rejects at once with `signal.reason`, and
 * `work`'s own outcome is ignored (never an unhandled rejection). Use it on waits that cannot be
 * interrupted themselves (an injected sleep, a queue turn), so that an abort is never held up by them.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => undefined);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Resolves after `ms`, or rejects with `signal.reason` as soon as `signal` aborts (the timer is cleared). */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A signal of its own for one call, aborted when any of `parents` is (with that parent's reason)
 * or when `abort` is called. `release` unhooks it from the parents: call it once the call is over,
 * so that a long-lived parent (a controller's) does not collect a listener per call.
 */
export function childSignal(parents: readonly (AbortSignal | undefined)[]): {
  readonly signal: AbortSignal;
  abort(reason: unknown): void;
  release(): void;
} {
  const controller = new AbortController();
  const hooked: [AbortSignal, () => void][] = [];
  for (const parent of parents) {
    if (!parent) continue;
    if (parent.aborted) {
      controller.abort(parent.reason);
      break;
    }
    const onAbort = () => controller.abort(parent.reason);
    parent.addEventListener('abort', onAbort, { once: true });
    hooked.push([parent, onAbort]);
  }
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    release() {
      for (const [parent, onAbort] of hooked.splice(0)) parent.removeEventListener('abort', onAbort);
    },
  };
}
