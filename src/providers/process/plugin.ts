import { join } from 'node:path';
import type { PluginEnvironment, ProviderPlugin } from '../../plugins/types.js';
import { ProcessProvider } from './index.js';
import { parseProcessProperties } from './properties.js';

/**
 * `process`: instances are OS processes on this machine, so it runs in local mode only, with its
 * state and logs under the data folder. Instances get an allow-listed environment, never the
 * controller's whole one.
 */
export const processPlugin: ProviderPlugin = {
  name: 'process',
  summary: 'OS processes on this machine (local mode)',
  validateProperties: (properties) => parseProcessProperties(properties),
  unavailable(environment: PluginEnvironment) {
    if (environment.where !== 'local') return 'process instances run in local mode only';
    if (!environment.dataDir) return 'no data folder';
    return undefined;
  },
  async build(environment) {
    if (this.unavailable(environment) || !environment.dataDir) return undefined;
    return {
      provider: new ProcessProvider({
        dataDir: join(environment.dataDir, 'process'),
        environment: environment.env,
        ...(environment.instanceUmask !== undefined ? { umask: environment.instanceUmask } : {}),
      }),
    };
  },
};
