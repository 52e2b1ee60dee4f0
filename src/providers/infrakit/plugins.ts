import { abortable, childSignal } from '../../abort.js';
import {
  defaultPluginsDir,
  endpointText,
  type PluginAddress,
  type PluginEndpoint,
  parsePluginAddress,
  resolveEndpoint,
} from './address.js';
import {
  type PluginCallSite,
  PluginMismatchError,
  PluginProtocolError,
  PluginRpcError,
  PluginUnavailableError,
} from './errors.js';
import { runLimited } from './pool.js';
import { callPlugin, type PluginTransports } from './rpc.js';
import {
  DescribeResult,
  FLAVOR_INTERFACE,
  fromWireTags,
  HealthyResult,
  HelloResult,
  INSTANCE_INTERFACE,
  OkResult,
  type PluginInterface,
  PrepareResult,
  ProvisionResult,
  readResult,
  toWireTags,
  type WireDescription,
  type WireSpec,
} from './wire.js';

/**
 * The InfraKit plugins a controller talks to: where they are found (the plugins folder), how long
 * a call may take, and one client per plugin object named in specs. Clients speak this project's
 * tag names; the wire carries InfraKit's (`wire.ts`).
 *
 * Every client checks with `Handshake.Hello`, before its first call and again after any failure,
 * that the plugin serves its interface version (`Instance/0.6.1`, `Flavor/0.1.1`) and the object
 * the spec names. A plugin that is down, slow, or answers garbage makes the call throw a
 * `PluginError` (`errors.ts`); no call returns a partial answer.
 */

export interface InfrakitPluginsOptions {
  /**
   * Where named plugins' sockets are.
   * @default InfraKit's (`$INFRAKIT_PLUGINS_DIR`, `$INFRAKIT_HOME/plugins`, `~/.infrakit/plugins`); none when `endpoints` are given
   */
  readonly pluginsDir?: string;
  /**
   * Named plugins reached elsewhere (a deployed controller's Lambda functions and HTTPS URLs,
   * `endpoints.ts`): a spec's `ecs` or `ecs/tasks` names the plugin configured as `ecs`.
   */
  readonly endpoints?: ReadonlyMap<string, PluginEndpoint>;
  /** The Lambda invoker and SigV4 signer of the `lambda:` and signed HTTPS endpoints. */
  readonly transports?: PluginTransports;
  /** The environment the default plugins folder is read from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Budget of one call (connect, send, answer). @default 15 s, InfraKit's own client timeout */
  readonly callTimeoutMs?: number;
}

/** How a caller bounds one plugin call. */
export interface PluginCallOptions {
  readonly signal?: AbortSignal | undefined;
  /** @default the plugins' `callTimeoutMs` */
  readonly timeoutMs?: number | undefined;
}

/** An instance as a plugin describes it, with this project's tag names. */
export interface PluginInstance {
  readonly id: string;
  readonly logicalId?: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** An instance spec (`instance.Spec`), with this project's tag names. */
export interface PluginSpec {
  readonly properties: unknown;
  readonly tags: Readonly<Record<string, string>>;
  readonly init?: string | undefined;
  readonly logicalId?: string | undefined;
}

/** InfraKit's allocation (`group.AllocationMethod`). */
export interface PluginAllocation {
  readonly size?: number | undefined;
  readonly logicalIds?: readonly string[] | undefined;
}

export type PluginHealth = 'unknown' | 'healthy' | 'unhealthy';

const HEALTH: readonly PluginHealth[] = ['unknown', 'healthy', 'unhealthy'];

export const DEFAULT_CALL_TIMEOUT_MS = 15_000;

export class InfrakitPlugins {
  /** The plugins folder; undefined for a controller that names its plugins in `endpoints` only. */
  readonly pluginsDir: string | undefined;
  readonly endpoints: ReadonlyMap<string, PluginEndpoint>;
  readonly transports: PluginTransports;
  readonly callTimeoutMs: number;
  /** Calls sent, by JSON-RPC method (handshakes included). */
  readonly calls = new Map<string, number>();
  readonly #instances = new Map<string, InstancePlugin>();
  readonly #flavors = new Map<string, FlavorPlugin>();

