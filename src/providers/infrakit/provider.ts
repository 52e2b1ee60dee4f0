import { childSignal } from '../../abort.js';
import { NotOwnedError, SpecValidationError } from '../../errors.js';
import { isOwnedBy, ownerTags, TAG_CONTROLLER } from '../../tags.js';
import type {
  CallOptions,
  DescribeSelector,
  DestroyResult,
  InstanceDescription,
  InstanceOwner,
  InstanceProvider,
  ProvisionRequest,
  ProvisionResult,
} from '../types.js';
import { InfrakitPlugins, type InstancePlugin, type PluginInstance } from './plugins.js';
import { runLimited } from './pool.js';
import { parseInfrakitProperties } from './properties.js';

/**
 * Written at launch with the launch time (ISO 8601), since InfraKit's `Instance/0.6.1` describes
 * no launch time. An instance without it (made by an InfraKit manager) is dated when this provider
 * first saw it: a controller restart puts such an instance back in its grace period, which delays
 * remediation but never destroys.
 */
export const TAG_LAUNCHED_AT = 'infrakit.launched-at';

/** The least time an `infrakit` launch is given to land before it is taken as lost (see `launchSettleMs`). */
export const LAUNCH_SETTLE_FLOOR_MS = 120_000;

export interface InfrakitProviderOptions {
  /**
   * The `Instance/0.6.1` plugin objects this provider serves, as specs name them
   * (`simulator/compute`, `file`, `unix:///run/p.sock#compute`). A spec's `plugin` must be one of
   * them. Each is a place (`placeOf`): the engine describes a group in the objects its spec versions
   * named, so that an object down blocks only the groups that may live on it
   * (`discoverPluginObjects` lists a plugins folder's).
   */
  readonly objects: readonly string[];
  /** The plugins' client (plugins folder, call timeout). @default a new one on InfraKit's default folder */
  readonly plugins?: InfrakitPlugins;
  /** Plugin calls in flight at once for one provision, destroy or label. @default 8 */
  readonly parallelism?: number;
  /** Epoch ms, for launch times. @default Date.now */
  readonly now?: () => number;
}

/** InfraKit's destroy reasons: a rollout replaces outdated instances, anything else terminates. */
function wireReason(reason: string): 'terminate' | 'rolling_update' {
  return reason === 'outdated' || reason === 'rolling_update' ? 'rolling_update' : 'terminate';
}

/** What the provider remembers per instance id, at most; the oldest entries are forgotten first. */
const MAX_REMEMBERED_IDS = 100_000;

/** Sets `key` in an insertion-ordered map kept to `MAX_REMEMBERED_IDS` entries (oldest dropped). */
function setBounded<V>(map: Map<string, V>, key: string, value: V): void {
  if (!map.has(key) && map.size >= MAX_REMEMBERED_IDS) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

/** What `describeEach` found on the objects that answered, and why the others did not. */
interface Described {
  readonly found: readonly { plugin: string; instance: PluginInstance }[];
  readonly failed: ReadonlyMap<string, unknown>;
}

/** Whether `id` is among what `described` found. */
function present(described: Described, id: string): boolean {
  return described.found.some((f) => f.instance.id === id);
}

/** Throws the first failure, if there is one. */
function throwFirst(failed: ReadonlyMap<string, unknown>): void {
  for (const err of failed.values()) throw err;
}

/** Whether `tags` carry every tag of `selector` and every key of its `tagKeys`. */
function selects(selector: DescribeSelector, tags: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.tags ?? {})) if (tags[key] !== value) return false;
  for (const key of selector.tagKeys ?? []) if (!(key in tags)) return false;
  return true;
}

/**
 * The InfraKit instance provider (`provider: infrakit`): drives any InfraKit `Instance/0.6.1`
 * plugin over its JSON-RPC protocol (`plugins.ts`). `instance.properties` name the plugin object
 * and carry the plugin's own properties (`properties.ts`).
 *
 * - `provision`: one `Instance.Provision` per request, at most `parallelism` at once, tagged at
 *   launch. Plugins take no client token: the intent tag makes retries idempotent, as the engine
 *   describes by it before launching the remainder.
 * - `describe`: one `Instance.DescribeInstances` by tags per served object (or per object of the
 *   selector's `places`: the engine names a group's own), all or nothing.
 * - `destroy`: ownership re-checked by describing first; only ids the plugin itself described are
 *   ever sent to it (an id is a file name to the `file` plugin, which would follow `../`).
 * - plugin instances have no state or health: each is `running`, health `unknown`.
 *
 * Tags cross the boundary under InfraKit's names (`infrakit.config.hash`, `infrakit.logical_id`).
 */
