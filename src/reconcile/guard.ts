import { classifyError, messageOf } from '../errors.js';
import { PassAbandonedError } from './errors.js';
import type { ReconcileResult } from './types.js';

/**
 * Runs one pass and turns unexpected failures (a store or provider error outside the handled
 * classes) into a `failed` result. An injected crash is not a failure to report: it propagates, as
 * the death of the process would.
 */
export async function guardedPass(
  groupId: string,
  pass: () => Promise<ReconcileResult>,
): Promise<ReconcileResult> {
  try {
    return await pass();
  } catch (err) {
    if (err instanceof PassAbandonedError) throw err;
    return {
      groupId,
      outcome: 'failed',
      launched: 0,
      terminated: 0,
      error: messageOf(err),
      errorClass: classifyError(err),
    };
  }
}
