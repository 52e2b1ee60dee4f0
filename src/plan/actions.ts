import { sortIds } from './health.js';
import type { LaunchReason, PlanAction, TerminateReason } from './types.js';

const TERMINATE_ORDER: readonly TerminateReason[] = [
  'failed',
  'launch-abandoned',
  'unhealthy',
  'retiring',
  'outdated',
  'duplicate-logical-id',
  'unknown-logical-id',
  'scale-down',
];
const LAUNCH_ORDER: readonly LaunchReason[] = ['replace', 'update', 'scale-up', 'missing-logical-id'];

/**
 * When a termination happens relative to the launches of the same plan:
 * - `before`: it makes room (a failed instance, or a terminate-first replacement when `maxSurge`
 *   leaves no room), so the live count never exceeds `size + maxSurge` even mid-plan;
 * - `after`: it may follow the launches (launch-first replacement, surplus, scale-down).
 */
export type Phase = 'before' | 'after';

/** Collects a plan's actions and notes, then emits them in a fixed, sorted order. */
export class ActionList {
  readonly #terminations = {
    before: new Map<TerminateReason, string[]>(),
    after: new Map<TerminateReason, string[]>(),
  };
  readonly #launches = new Map<LaunchReason, { count: number; logicalIds: string[] }>();
  readonly #notes = new Set<string>();
  #reboots: readonly string[] = [];
  #launchesHeld: string | undefined;
  #terminated = 0;

  /** No launch at all this plan (a halted rollout would only launch its failing config again). */
  holdLaunches(why: string): void {
    this.#launchesHeld = why;
  }

  reboot(ids: readonly string[]): void {
    this.#reboots = ids;
  }

  terminate(phase: Phase, reason: TerminateReason, id: string): void {
    const ids = this.#terminations[phase].get(reason);
    if (ids) ids.push(id);
    else this.#terminations[phase].set(reason, [id]);
    this.#terminated += 1;
  }

  launch(reason: LaunchReason, count: number, logicalIds?: readonly string[]): void {
    if (count <= 0) return;
    if (this.#launchesHeld !== undefined) {
      this.note(`${count} launch${count === 1 ? '' : 'es'} (${reason}) held: ${this.#launchesHeld}`);
      return;
    }
    const entry = this.#launches.get(reason) ?? { count: 0, logicalIds: [] };
    entry.count += count;
    if (logicalIds) entry.logicalIds.push(...logicalIds);
    this.#launches.set(reason, entry);
  }

  note(text: string): void {
    this.#notes.add(text);
  }

  get terminatedCount(): number {
    return this.#terminated;
  }

  /** Reboots, terminations that make room first, then launches, then the rest; ids and notes sorted. */
  actions(): PlanAction[] {
    const out: PlanAction[] = [];
    if (this.#reboots.length > 0) out.push({ kind: 'reboot', ids: sortIds(this.#reboots) });
    const pushTerminations = (phase: Phase) => {
      for (const reason of TERMINATE_ORDER) {
        const ids = this.#terminations[phase].get(reason);
        if (ids && ids.length > 0) out.push({ kind: 'terminate', ids: sortIds(ids), reason });
      }
    };
    pushTerminations('before');
    for (const reason of LAUNCH_ORDER) {
      const entry = this.#launches.get(reason);
      if (!entry) continue;
      out.push(
        entry.logicalIds.length > 0
          ? { kind: 'launch', count: entry.count, logicalIds: sortIds(entry.logicalIds), reason }
          : { kind: 'launch', count: entry.count, reason },
      );
    }
    pushTerminations('after');
    return out;
  }

  notes(): string[] {
    return sortIds([...this.#notes]);
  }
}

/**
 * Protected instances (`infrakit.protected=true`) the planner would otherwise have chosen, with
 * why; rendered as one note per instance.
 */
export class ProtectedSkips {
  readonly #why = new Map<string, Set<string>>();

  skip(id: string, why: string): void {
    const set = this.#why.get(id) ?? new Set<string>();
    set.add(why);
    this.#why.set(id, set);
  }

  writeTo(actions: ActionList): void {
    for (const [id, why] of this.#why) {
      actions.note(`protected instance ${id} left alone (${sortIds([...why]).join(', ')})`);
    }
  }
}
