import type { ReconcileResult } from '../reconcile/types.js';

/**
 * Reconciles individual groups soon after something happened to them (a process exited, the spec
 * changed), without waiting for the sweep: the local analogue of EventBridge-driven healing.
 *
 * Per group at most one pass runs at a time in this controller; requests arriving meanwhile are
 * folded into one follow-up pass. Across controllers the engine's lease decides: a `busy` answer
 * is retried shortly, because the holder may have observed the group before the event happened.
 */

export interface SchedulerOptions {
  readonly reconcile: (groupId: string) => Promise<ReconcileResult>;
  /** Called after every pass with the reasons that were folded into it. */
  readonly onResult?: (result: ReconcileResult, reasons: readonly string[]) => void;
  readonly onError?: (groupId: string, err: unknown) => void;
  /** Delay that folds a burst of requests into one pass. @default 20 */
  readonly debounceMs?: number;
  /** Retry delay after `busy` (another holder of the lease). @default 250 */
  readonly busyRetryMs?: number;
  /** Give up retrying `busy` after this many attempts; the sweep takes over. @default 40 */
  readonly maxBusyRetries?: number;
  /** Upper bound of the back-off for a group that keeps acting (a crash-looping command). @default 10_000 */
  readonly maxBackoffMs?: number;
  /** Follow-ups further away than this are left to the sweep. @default 5_000 */
  readonly horizonMs?: number;
  readonly now?: () => number;
}

interface GroupEntry {
  timer?: NodeJS.Timeout;
  dueAt?: number;
  running: boolean;
  again: boolean;
  reasons: Set<string>;
  busyRetries: number;
  /** Consecutive passes that acted; grows the delay so a crash loop cannot spin. */
  actedStreak: number;
}

/** Passes that act in a row before back-off starts (a rolling update legitimately takes a few). */
const FREE_STREAK = 4;

export class ReconcileScheduler {
  private readonly groups = new Map<string, GroupEntry>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private readonly debounceMs: number;
  private readonly busyRetryMs: number;
  private readonly maxBusyRetries: number;
  private readonly maxBackoffMs: number;
  private readonly horizonMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SchedulerOptions) {
    this.debounceMs = options.debounceMs ?? 20;
    this.busyRetryMs = options.busyRetryMs ?? 250;
    this.maxBusyRetries = options.maxBusyRetries ?? 40;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.horizonMs = options.horizonMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  /** Asks for a pass over each group soon (debounced; backed off for groups that keep acting). */
  request(groupIds: readonly string[], reason: string): void {
    for (const id of new Set(groupIds)) {
      const entry = this.entry(id);
      entry.reasons.add(reason);
      entry.busyRetries = 0;
      if (entry.running) entry.again = true;
      else this.schedule(id, entry, this.backoff(entry));
    }
  }

  /** Stops scheduling and waits for the passes under way (bounded), so their leases get released. */
  async stop(timeoutMs = 15_000): Promise<void> {
    this.stopped = true;
    for (const entry of this.groups.values()) if (entry.timer) clearTimeout(entry.timer);
    const all = Promise.allSettled([...this.inFlight]);
    await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }

  /** Resolves once no pass is running or due (tests and benchmarks). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || [...this.groups.values()].some((e) => e.timer)) {
      await Promise.allSettled([...this.inFlight]);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private entry(id: string): GroupEntry {
    let entry = this.groups.get(id);
    if (!entry) {
      entry = { running: false, again: false, reasons: new Set(), busyRetries: 0, actedStreak: 0 };
      this.groups.set(id, entry);
    }
    return entry;
  }

  private backoff(entry: GroupEntry): number {
    if (entry.actedStreak < FREE_STREAK) return this.debounceMs;
    return Math.min(this.maxBackoffMs, 250 * 2 ** (entry.actedStreak - FREE_STREAK));
  }

  /** Keeps the earliest due time when a pass is already scheduled. */
  private schedule(id: string, entry: GroupEntry, delayMs: number): void {
    if (this.stopped) return;
    const dueAt = this.now() + delayMs;
    if (entry.timer && entry.dueAt !== undefined && entry.dueAt <= dueAt) return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.dueAt = dueAt;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      entry.dueAt = undefined;
      const run = this.runOne(id, entry);
      this.inFlight.add(run);
      void run.finally(() => this.inFlight.delete(run));
    }, delayMs);
  }

  private async runOne(id: string, entry: GroupEntry): Promise<void> {
    entry.running = true;
    entry.again = false;
    const reasons = [...entry.reasons];
    entry.reasons.clear();
    let result: ReconcileResult | undefined;
    try {
      result = await this.options.reconcile(id);
      this.options.onResult?.(result, reasons);
    } catch (err) {
      this.options.onError?.(id, err);
    } finally {
      entry.running = false;
    }
    this.followUp(id, entry, result);
  }

  private followUp(id: string, entry: GroupEntry, result: ReconcileResult | undefined): void {
    if (entry.again) {
      this.schedule(id, entry, this.backoff(entry));
      return;
    }
    switch (result?.outcome) {
      case 'busy':
        // The holder may have observed the group before the event: look again once it is done.
        if (entry.busyRetries++ < this.maxBusyRetries) this.schedule(id, entry, this.busyRetryMs);
        return;
      case 'acted':
        // Multi-step work (a rolling update, a destroy) continues at once instead of at the next sweep.
        entry.actedStreak++;
        this.schedule(id, entry, this.backoff(entry));
        return;
      case 'steady': {
        entry.actedStreak = 0;
        const next = result.plan?.nextCheckAt;
        const wait = next === undefined ? undefined : next - this.now();
        if (wait !== undefined && wait <= this.horizonMs)
          this.schedule(id, entry, Math.max(this.debounceMs, wait));
        return;
      }
      case 'missing':
      case 'removed':
        this.groups.delete(id);
        return;
      default:
        // blocked, observe-failed, failed, or a thrown error: the sweep retries at its own pace.
        return;
    }
  }
}
