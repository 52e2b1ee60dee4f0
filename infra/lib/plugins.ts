import { PROVIDER_PLUGINS, providerPlugins } from '../../src/plugins/catalog.js';
import type { ProviderPlugin } from '../../src/plugins/types.js';

/**
 * The construct's `providers` prop as plugins of the one catalog the functions build from
 * (`src/plugins/catalog.ts`). Fails synth, naming the prop, on an unknown name or on a plugin that
 * cannot run in a deployed stack.
 */
export function enabledPlugins(path: string, names: readonly string[]): ProviderPlugin[] {
  if (names.length === 0) throw new Error(`${path}: providers must name at least one provider plugin`);
  let plugins: ProviderPlugin[];
  try {
    plugins = providerPlugins(names);
  } catch (err) {
    throw new Error(`${path}: providers: ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const plugin of plugins) {
    const reason = plugin.unavailable({ where: 'aws', controllerId: 'synth', env: {} });
    if (reason)
      throw new Error(
        `${path}: providers: ${plugin.name} cannot run in a deployed stack (${reason}); deployable: ${deployable().join(', ')}`,
      );
  }
  return plugins;
}

function deployable(): string[] {
  return PROVIDER_PLUGINS.filter((p) => !p.unavailable({ where: 'aws', controllerId: 'synth', env: {} })).map(
    (p) => p.name,
  );
}
