import type { Flavor } from '../flavors/types.js';
import type { InstanceProvider } from '../providers/types.js';
import type { Allocation } from '../spec/schema.js';

/**
 * The plugin contract: how an instance provider or a flavor is known to the controller. Each lives
 * in its own folder (`src/providers/<name>/plugin.ts`) and is listed once in `catalog.ts`; the
 * Lambda runtime, local mode and the CDK construct all take that one list. A plugin declares its
 * name, how it is built from the controller's configuration, and what a deployed controller must
 * give it (IAM statements; how an event's instance maps to its group).
 */

/** Where and how the controller runs, as plugins are built for it. */
export interface PluginEnvironment {
  /** `aws`: the deployed Lambda functions; `local`: `npm start` on this machine. */
  readonly where: 'aws' | 'local';
  /** This controller's identity (`infrakit.controller`). */
  readonly controllerId: string;
  /** The environment variables (region, endpoints, INFRAKIT_*), never read at import time. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Local mode: the data folder (process state and logs live under it). */
  readonly dataDir?: string;
  /** Local mode: manage `ec2` groups against this EC2-compatible endpoint (moto, …). */
  readonly ec2Endpoint?: string;
  /** Local mode: InfraKit's plugins folder to discover plugin objects in. */
  readonly pluginsDir?: string;
  /** Local mode: the umask instance processes start with (the controller runs with a stricter one). */
  readonly instanceUmask?: number;
}

/**
 * Finds the group of an instance the store's index does not know (the events function's fallback).
 * Undefined for an instance that is not this controller's or does not exist.
 */
export type InstanceGroupLookup = (instanceId: string) => Promise<string | undefined>;

/** A provider built for one environment, with what it offers the events function. */
export interface BuiltProvider {
  readonly provider: InstanceProvider;
  readonly lookupInstanceGroup?: InstanceGroupLookup;
}

/** An IAM policy statement as data (the construct turns it into CDK's `PolicyStatement`). */
export interface IamStatement {
  readonly sid: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** What the construct knows when it asks a plugin for its statements. */
export interface GrantScope {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly controllerId: string;
  /** Roles the instances may be launched with (`iam:PassRole`). */
  readonly instanceRoleArns: readonly string[];
  /** The construct's `launchGuardrails` prop, as given. */
  readonly launchGuardrails?: unknown;
  /** The construct's `targetGroupArns` prop: the only target groups instances may be registered in. */
  readonly targetGroupArns?: readonly string[];
}

/** The IAM statements a deployed controller needs for a plugin. */
export interface AwsGrants {
  /** For the functions that reconcile (launch, terminate, observe): reconcile and events. */
  readonly control: readonly IamStatement[];
  /** For the API function, which only observes (status, pretend plans, admission checks). */
  readonly observe: readonly IamStatement[];
}

export interface ProviderPlugin {
  /** The name specs use (`instance.provider`). */
  readonly name: string;
  /** One line for listings and errors. */
  readonly summary: string;
  /**
   * Builds the provider for `environment`; undefined when it does not run there (the reason is
   * given by `unavailable`).
   */
  build(environment: PluginEnvironment): Promise<BuiltProvider | undefined>;
  /** Why `build` gives nothing in `environment`; undefined when it builds. */
  unavailable(environment: PluginEnvironment): string | undefined;
  /**
   * The shape of `instance.properties` (its schema): pure, strict, normalizing; throws
   * `SpecValidationError` with paths relative to the properties. The built provider may check
   * more (a deployed stack's guardrails, the plugin objects served), so this is what anyone can
   * check without the controller, as the CLI does before sending a spec.
   */
  validateProperties(properties: unknown): Record<string, unknown>;
  /** Its built provider registers instances in load balancers (`targets`): a spec's `loadBalancers` is admitted. */
  readonly loadBalancers?: boolean;
  /** What a deployed stack grants for it; absent when it needs no AWS permission. */
  grants?(scope: GrantScope): AwsGrants;
}

export interface FlavorPlugin {
  /** The kind specs use (`flavor.kind`). */
  readonly kind: string;
  readonly summary: string;
  /** The shape of `flavor.properties`, as `ProviderPlugin.validateProperties`. */
  validateProperties(properties: unknown, allocation: Allocation): Record<string, unknown>;
  build(environment: PluginEnvironment): Promise<Flavor | undefined>;
}
