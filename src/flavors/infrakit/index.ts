import * as z from 'zod';
import { InvalidConfigurationError, SpecValidationError } from '../../errors.js';
// Types only: the plugin client is passed in by the wiring (a flavor imports no provider code).
import type {
  FlavorPlugin,
  InfrakitPlugins,
  PluginAllocation,
  PluginCallOptions,
} from '../../providers/infrakit/index.js';
import type { InstanceDescription, ProvisionRequest } from '../../providers/types.js';
import type { Allocation } from '../../spec/schema.js';
import { parseWith } from '../../spec/validate.js';
import { isControllerTag, TAG_GROUP } from '../../tags.js';
import type { Flavor, Health } from '../types.js';

/**
 * The InfraKit flavor (`flavor.kind: infrakit`): drives any InfraKit `Flavor/0.1.1` plugin
 * (`vanilla`, `swarm`, `zookeeper`, …) over its JSON-RPC protocol.
 *
 * | this project                | the plugin          |
 * | --------------------------- | ------------------- |
 * | `validate` (shape, pure)    | —                   |
 * | `preflight`, at PUT         | `Flavor.Validate`   |
 * | `prepareLaunch`, at launch  | `Flavor.Prepare`    |
 * | `healthOf`, per instance    | `Flavor.Healthy`    |
 * | `drain`, before destroy     | `Flavor.Drain`      |
 *
 * Flavor contract 1.0.0 (`../types.ts`) prepares and judges health synchronously, and every
 * answer here is a plugin call: `prepare` and `health` therefore refuse with
 * `InvalidConfigurationError`, and the engine must call `prepareLaunch` and `healthOf` instead
 * (as an asynchronous flavor contract would). A flavor plugin that is down, slow or answers garbage
 * makes these calls throw, so its groups are blocked with the reason: never judged unhealthy.
 */