  constructor(options: InfrakitPluginsOptions = {}) {
    this.endpoints = options.endpoints ?? new Map();
    this.transports = options.transports ?? {};
    this.pluginsDir =
      options.pluginsDir ?? (options.endpoints ? undefined : defaultPluginsDir(options.env ?? process.env));
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  }

  /** Parses a plugin address (see `address.ts`); throws `Error` with the reason. Pure. */
  parse(text: string): PluginAddress {
    return parsePluginAddress(text);
  }

  /** The client of the `Instance/0.6.1` object `address` names. */
  instance(address: string): InstancePlugin {
    let client = this.#instances.get(address);
    if (!client) {
      client = new InstancePlugin(this, parsePluginAddress(address));
      this.#instances.set(address, client);
    }
    return client;
  }

  /** The client of the `Flavor/0.1.1` object `address` names. */
  flavor(address: string): FlavorPlugin {
    let client = this.#flavors.get(address);
    if (!client) {
      client = new FlavorPlugin(this, parsePluginAddress(address));
      this.#flavors.set(address, client);
    }
    return client;
  }

  /**
   * What a failed `validate` (instance or flavor) says about the spec: the plugin refusing the
   * properties (its own words, on `properties`) or not serving the named object (on `plugin`);
   * `undefined` when the plugin could not be asked at all (down, slow, garbage).
   */
  refusal(err: unknown): { readonly path: 'plugin' | 'properties'; readonly message: string } | undefined {
    if (err instanceof PluginMismatchError) return { path: 'plugin', message: err.message };
    if (err instanceof PluginRpcError)
      return { path: 'properties', message: `the plugin refused them: ${err.pluginMessage}` };
    return undefined;
  }

  /** @internal Counts one call of `method`. */
  count(method: string): void {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
  }
}

/** One object of one plugin, spoken to through one interface version. */
abstract class PluginObject {
  readonly address: PluginAddress;
  #ready: { readonly endpoint: string; readonly done: Promise<void> } | undefined;

  constructor(
    protected readonly plugins: InfrakitPlugins,
    address: PluginAddress,
    private readonly iface: PluginInterface,
  ) {
    this.address = address;
  }

  /** The plugin as the spec names it. */
  get name(): string {
    return this.address.text;
  }

  /** Sends `method` with `Type` set to this object, after the handshake; the raw result. */
  protected async call(
    method: string,
    params: Readonly<Record<string, unknown>>,
    options: PluginCallOptions = {},
  ): Promise<{ site: PluginCallSite; result: unknown }> {
    const endpoint = await this.endpoint(method);
    try {
      await this.handshake(endpoint, options);
      const result = await this.send(endpoint, method, { Type: this.address.type, ...params }, options);
      return { site: this.site(endpoint, method), result };
    } catch (err) {
      // The plugin may have restarted as something else: check again before the next call.
      this.#ready = undefined;
      throw err;
    }
  }

  private site(endpoint: PluginEndpoint, method: string): PluginCallSite {
    return { plugin: this.name, endpoint: endpointText(endpoint), method };
  }

  private async endpoint(method: string): Promise<PluginEndpoint> {
    const { pluginsDir, endpoints } = this.plugins;
    const endpoint = await resolveEndpoint(this.address, pluginsDir, endpoints);
    if (endpoint) return endpoint;
    const socket = this.address.kind === 'name' ? this.address.socket : this.name;
    if (pluginsDir === undefined)
      throw new PluginUnavailableError(
        { plugin: this.name, endpoint: socket, method },
        `no plugin named ${socket} is configured (configured: ${[...endpoints.keys()].join(', ') || 'none'})`,
      );
    throw new PluginUnavailableError(
      { plugin: this.name, endpoint: `${pluginsDir}/${socket}`, method },
      `no plugin named ${socket} in ${pluginsDir} (is it running?)`,
    );
  }

  private send(
    endpoint: PluginEndpoint,
    method: string,
    params: Readonly<Record<string, unknown>>,
    options: PluginCallOptions,
  ): Promise<unknown> {
    this.plugins.count(method);
    return callPlugin(endpoint, this.name, method, params, {
      timeoutMs: options.timeoutMs ?? this.plugins.callTimeoutMs,
      signal: options.signal,
      transports: this.plugins.transports,
    });
  }

