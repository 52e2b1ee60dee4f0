import type { AdmissionFlavor, AdmissionProvider, Registries } from '../admission/admit.js';
import { InfrakitFlavor } from '../flavors/infrakit/index.js';
import type { Flavor, FlavorRegistry } from '../flavors/types.js';
import { vanillaFlavor } from '../flavors/vanilla/index.js';
import { ec2Plugin } from '../providers/ec2/plugin.js';
import { infrakitPlugin } from '../providers/infrakit/plugin.js';
import { InfrakitPlugins } from '../providers/infrakit/plugins.js';
import { processPlugin } from '../providers/process/plugin.js';
import type { InstanceProvider, ProviderRegistry } from '../providers/types.js';
import type { FlavorPlugin, InstanceGroupLookup, PluginEnvironment, ProviderPlugin } from './types.js';

/**
 * Every plugin the controller knows: the one list the Lambda runtime, local mode and the CDK
 * construct take. A new provider lives in its own folder (`src/providers/<name>/plugin.ts`) and is
 * added here, and nowhere else.
 */
export const PROVIDER_PLUGINS: readonly ProviderPlugin[] =
  // Folded at build time in the Lambda bundles (infra/lib/bundling.ts): the local-only plugins
  // are left out of them, and `infrakit` is carried only by the bundles of a stack with InfraKit
  // plugins. Everywhere else the variables are unset and every plugin is listed.
  process.env.INFRAKIT_BUNDLE === 'lambda'
    ? process.env.INFRAKIT_BUNDLE_INFRAKIT === 'yes'
      ? [ec2Plugin, infrakitPlugin]
      : [ec2Plugin]
    : [ec2Plugin, processPlugin, infrakitPlugin];

const VANILLA_FLAVOR: FlavorPlugin = {
  kind: vanillaFlavor.kind,
  summary: 'init script and tags (InfraKit vanilla)',
  validateProperties: (properties, allocation) => vanillaFlavor.validate(properties, allocation),
  build: async () => vanillaFlavor,
};

const INFRAKIT_FLAVOR: FlavorPlugin = {
  kind: 'infrakit',
  summary: "InfraKit flavor plugins (InfraKit's plugin protocol), local mode with --plugins-dir",
  // Shape only: the address and an object of properties (no plugin is asked, none need exist).
  validateProperties: (properties) =>
    new InfrakitFlavor({ plugins: new InfrakitPlugins({ pluginsDir: '', env: {} }) }).validate(properties),
  // Prepared and judged through the plugin (prepareLaunch, healthOf): every pass asks it.
  build: async (environment) =>
    environment.where === 'local' && environment.pluginsDir
      ? new InfrakitFlavor({
          plugins: new InfrakitPlugins({ pluginsDir: environment.pluginsDir, env: environment.env }),
        })
      : undefined,
};

export const FLAVOR_PLUGINS: readonly FlavorPlugin[] =
  process.env.INFRAKIT_BUNDLE === 'lambda' ? [VANILLA_FLAVOR] : [VANILLA_FLAVOR, INFRAKIT_FLAVOR];

/** Provider plugins by name; an unknown name is an error listing the known ones. */
export function providerPlugins(names: readonly string[]): ProviderPlugin[] {
  return names.map((name) => {
    const plugin = PROVIDER_PLUGINS.find((p) => p.name === name);
    if (!plugin) {
      const known = PROVIDER_PLUGINS.map((p) => p.name).join(', ');
      throw new Error(`unknown provider plugin ${JSON.stringify(name)} (known: ${known})`);
    }
    return plugin;
  });
}

/** What a controller runs with: the providers and flavors built for its environment. */
export interface BuiltPlugins {
  readonly providers: ProviderRegistry;
  readonly flavors: FlavorRegistry;
  /** The first provider's instance → group lookup that has one (EC2 in AWS), for the events function. */
  readonly lookupInstanceGroup?: InstanceGroupLookup;
  /** Plugins that do not run in this environment, and why (for the local banner and errors). */
  readonly unavailable: readonly { readonly name: string; readonly reason: string }[];
}

/**
 * Builds `plugins` (default: all) for `environment`. A plugin that does not run there is listed as
 * unavailable with its reason, never an error: its groups are blocked as naming an unknown provider.
 */
export async function buildPlugins(
  environment: PluginEnvironment,
  plugins: readonly ProviderPlugin[] = PROVIDER_PLUGINS,
  flavorPlugins: readonly FlavorPlugin[] = FLAVOR_PLUGINS,
): Promise<BuiltPlugins> {
  const providers = new Map<string, InstanceProvider>();
  const unavailable: { name: string; reason: string }[] = [];
  let lookupInstanceGroup: InstanceGroupLookup | undefined;
  for (const plugin of plugins) {
    const reason = plugin.unavailable(environment);
    const built = reason === undefined ? await plugin.build(environment) : undefined;
    if (!built) {
      unavailable.push({ name: plugin.name, reason: reason ?? 'not built' });
      continue;
    }
    providers.set(plugin.name, built.provider);
    lookupInstanceGroup ??= built.lookupInstanceGroup;
  }
  const flavors = new Map<string, Flavor>();
  for (const plugin of flavorPlugins) {
    const flavor = await plugin.build(environment);
    if (flavor) flavors.set(plugin.kind, flavor);
  }
  return { providers, flavors, unavailable, ...(lookupInstanceGroup ? { lookupInstanceGroup } : {}) };
}

/**
 * Registries that only validate (each plugin's `validateProperties`): for admitting a spec where
 * no controller runs, as the CLI does before it sends one. What they accept, a controller may still
 * refuse (its guardrails, the plugin objects it serves); what they refuse, every controller would.
 */
export function shapeRegistries(): Registries<AdmissionProvider, AdmissionFlavor> {
  return {
    providers: new Map(
      PROVIDER_PLUGINS.map((p) => [
        p.name,
        { name: p.name, validate: p.validateProperties, ...(p.loadBalancers ? { targets: true } : {}) },
      ]),
    ),
    flavors: new Map(
      FLAVOR_PLUGINS.map((f) => [
        f.kind,
        {
          kind: f.kind,
          validate: f.validateProperties,
          prepare: () => {
            throw new Error('shape registries prepare no launch');
          },
        },
      ]),
    ),
  };
}
