import type { InfrakitProvider } from '../providers/infrakit/index.js';
import type { InstanceDescription } from '../providers/types.js';
import { controllerSelector, TAG_GROUP } from '../tags.js';

/**
 * InfraKit plugin instances have no state-change events: a member destroyed behind the
 * controller's back would wait for the next sweep. This watch plays the events, as process exits
 * do for the process provider: every `intervalMs` it describes, by the controller's tag, the
 * plugin objects that hold its instances (one `Instance.DescribeInstances` each; objects that never
 * held one are not asked), and asks for a pass over each group whose members changed since the
 * previous look. It never plans or acts itself: the pass observes completely, as the sweep does,
 * and the sweep remains the safety net (a group that lost every member before the watch first saw
 * it is found there).
 */

/** Members (instance ids) by group. */
export type Membership = ReadonlyMap<string, ReadonlySet<string>>;

/** The instances' ids by their `infrakit.group` tag; instances without it are no group's. Pure. */
export function membershipOf(instances: readonly InstanceDescription[]): Membership {
  const byGroup = new Map<string, Set<string>>();
  for (const instance of instances) {
    const group = instance.tags[TAG_GROUP];
    if (group === undefined) continue;
    const ids = byGroup.get(group) ?? new Set<string>();
    ids.add(instance.id);
    byGroup.set(group, ids);
  }
  return byGroup;
}

/** The groups whose set of members differs between `before` and `after`, sorted. Pure. */
export function changedGroups(before: Membership, after: Membership): string[] {
  const changed: string[] = [];
  for (const group of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(group) ?? new Set<string>();
    const b = after.get(group) ?? new Set<string>();
    if (a.size !== b.size || [...a].some((id) => !b.has(id))) changed.push(group);
  }
  return changed.sort();
}

export interface PluginWatchOptions {
  readonly provider: InfrakitProvider;
  readonly controllerId: string;
  readonly intervalMs: number;
  /** Groups whose members changed since the previous look. */
  readonly onChange: (groupIds: readonly string[]) => void;
  /** A look that failed (a plugin down): the next one tries again, the sweep is the safety net. */
  readonly onError?: (err: unknown) => void;
}

export interface PluginWatch {
  /** Stops looking and waits for a look under way. */
  stop(): Promise<void>;
}

export function startPluginWatch(options: PluginWatchOptions): PluginWatch {
  const { provider, intervalMs } = options;
  const selector = controllerSelector(options.controllerId);
  const stopping = new AbortController();
  let previous: Membership | undefined;
  let timer: NodeJS.Timeout | undefined;
  let looking: Promise<void> | undefined;

  const look = async (): Promise<void> => {
    const objects = provider.holdingObjects();
    if (objects.length === 0) return;
    try {
      const found = await provider.describeObjects(objects, selector, { signal: stopping.signal });
      const now = membershipOf(found);
      // With nothing to compare to (the first look, or the first after a failed one), a member may
      // have gone just before: each group seen is looked at once. Then, only groups that changed.
      const changed = previous === undefined ? [...now.keys()].sort() : changedGroups(previous, now);
      if (changed.length > 0) options.onChange(changed);
      previous = now;
    } catch (err) {
      // After a failed look, the next one starts afresh: a partial comparison would mislead.
      previous = undefined;
      if (!stopping.signal.aborted) options.onError?.(err);
    }
  };
  const schedule = () => {
    if (stopping.signal.aborted) return;
    timer = setTimeout(() => {
      looking = look().finally(() => {
        looking = undefined;
        schedule();
      });
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return {
    async stop() {
      stopping.abort(new Error('the plugin watch is stopping'));
      if (timer) clearTimeout(timer);
      await looking;
    },
  };
}
