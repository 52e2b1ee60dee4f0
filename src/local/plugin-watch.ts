import type { InfrakitProvider } from '../providers/infrakit/index.js';
import type { InstanceDescription } from '../providers/types.js';
import { controllerSelector, TAG_GROUP } from '../tags.js';

/**
 * InfraKit plugin instances have no state-change events: a member destroyed behind the
 * controller's back would wait for the next sweep. This watch plays the events, as process exits
 * do for the process provider: every `intervalMs` it describes, by the controller's tag, the
 * plugin objects that hold its instances (one `Instance.DescribeInstances` each, each on its own, so
 * that a plugin down delays only its own groups; objects that never held one are not asked), and asks for a pass over each group that lost or gained a member since
 * the previous look other than by the controller's own launches and terminations (so that its own
 * rollouts cost no extra passes, and a launch that arrived after its call timed out is noticed). It
 * never plans or acts itself: the pass observes completely, as the sweep does. The first look, and
 * the first after a failed one, only learn: the sweep is the safety net for what changed before.
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

/** What the controller itself last did to an instance, if anything. */
export type OwnAction = (id: string) => 'provisioned' | 'destroyed' | undefined;

/**
 * The groups that lost or gained a member between `before` and `after`, sorted; a member lost
 * because the controller destroyed it, or gained because it launched it, does not count. Pure.
 */
export function changedGroups(
  before: Membership,
  after: Membership,
  ownAction: OwnAction = () => undefined,
): string[] {
  const changed: string[] = [];
  const none = new Set<string>();
  for (const group of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(group) ?? none;
    const b = after.get(group) ?? none;
    const lost = [...a].some((id) => !b.has(id) && ownAction(id) !== 'destroyed');
    const gained = [...b].some((id) => !a.has(id) && ownAction(id) !== 'provisioned');
    if (lost || gained) changed.push(group);
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
  /** The last look's membership per object: each object is looked at, and may fail, on its own. */
  const previous = new Map<string, Membership>();
  let timer: NodeJS.Timeout | undefined;
  let looking: Promise<void> | undefined;

  const lookAt = async (object: string): Promise<readonly string[]> => {
    try {
      const found = await provider.describeObjects([object], selector, { signal: stopping.signal });
      const now = membershipOf(found);
      const before = previous.get(object);
      previous.set(object, now);
      return before ? changedGroups(before, now, (id) => provider.ownAction(id)) : [];
    } catch (err) {
      // After a failed look, the next one learns afresh: a partial comparison would mislead.
      previous.delete(object);
      if (!stopping.signal.aborted) options.onError?.(err);
      return [];
    }
  };
  const look = async (): Promise<void> => {
    const changed = (await Promise.all(provider.holdingObjects().map(lookAt))).flat();
    if (changed.length > 0) options.onChange([...new Set(changed)].sort());
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
