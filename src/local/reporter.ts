import { countsOf, statusLine, when } from '../cli/format.js';
import { messageOf } from '../errors.js';
import type { Plan } from '../plan/types.js';
import type { GroupStatus, ReconcileResult } from '../reconcile/types.js';
import { configHash } from '../spec/index.js';
import type { GroupLifecycle, GroupStore } from '../store/types.js';

/**
 * What local mode prints: one status line per group whenever it changes, each launch and
 * termination with its reason, exits of instances, and problems. Lines are prefixed with the time.
 */
export class Reporter {
  private readonly lastLine = new Map<string, string>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly deps: { store: GroupStore },
    private readonly write: (line: string) => void,
  ) {}

  /** Prints a line with a timestamp. */
  line(text: string): void {
    this.write(`${when(Date.now()).slice(11)}  ${text}`);
  }

  /** The actions of a pass that acted, or why it could not. */
  result(result: ReconcileResult, reasons: readonly string[] = []): void {
    const id = result.groupId;
    const why = reasons.length > 0 ? ` [${reasons.join(', ')}]` : '';
    if (result.outcome === 'acted' && result.plan) {
      for (const text of actionLines(result.plan)) this.line(`${id}  ${text}${why}`);
      // Launches beyond the plan's finished an earlier pass's unfinished launch.
      const planned = result.plan.actions.reduce((n, a) => n + (a.kind === 'launch' ? a.count : 0), 0);
      if (result.launched > planned)
        this.line(`${id}  launch ${result.launched - planned} (unfinished launch resumed)${why}`);
    }
    if (result.outcome === 'removed') this.line(`${id}  removed (destroyed)`);
    if (result.outcome === 'observe-failed' || result.outcome === 'failed') {
      this.line(`${id}  ${result.outcome}: ${result.error ?? result.plan?.summary ?? 'unknown error'}`);
    } else if (result.error) {
      this.line(`${id}  error: ${result.error}`);
    }
  }

  /**
   * Prints a status line for each pass's group whose line changed, from the status the pass
   * observed (serialized; nothing once closed). Nothing is described here: a pass that acted
   * brings no status (what it saw is out of date), and the follow-up pass it asks for will; a
   * group gone from the store is printed as gone.
   */
  show(results: readonly Pick<ReconcileResult, 'groupId' | 'status'>[]): Promise<void> {
    if (this.closed) return this.queue;
    this.queue = this.queue
      .then(() => this.refreshNow(results))
      .catch((err) => this.line(`status failed: ${messageOf(err)}`));
    return this.queue;
  }

  /**
   * Takes no further refresh and resolves once the refreshes already asked for are done (they read
   * the store: the controller closes the store only after this).
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
  }

  private async refreshNow(results: readonly Pick<ReconcileResult, 'groupId' | 'status'>[]): Promise<void> {
    for (const { groupId: id, status: observed } of results) {
      if (this.closed) return;
      const record = await this.deps.store.getGroup(id);
      if (!record) {
        if (this.lastLine.delete(id)) this.line(`${id}  gone`);
        continue;
      }
      if (!observed) continue;
      const desired = record.spec.allocation.size ?? record.spec.allocation.logicalIds?.length ?? 0;
      const view = statusForLine(observed, record.lifecycle);
      const line = statusLine(id, countsOf(desired, view, configHash(record.spec)), view);
      if (this.lastLine.get(id) !== line) {
        this.lastLine.set(id, line);
        this.line(line);
      }
    }
  }
}

/** The status as the status line reads it: neither the rollout's memory nor the reasoning per instance. */
function statusForLine(status: GroupStatus, lifecycle: GroupLifecycle) {
  const { rollout: _rollout, explain: _explain, holds, ...rest } = status;
  return { ...rest, holds: [...holds], lifecycle };
}

/** `launch 2 (scale-up)`, `terminate p-1, p-2 (unhealthy)`, `reboot p-3`. */
export function actionLines(plan: Plan): string[] {
  return plan.actions.map((a) => {
    if (a.kind === 'launch')
      return `launch ${a.count}${a.logicalIds ? ` [${a.logicalIds.join(', ')}]` : ''} (${a.reason})`;
    if (a.kind === 'reboot') return `reboot ${a.ids.join(', ')}`;
    return `${a.retain ? 'retain' : 'terminate'} ${a.ids.join(', ')} (${a.reason})`;
  });
}