export class InfrakitProvider implements InstanceProvider {
  readonly name = 'infrakit';
  /**
   * The longer of two minutes (the engine's default, made for EC2) and two plugin call timeouts.
   * Plugins take no client token, so a repeated `Provision` launches twice, and a busy plugin can
   * carry out a request long after the caller stopped waiting: measured on the simulator under load
   * (`npm run bench plugin`), requests landed more than 30 s after their intent.
   */
  readonly launchSettleMs: number;
  readonly plugins: InfrakitPlugins;
  readonly objects: readonly string[];
  private readonly parallelism: number;
  private readonly now: () => number;
  /** First sight of instances launched without `TAG_LAUNCHED_AT`, by id. */
  private readonly firstSeen = new Map<string, number>();
  /** Objects seen holding (or given) an instance of some controller: what a watch needs to ask. */
  private readonly holding = new Set<string>();
  /** What this provider last did to an id, oldest first (bounded): changes of its own making. */
  private readonly actedOn = new Map<string, 'provisioned' | 'destroyed'>();

  constructor(options: InfrakitProviderOptions) {
    this.plugins = options.plugins ?? new InfrakitPlugins();
    this.launchSettleMs = Math.max(LAUNCH_SETTLE_FLOOR_MS, 2 * this.plugins.callTimeoutMs);
    this.objects = [...new Set(options.objects)];
    for (const object of this.objects) this.plugins.parse(object);
    this.parallelism = Math.max(1, options.parallelism ?? 8);
    this.now = options.now ?? Date.now;
  }

  /** Shape only, and `plugin` one of the served objects; no plugin is asked. Pure. */
  validate(properties: unknown): Record<string, unknown> {
    const parsed = parseInfrakitProperties(properties);
    if (!this.objects.includes(parsed.plugin)) {
      const served = this.objects.length > 0 ? this.objects.join(', ') : 'none configured';
      throw new SpecValidationError([
        { path: 'plugin', message: `not a plugin this controller serves (serves: ${served})` },
      ]);
    }
    return parsed;
  }

  /**
   * `Handshake.Hello` (the plugin serves `Instance/0.6.1` and the named object) and
   * `Instance.Validate` of `properties.properties`, at PUT. A refusal is a `SpecValidationError` on
   * `plugin` or `properties` with the plugin's words; a plugin that cannot be asked throws as it is.
   */
  async preflight(properties: Record<string, unknown>): Promise<void> {
    const { plugin, properties: pluginProperties } = parseInfrakitProperties(properties);
    try {
      await this.plugins.instance(plugin).validate(pluginProperties);
    } catch (err) {
      const refusal = this.plugins.refusal(err);
      if (refusal) throw new SpecValidationError([refusal], { cause: err });
      throw err;
    }
  }

  /**
   * One `Instance.Provision` per request, at most `parallelism` at once, in request order.
   * Partial failure or abort: no further request is sent, the ones in flight are waited for, and
   * the call throws; the instances launched carry their token's tag.
   */
  async provision(
    properties: Record<string, unknown>,
    requests: readonly ProvisionRequest[],
    options?: CallOptions,
  ): Promise<ProvisionResult> {
    const { plugin, properties: pluginProperties } = parseInfrakitProperties(properties);
    const client = this.plugins.instance(plugin);
    const signal = options?.signal;
    const outcome = await runLimited(
      requests,
      this.parallelism,
      async (request): Promise<InstanceDescription> => {
        const launchedAt = this.now();
        const tags = { ...request.tags, [TAG_LAUNCHED_AT]: new Date(launchedAt).toISOString() };
        const id = await client.provision(
          { properties: pluginProperties, tags, init: request.init, logicalId: request.logicalId },
          { signal },
        );
        this.remember(id, 'provisioned');
        return this.toDescription(plugin, {
          id,
          tags,
          ...(request.logicalId ? { logicalId: request.logicalId } : {}),
        });
      },
      signal,
    );
    if (outcome.error) throw outcome.error.cause;
    return { launched: outcome.results.filter((d): d is InstanceDescription => d !== undefined) };
  }