  /** One `Handshake.Hello` shared by concurrent callers, each of whom may stop waiting on its own signal. */
  private handshake(endpoint: PluginEndpoint, options: PluginCallOptions): Promise<void> {
    const key = endpointText(endpoint);
    if (this.#ready?.endpoint !== key) {
      const done = this.hello(endpoint, { timeoutMs: options.timeoutMs });
      this.#ready = { endpoint: key, done };
      // A failed handshake is not kept: the next call asks again.
      done.catch(() => {
        if (this.#ready?.done === done) this.#ready = undefined;
      });
    }
    return abortable(this.#ready.done, options.signal);
  }

  private async hello(endpoint: PluginEndpoint, options: PluginCallOptions): Promise<void> {
    const method = 'Handshake.Hello';
    const site = this.site(endpoint, method);
    const { Objects } = readResult(site, HelloResult, await this.send(endpoint, method, {}, options));
    const objects = Objects[this.iface];
    if (!objects) {
      const served = Object.keys(Objects).sort().join(', ') || 'nothing';
      throw new PluginMismatchError(site, `the plugin does not serve ${this.iface} (it serves ${served})`);
    }
    const names = objects.map((o) => o.Name);
    const { type } = this.address;
    if (type === '') {
      // A plugin's only object is named `.`; named objects must be named in the address.
      if (names.includes('.') || names.includes('')) return;
      throw new PluginMismatchError(
        site,
        `the plugin serves named ${this.iface} objects (${names.sort().join(', ')}): name one, as <plugin>/<object>`,
      );
    }
    if (!names.includes(type))
      throw new PluginMismatchError(
        site,
        `the plugin has no ${this.iface} object named ${type} (it serves ${names.sort().join(', ') || 'none'})`,
      );
  }
}

function fromWireInstance(d: WireDescription): PluginInstance {
  return {
    id: d.ID,
    ...(d.LogicalID ? { logicalId: d.LogicalID } : {}),
    tags: fromWireTags(d.Tags),
  };
}

function toWireSpec(spec: PluginSpec): Record<string, unknown> {
  return {
    Properties: spec.properties ?? null,
    Tags: toWireTags(spec.tags),
    Init: spec.init ?? '',
    LogicalID: spec.logicalId ?? null,
  };
}

function toWireInstance(instance: PluginInstance): Record<string, unknown> {
  return { ID: instance.id, LogicalID: instance.logicalId ?? null, Tags: toWireTags(instance.tags) };
}

function toWireAllocation(allocation: PluginAllocation): Record<string, unknown> {
  return allocation.logicalIds ? { LogicalIDs: [...allocation.logicalIds] } : { Size: allocation.size ?? 0 };
}

/** `OK: false` from a plugin: a refusal without a reason. */
function requireOk(site: PluginCallSite, result: unknown): void {
  if (!readResult(site, OkResult, result).OK)
    throw new PluginRpcError(site, 0, 'the plugin answered OK: false');
}

/** A client of one `Instance/0.6.1` object. */
export class InstancePlugin extends PluginObject {
  constructor(plugins: InfrakitPlugins, address: PluginAddress) {
    super(plugins, address, INSTANCE_INTERFACE);
  }

  /** `Instance.Validate`: throws `PluginRpcError` with the plugin's reason when it refuses. */
  async validate(properties: unknown, options?: PluginCallOptions): Promise<void> {
    const { site, result } = await this.call(
      'Instance.Validate',
      { Properties: properties ?? null },
      options,
    );
    requireOk(site, result);
  }

  /** `Instance.Provision`: launches one instance; its id. */
  async provision(spec: PluginSpec, options?: PluginCallOptions): Promise<string> {
    const { site, result } = await this.call('Instance.Provision', { Spec: toWireSpec(spec) }, options);
    return readResult(site, ProvisionResult, result).ID;
  }

  /** `Instance.DescribeInstances`: every instance carrying all of `tags` (all of them for `{}`). */
  async describe(
    tags: Readonly<Record<string, string>>,
    options?: PluginCallOptions,
  ): Promise<PluginInstance[]> {
    const { site, result } = await this.call(
      'Instance.DescribeInstances',
      { Tags: toWireTags(tags), Properties: false },
      options,
    );
    const descriptions = readResult(site, DescribeResult, result).Descriptions ?? [];
    const seen = new Set<string>();
    for (const d of descriptions) {
      if (seen.has(d.ID)) throw new PluginProtocolError(site, `instance ${d.ID} described twice`);
      seen.add(d.ID);
    }
    return descriptions.map(fromWireInstance);
  }

  /** `Instance.Destroy` with InfraKit's reason. */
  async destroy(
    id: string,
    reason: 'terminate' | 'rolling_update',
    options?: PluginCallOptions,
  ): Promise<void> {
    const { site, result } = await this.call(
      'Instance.Destroy',
      { Instance: id, Context: { Reason: reason } },
      options,
    );
    requireOk(site, result);
  }

  /** `Instance.Label`: adds or overwrites `labels` on one instance. */
  async label(
    id: string,
    labels: Readonly<Record<string, string>>,
    options?: PluginCallOptions,
  ): Promise<void> {
    const { site, result } = await this.call(
      'Instance.Label',
      { Instance: id, Labels: toWireTags(labels) },
      options,
    );
    requireOk(site, result);
  }
}

/** A client of one `Flavor/0.1.1` object. */
export class FlavorPlugin extends PluginObject {
  constructor(plugins: InfrakitPlugins, address: PluginAddress) {
    super(plugins, address, FLAVOR_INTERFACE);
  }

  /** `Flavor.Validate`: throws `PluginRpcError` with the plugin's reason when it refuses. */
  async validate(
    properties: unknown,
    allocation: PluginAllocation,
    options?: PluginCallOptions,
  ): Promise<void> {
    const { site, result } = await this.call(
      'Flavor.Validate',
      { Properties: properties ?? null, Allocation: toWireAllocation(allocation) },
      options,
    );
    requireOk(site, result);
  }

  /** `Flavor.Prepare`: the spec as the flavor changed it. */
  async prepare(
    properties: unknown,
    spec: PluginSpec,
    allocation: PluginAllocation,
    index: { readonly group: string; readonly sequence: number },
    options?: PluginCallOptions,
  ): Promise<PluginSpec> {
    const { site, result } = await this.call(
      'Flavor.Prepare',
      {
        Properties: properties ?? null,
        Spec: toWireSpec(spec),
        Allocation: toWireAllocation(allocation),
        Index: { Group: index.group, Sequence: index.sequence },
      },
      options,
    );
    const out: WireSpec = readResult(site, PrepareResult, result).Spec;
    return {
      properties: out.Properties ?? null,
      tags: fromWireTags(out.Tags),
      ...(out.Init ? { init: out.Init } : {}),
      ...(out.LogicalID ? { logicalId: out.LogicalID } : {}),
    };
  }

  /** `Flavor.Healthy`: 0 unknown, 1 healthy, 2 unhealthy. */
  async healthy(
    properties: unknown,
    instance: PluginInstance,
    options?: PluginCallOptions,
  ): Promise<PluginHealth> {
    const { site, result } = await this.call(
      'Flavor.Healthy',
      { Properties: properties ?? null, Instance: toWireInstance(instance) },
      options,
    );
    return HEALTH[readResult(site, HealthyResult, result).Health] ?? 'unknown';
  }

  /**
   * `Flavor.Healthy` for each instance, at most `concurrency` at once, in order. All or nothing:
   * the first failure stops the rest (those in flight are aborted) and is thrown.
   */
  async healthOf(
    properties: unknown,
    instances: readonly PluginInstance[],
    options: PluginCallOptions & { readonly concurrency?: number } = {},
  ): Promise<PluginHealth[]> {
    const child = childSignal([options.signal]);
    try {
      const outcome = await runLimited(
        instances,
        options.concurrency ?? 8,
        (instance) =>
          this.healthy(properties, instance, { signal: child.signal, timeoutMs: options.timeoutMs }).catch(
            (err: unknown) => {
              child.abort(err);
              throw err;
            },
          ),
        child.signal,
      );
      if (outcome.error) throw outcome.error.cause;
      return outcome.results as PluginHealth[];
    } finally {
      child.release();
    }
  }

  /** `Flavor.Drain`: prepares one instance for termination. */
  async drain(properties: unknown, instance: PluginInstance, options?: PluginCallOptions): Promise<void> {
    const { site, result } = await this.call(
      'Flavor.Drain',
      { Properties: properties ?? null, Instance: toWireInstance(instance) },
      options,
    );
    requireOk(site, result);
  }
}
