import { describe, expect, it } from 'vitest';
import { ReconcileScheduler } from '../../src/local/scheduler.js';
import type { ReconcileOutcome, ReconcileResult } from '../../src/reconcile/types.js';

/** A reconcile that answers the scripted outcomes in order (then `steady`) and records each call. */
function scripted(outcomes: ReconcileOutcome[], delayMs = 0) {
  const calls: string[] = [];
  let running = 0;
  let maxConcurrent = 0;
  const reconcile = async (groupId: string): Promise<ReconcileResult> => {
    calls.push(groupId);
    running++;
    maxConcurrent = Math.max(maxConcurrent, running);
    await new Promise((r) => setTimeout(r, delayMs));
    running--;
    return { groupId, outcome: outcomes.shift() ?? 'steady', launched: 0, terminated: 0 };
  };
  return { calls, reconcile, maxConcurrent: () => maxConcurrent };
}

describe('local reconcile scheduler', () => {
  it('folds a burst of requests into one pass per group', async () => {
    const s = scripted([]);
    const scheduler = new ReconcileScheduler({ reconcile: s.reconcile, debounceMs: 5 });
    for (let i = 0; i < 10; i++) scheduler.request(['a', 'b', 'a'], `exit ${i}`);
    await scheduler.idle();
    expect(s.calls.sort()).toEqual(['a', 'b']);
  });

  it('never runs two passes of one group at once, and runs once more for requests made meanwhile', async () => {
    const s = scripted([], 30);
    const reasons: string[][] = [];
    const scheduler = new ReconcileScheduler({
      reconcile: s.reconcile,
      debounceMs: 1,
      onResult: (_r, why) => reasons.push([...why]),
    });
    scheduler.request(['a'], 'first');
    await new Promise((r) => setTimeout(r, 10));
    scheduler.request(['a'], 'second');
    scheduler.request(['a'], 'third');
    await scheduler.idle();
    expect(s.calls).toEqual(['a', 'a']);
    expect(s.maxConcurrent()).toBe(1);
    expect(reasons).toEqual([['first'], ['second', 'third']]);
  });

  it('retries while another reconciler holds the lease, and follows up after acting until steady', async () => {
    const s = scripted(['busy', 'busy', 'acted', 'acted']);
    const scheduler = new ReconcileScheduler({ reconcile: s.reconcile, debounceMs: 1, busyRetryMs: 1 });
    scheduler.request(['a'], 'exit');
    await scheduler.idle();
    // busy, busy, acted, acted, then the steady pass that ends it.
    expect(s.calls).toHaveLength(5);
  });

  it('stops retrying busy after the limit, leaving the group to the sweep', async () => {
    const s = scripted(Array<ReconcileOutcome>(50).fill('busy'));
    const scheduler = new ReconcileScheduler({
      reconcile: s.reconcile,
      debounceMs: 1,
      busyRetryMs: 1,
      maxBusyRetries: 3,
    });
    scheduler.request(['a'], 'exit');
    await scheduler.idle();
    expect(s.calls).toHaveLength(4);
  });

  it('schedules nothing after stop', async () => {
    const s = scripted([]);
    const scheduler = new ReconcileScheduler({ reconcile: s.reconcile, debounceMs: 1 });
    await scheduler.stop();
    scheduler.request(['a'], 'late');
    await new Promise((r) => setTimeout(r, 20));
    expect(s.calls).toEqual([]);
  });
});