  /** The plugin object a spec names: the part of this provider its instances live in. Pure. */
  placeOf(properties: Record<string, unknown>): string {
    return parseInfrakitProperties(properties).plugin;
  }

  /**
   * Every served object (or those of `selector.places`) described by the selector's tags, all of
   * which must answer, then filtered here too.
   */
  async describe(selector: DescribeSelector, options?: CallOptions): Promise<readonly InstanceDescription[]> {
    const places = selector.places;
    const objects = places ? this.objects.filter((o) => places.includes(o)) : this.objects;
    return this.describeObjects(objects, selector, options);
  }

  /**
   * The served objects that have held a controller's instance since this provider started (seen by
   * a describe, or given a provision): a change watch asks only these, as an object that never held
   * one has nothing to lose. Not an observation: `describe` still asks every served object.
   */
  holdingObjects(): readonly string[] {
    return this.objects.filter((o) => this.holding.has(o));
  }

  /** What this provider itself last did to `id`, if anything (among its last `MAX_REMEMBERED_IDS` such ids). */
  ownAction(id: string): 'provisioned' | 'destroyed' | undefined {
    return this.actedOn.get(id);
  }

  private remember(id: string, action: 'provisioned' | 'destroyed'): void {
    this.actedOn.delete(id);
    setBounded(this.actedOn, id, action);
  }

  /**
   * `describe` restricted to `objects` (served ones; others are refused): one
   * `Instance.DescribeInstances` each, all or nothing. Complete only for those objects.
   */
  async describeObjects(
    objects: readonly string[],
    selector: DescribeSelector,
    options?: CallOptions,
  ): Promise<readonly InstanceDescription[]> {
    const unknown = objects.filter((o) => !this.objects.includes(o));
    if (unknown.length > 0) throw new Error(`not served here: ${unknown.join(', ')}`);
    const found = await this.describeAll(selector.tags ?? {}, options?.signal, objects);
    return found
      .filter(({ instance }) => selects(selector, instance.tags))
      .map(({ plugin, instance }) => this.toDescription(plugin, instance));
  }

  /**
   * Re-describes by the owner's tags; an id not found there is looked for among all instances: one
   * without the owner's tags fails the whole call with `NotOwnedError` before anything is
   * destroyed, one not found at all is already gone. Then `Instance.Destroy` on the object that
   * described it; a failure is checked by describing again (gone counts as destroyed).
   */
  async destroy(
    ids: readonly string[],
    owner: InstanceOwner,
    reason: string,
    options?: CallOptions,
  ): Promise<DestroyResult> {
    if (ids.length === 0) return { destroyed: [] };
    const signal = options?.signal;
    const wanted = new Set(ids);
    const located = new Map<string, string>();
    const owned = await this.describeEach(ownerTags(owner), signal);
    for (const { plugin, instance } of owned.found)
      if (wanted.has(instance.id) && isOwnedBy(instance.tags, owner))
        this.locate(located, plugin, instance.id);
    const notOwned: string[] = [];
    if (located.size < wanted.size) {
      const all = await this.describeEach({}, signal);
      for (const { instance } of all.found)
        if (wanted.has(instance.id) && !located.has(instance.id)) notOwned.push(instance.id);
      // An id found nowhere is gone, unless a plugin that did not answer may hold it.
      if (notOwned.length === 0 && located.size < wanted.size) throwFirst(all.failed);
    }
    if (notOwned.length > 0)
      throw new NotOwnedError(
        ids.filter((id) => notOwned.includes(id)),
        owner,
      );

    const doomed = [...wanted].filter((id) => located.has(id));
    const outcome = await runLimited(
      doomed,
      this.parallelism,
      async (id) => {
        // Before the call: its effect may be seen before its answer comes back.
        this.remember(id, 'destroyed');
        await this.plugins.instance(located.get(id) as string).destroy(id, wireReason(reason), { signal });
        this.firstSeen.delete(id);
      },
      signal,
    );
    if (outcome.error) {
      if (signal?.aborted) throw signal.reason;
      // A plugin that answers "not found" for an instance it just described: gone is destroyed.
      const again = await this.describeEach(ownerTags(owner), signal);
      if (doomed.some((id) => again.failed.has(located.get(id) as string) || present(again, id)))
        throw outcome.error.cause;
    }
    return { destroyed: [...ids] };
  }

