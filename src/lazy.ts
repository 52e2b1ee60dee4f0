/**
 * Loading on first use. The AWS SDK clients are the heaviest modules a Lambda handler imports;
 * those that many invocations never need (EC2, EventBridge) are imported when first called, so
 * a container's init phase does not pay for them.
 */

/** `load()` run once, on the first call, and its result kept; a failed load is retried next time. */
export function onFirstUse<T>(load: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= load().catch((err: unknown) => {
      value = undefined;
      throw err;
    });
    return value;
  };
}

/** A dependency given directly, or a function producing it on first use. */
export type Deferred<T extends object> = T | (() => Promise<T>);

export async function resolveDeferred<T extends object>(source: Deferred<T>): Promise<T> {
  return typeof source === 'function' ? source() : source;
}