/** `flavor.properties` of the `infrakit` flavor. */
function propertiesSchema(plugins: Pick<InfrakitPlugins, 'parse'>) {
  return z.strictObject({
    /** The `Flavor/0.1.1` plugin object: `vanilla`, `swarm/manager`, `unix:///path`, `http(s)://…`. */
    plugin: z
      .string()
      .min(1, 'must name a plugin')
      .max(1024)
      .superRefine((text, ctx) => {
        try {
          plugins.parse(text);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      }),
    /** Handed to the plugin as the flavor's `Properties`, unread here (vanilla: `Init`, `Tags`). @default {} */
    properties: z.record(z.string(), z.unknown()).default({}),
  });
}

export type InfrakitFlavorProperties = {
  readonly plugin: string;
  readonly properties: Record<string, unknown>;
};

export interface InfrakitFlavorOptions {
  /** The plugins' client (`src/providers/infrakit`), shared with the instance provider. */
  readonly plugins: InfrakitPlugins;
  /** Budget of one `Flavor.Healthy`. @default 5 s */
  readonly healthTimeoutMs?: number;
  /** `Flavor.Healthy` calls in flight at once. @default 8 */
  readonly healthConcurrency?: number;
  /** Budget of one `Flavor.Drain`. @default 30 s */
  readonly drainTimeoutMs?: number;
}

function toAllocation(allocation: Allocation): PluginAllocation {
  return allocation.logicalIds ? { logicalIds: allocation.logicalIds } : { size: allocation.size ?? 0 };
}

function pluginInstance(instance: InstanceDescription) {
  const logicalId = instance.details?.logicalId;
  return {
    id: instance.id,
    ...(typeof logicalId === 'string' ? { logicalId } : {}),
    tags: instance.tags,
  };
}

export class InfrakitFlavor implements Flavor {
  readonly kind = 'infrakit';
  private readonly plugins: InfrakitPlugins;
  private readonly schema: ReturnType<typeof propertiesSchema>;
  private readonly healthTimeoutMs: number;
  private readonly healthConcurrency: number;
  private readonly drainTimeoutMs: number;

  constructor(options: InfrakitFlavorOptions) {
    this.plugins = options.plugins;
    this.schema = propertiesSchema(options.plugins);
    this.healthTimeoutMs = options.healthTimeoutMs ?? 5_000;
    this.healthConcurrency = options.healthConcurrency ?? 8;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  }

  /** Shape only: a plugin address and an object of properties; no plugin is asked. Pure. */
  validate(properties: unknown): Record<string, unknown> {
    return parseWith(this.schema, properties ?? {});
  }

  /**
   * `Handshake.Hello` and `Flavor.Validate` against the allocation, at PUT. A refusal is a
   * `SpecValidationError` on `plugin` or `properties` with the plugin's words; a plugin that cannot
   * be asked throws as it is (the spec cannot be checked).
   */
  async preflight(properties: Record<string, unknown>, allocation: Allocation, options?: PluginCallOptions) {
    const parsed = this.parse(properties);
    try {
      await this.client(parsed).validate(parsed.properties, toAllocation(allocation), options);
    } catch (err) {
      const refusal = this.plugins.refusal(err);
      if (refusal) throw new SpecValidationError([refusal], { cause: err });
      throw err;
    }
  }

  /** Contract 1.0.0's synchronous prepare cannot ask a plugin: see `prepareLaunch`. */
  prepare(): ProvisionRequest {
    throw new InvalidConfigurationError(
      'flavor infrakit prepares through Flavor.Prepare, a plugin call, which the synchronous flavor contract 1.0.0 cannot make',
    );
  }

  /**
   * `Flavor.Prepare` on one launch request: the plugin sees the request's tags (InfraKit's names),
   * init script and logical id, the allocation, and `Index{Group, Sequence: index}`; the instance
   * properties are not part of a request and go as `null`. The plugin's tags and init script are
   * taken, with the request's own `infrakit.*` tags back on top; the logical id and the token stay
   * the request's.
   */
  async prepareLaunch(
    properties: Record<string, unknown>,
    request: ProvisionRequest,
    allocation: Allocation,
    index: number,
    options?: PluginCallOptions,
  ): Promise<ProvisionRequest> {
    const parsed = this.parse(properties);
    const prepared = await this.client(parsed).prepare(
      parsed.properties,
      { properties: null, tags: request.tags, init: request.init, logicalId: request.logicalId },
      toAllocation(allocation),
      { group: request.tags[TAG_GROUP] ?? '', sequence: index },
      options,
    );
    // The plugin's tags are kept, its own `infrakit.*` ones too (swarm's `infrakit.cluster.id`).
    const own = Object.fromEntries(Object.entries(request.tags).filter(([key]) => isControllerTag(key)));
    const { init: _init, ...rest } = request;
    return {
      ...rest,
      tags: { ...prepared.tags, ...own },
      ...(prepared.init ? { init: prepared.init } : {}),
    };
  }

  /** Contract 1.0.0's synchronous health cannot ask a plugin: see `healthOf`. */
  health(): Health {
    throw new InvalidConfigurationError(
      'flavor infrakit judges health through Flavor.Healthy, a plugin call, which the synchronous flavor contract 1.0.0 cannot make',
    );
  }

  /**
   * `Flavor.Healthy` for each instance (0 unknown, 1 healthy, 2 unhealthy), at most
   * `healthConcurrency` at once, each within `healthTimeoutMs`. All or nothing: a plugin that
   * fails, stalls or answers garbage for one instance makes the whole call throw, so no verdict
   * (not even `unknown`) is invented for it.
   */
  async healthOf(
    properties: Record<string, unknown>,
    instances: readonly InstanceDescription[],
    options?: { readonly signal?: AbortSignal },
  ): Promise<Health[]> {
    const parsed = this.parse(properties);
    return this.client(parsed).healthOf(parsed.properties, instances.map(pluginInstance), {
      concurrency: this.healthConcurrency,
      timeoutMs: this.healthTimeoutMs,
      signal: options?.signal,
    });
  }

  /** `Flavor.Drain` within `drainTimeoutMs`; any failure throws, so the engine records it and retries. */
  async drain(
    properties: Record<string, unknown>,
    instance: InstanceDescription,
    options?: { readonly signal?: AbortSignal },
  ): Promise<void> {
    const parsed = this.parse(properties);
    await this.client(parsed).drain(parsed.properties, pluginInstance(instance), {
      timeoutMs: this.drainTimeoutMs,
      signal: options?.signal,
    });
  }

  private parse(properties: Record<string, unknown>): InfrakitFlavorProperties {
    return parseWith(this.schema, properties);
  }

  private client(properties: InfrakitFlavorProperties): FlavorPlugin {
    return this.plugins.flavor(properties.plugin);
  }
}