  /** `Instance.Label` on each id that some served object describes; unknown or gone ids are skipped. */
  async label(ids: readonly string[], tags: Readonly<Record<string, string>>): Promise<void> {
    if (ids.length === 0 || Object.keys(tags).length === 0) return;
    const wanted = new Set(ids);
    const located = new Map<string, string>();
    const seen = await this.describeEach({}, undefined);
    for (const { plugin, instance } of seen.found)
      if (wanted.has(instance.id)) this.locate(located, plugin, instance.id);
    if (located.size < wanted.size) throwFirst(seen.failed);
    const targets = ids.filter((id) => located.has(id));
    const outcome = await runLimited(targets, this.parallelism, (id) =>
      this.plugins.instance(located.get(id) as string).label(id, tags),
    );
    if (outcome.error) {
      const again = await this.describeEach({}, undefined);
      if (targets.some((id) => again.failed.has(located.get(id) as string) || present(again, id)))
        throw outcome.error.cause;
    }
  }

  /** Records that `plugin` holds `id`; the same id on two plugins is ambiguous and refused. */
  private locate(located: Map<string, string>, plugin: string, id: string): void {
    const other = located.get(id);
    if (other !== undefined && other !== plugin)
      throw new Error(
        `instance id ${id} is described by two plugins (${other}, ${plugin}): refusing to act on it`,
      );
    located.set(id, plugin);
  }

  /**
   * `Instance.DescribeInstances` by `tags` on every served object (or on `objects`) at once; the
   * first failure aborts the others and is thrown, so no caller sees a partial observation.
   */
  private async describeAll(
    tags: Readonly<Record<string, string>>,
    signal: AbortSignal | undefined,
    objects: readonly string[] = this.objects,
  ): Promise<{ plugin: string; instance: PluginInstance }[]> {
    const child = childSignal([signal]);
    try {
      const perObject = await Promise.all(
        objects.map(async (plugin) => {
          try {
            const found = await this.client(plugin).describe(tags, { signal: child.signal });
            return found.map((instance) => ({ plugin, instance }));
          } catch (err) {
            child.abort(err);
            throw err;
          }
        }),
      );
      return perObject.flat();
    } finally {
      child.release();
    }
  }

  /**
   * `Instance.DescribeInstances` by `tags` on every served object at once, each on its own: what the
   * objects that answered hold, and the first failure of the others (a plugin down blocks only what
   * may be on it: `destroy` and `label` act on ids found on the objects that answered).
   */
  private async describeEach(
    tags: Readonly<Record<string, string>>,
    signal: AbortSignal | undefined,
  ): Promise<Described> {
    const found: { plugin: string; instance: PluginInstance }[] = [];
    const failed = new Map<string, unknown>();
    await Promise.all(
      this.objects.map(async (plugin) => {
        try {
          for (const instance of await this.client(plugin).describe(tags, { signal }))
            found.push({ plugin, instance });
        } catch (err) {
          failed.set(plugin, err);
        }
      }),
    );
    if (signal?.aborted) throw signal.reason;
    return { found, failed };
  }

  private client(plugin: string): InstancePlugin {
    return this.plugins.instance(plugin);
  }

  private toDescription(plugin: string, instance: PluginInstance): InstanceDescription {
    if (instance.tags[TAG_CONTROLLER] !== undefined) this.holding.add(plugin);
    const stamped = Date.parse(instance.tags[TAG_LAUNCHED_AT] ?? '');
    let launchedAt = stamped;
    if (Number.isNaN(stamped)) {
      launchedAt = this.firstSeen.get(instance.id) ?? this.now();
      if (!this.firstSeen.has(instance.id)) setBounded(this.firstSeen, instance.id, launchedAt);
    }
    return {
      id: instance.id,
      state: 'running',
      tags: instance.tags,
      launchedAt,
      health: { status: 'unknown' },
      details: { plugin, ...(instance.logicalId ? { logicalId: instance.logicalId } : {}) },
    };
  }
}
