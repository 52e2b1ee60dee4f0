import { ENV } from '../../env.js';
import type { PluginEnvironment, ProviderPlugin } from '../../plugins/types.js';
import { createSigV4Signer } from '../../sigv4.js';
import { discoverPluginObjects } from './discover.js';
import {
  type ConfiguredPlugin,
  configuredEndpoints,
  configuredObjects,
  parseConfiguredPlugins,
} from './endpoints.js';
import { lambdaInvoker } from './lambda-transport.js';
import { InfrakitPlugins } from './plugins.js';
import { parseInfrakitProperties } from './properties.js';
import { InfrakitProvider } from './provider.js';
import type { PluginTransports } from './rpc.js';
import { INSTANCE_INTERFACE } from './wire.js';

/** The configured plugins (`INFRAKIT_PLUGINS`), or why they cannot be read. */
function configured(environment: PluginEnvironment): ConfiguredPlugin[] | string {
  try {
    return parseConfiguredPlugins(environment.env[ENV.plugins], ENV.plugins);
  } catch (err) {
    return (err as Error).message;
  }
}

/** The Lambda client and SigV4 credentials from the SDK's standard chain, built on first use. */
function cloudTransports(environment: PluginEnvironment): PluginTransports {
  return {
    invokeLambda: lambdaInvoker(),
    signer: (url, service) => createSigV4Signer(url, { service, env: environment.env }),
  };
}

/**
 * `infrakit`: any InfraKit `Instance/0.6.1` plugin (the simulator, file, a Lambda function, …).
 *
 * - Deployed: the plugins named in `INFRAKIT_PLUGINS` (the construct's `plugins` prop), each a
 *   Lambda function or an HTTPS endpoint; the objects they serve are declared there, never
 *   discovered, so a plugin that is down at a cold start still counts in every observation.
 * - Local mode: with `--plugins-dir`, the instance plugin objects found there at start (a group's
 *   observation is complete only when every one of them answers), and any configured in
 *   `INFRAKIT_PLUGINS` too (reached with your AWS credentials).
 */
export const infrakitPlugin: ProviderPlugin = {
  name: 'infrakit',
  summary: "InfraKit instance plugins (InfraKit's plugin protocol)",
  validateProperties: (properties) => parseInfrakitProperties(properties),
  unavailable(environment: PluginEnvironment) {
    const plugins = configured(environment);
    if (typeof plugins === 'string') return plugins;
    if (environment.where !== 'local')
      return plugins.length > 0
        ? undefined
        : `no plugins configured (${ENV.plugins}, the construct's plugins prop)`;
    if (!environment.pluginsDir && plugins.length === 0) return `no --plugins-dir given (nor ${ENV.plugins})`;
    return undefined;
  },
  async build(environment) {
    const plugins = configured(environment);
    if (this.unavailable(environment) || typeof plugins === 'string') return undefined;
    const pluginsDir = environment.where === 'local' ? environment.pluginsDir : undefined;
    // Folded out of the Lambda bundles (infra/lib/bundling.ts), which have no plugins folder.
    const discovered =
      pluginsDir && process.env.INFRAKIT_BUNDLE !== 'lambda'
        ? await discoverPluginObjects(pluginsDir, INSTANCE_INTERFACE)
        : [];
    const client = new InfrakitPlugins({
      ...(pluginsDir ? { pluginsDir } : {}),
      ...(plugins.length > 0
        ? { endpoints: configuredEndpoints(plugins), transports: cloudTransports(environment) }
        : {}),
      env: environment.env,
    });
    const objects = [...discovered, ...configuredObjects(plugins)];
    return { provider: new InfrakitProvider({ objects, plugins: client }) };
  },
};
