import { ENV } from '../../src/env.js';
import { PROVIDER_PLUGINS, providerPlugins } from '../../src/plugins/catalog.js';
import type { PluginEnvironment, ProviderPlugin } from '../../src/plugins/types.js';

/** A deployed stack as the plugins see it at synth; with `plugins`, one stand-in InfraKit plugin. */
function synthEnvironment(withPlugins: boolean): PluginEnvironment {
  const plugins = withPlugins
    ? JSON.stringify([
        { name: 'synth', address: 'lambda:arn:aws:lambda:us-east-1:123456789012:function:synth' },
      ])
    : undefined;
  return { where: 'aws', controllerId: 'synth', env: plugins ? { [ENV.plugins]: plugins } : {} };
}

/**
 * The construct's `providers` prop as plugins of the one catalog the functions build from
 * (`src/plugins/catalog.ts`). Fails synth, naming the prop, on an unknown name or on a plugin that
 * cannot run in a deployed stack.
 */
export function enabledPlugins(
  path: string,
  names: readonly string[],
  withPlugins = false,
): ProviderPlugin[] {
  if (names.length === 0) throw new Error(`${path}: providers must name at least one provider plugin`);
  let plugins: ProviderPlugin[];
  try {
    plugins = providerPlugins(names);
  } catch (err) {
    throw new Error(`${path}: providers: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const plugin of plugins) {
    const reason = plugin.unavailable(synthEnvironment(withPlugins));
    if (reason)
      throw new Error(
        `${path}: providers: ${plugin.name} cannot run in a deployed stack (${reason}); deployable: ${deployable().join(', ')}`,
      );
  }
  return plugins;
}

function deployable(): string[] {
  return PROVIDER_PLUGINS.filter((p) => !p.unavailable(synthEnvironment(true))).map((p) => p.name);
}
