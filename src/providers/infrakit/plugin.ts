import type { PluginEnvironment, ProviderPlugin } from '../../plugins/types.js';
import { discoverPluginObjects } from './discover.js';
import { InfrakitPlugins } from './plugins.js';
import { parseInfrakitProperties } from './properties.js';
import { InfrakitProvider } from './provider.js';
import { INSTANCE_INTERFACE } from './wire.js';

/**
 * `infrakit`: any InfraKit `Instance/0.6.1` plugin (the simulator, file, …). In local mode with
 * `--plugins-dir`, the instance plugin objects found there at start are the ones it serves (a
 * group's observation is complete only when every one of them answers). A deployed stack reaches
 * no unix socket, so it is local-only for now.
 */
export const infrakitPlugin: ProviderPlugin = {
  name: 'infrakit',
  summary: "InfraKit instance plugins (InfraKit's plugin protocol)",
  validateProperties: (properties) => parseInfrakitProperties(properties),
  unavailable(environment: PluginEnvironment) {
    if (environment.where !== 'local')
      return 'InfraKit plugins are reached over unix sockets in local mode only';
    if (!environment.pluginsDir) return 'no --plugins-dir given';
    return undefined;
  },
  async build(environment) {
    if (this.unavailable(environment) || !environment.pluginsDir) return undefined;
    const pluginsDir = environment.pluginsDir;
    const objects = await discoverPluginObjects(pluginsDir, INSTANCE_INTERFACE);
    const plugins = new InfrakitPlugins({ pluginsDir, env: environment.env });
    return { provider: new InfrakitProvider({ objects, plugins }) };
  },
};
