/**
 * Runs `work` on each item with at most `limit` at a time, in order of the items. After the first
 * failure, or once `signal` aborts, no further item is started; the items already started are
 * waited for. Never rejects: each item's outcome is reported, with the first error (the signal's
 * reason when it aborted first).
 */
export async function runLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<{ readonly results: readonly (R | undefined)[]; readonly error?: { readonly cause: unknown } }> {
  const results: (R | undefined)[] = new Array(items.length).fill(undefined);
  let error: { cause: unknown } | undefined;
  let next = 0;
  const worker = async () => {
    for (;;) {
      if (error) return;
      if (signal?.aborted) {
        error = { cause: signal.reason };
        return;
      }
      const index = next++;
      if (index >= items.length) return;
      try {
        results[index] = await work(items[index] as T, index);
      } catch (cause) {
        error ??= { cause };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return error ? { results, error } : { results };
}
