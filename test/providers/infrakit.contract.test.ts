import { afterAll, describe, expect, it } from 'vitest';
import {
  discoverPluginObjects,
  InfrakitPlugins,
  InfrakitProvider,
} from '../../src/providers/infrakit/index.js';
import { type ContractFixture, instanceProviderContract } from '../contract/instance-provider.js';
import {
  infrakitAvailable,
  type InfrakitPlugins as RunningPlugins,
  startInfrakitPlugins,
} from '../helpers/infrakit.js';

/**
 * The shared provider contract (architecture §3), run against Docker InfraKit's own `simulator`
 * and `file` instance plugins, started once for this file in a temporary INFRAKIT_HOME.
 */

let running: Promise<RunningPlugins> | undefined;
const plugins = () => {
  running ??= startInfrakitPlugins(['simulator', 'file']);
  return running;
};

function fixture(plugin: string, unknownId: string): () => Promise<ContractFixture> {
  return async () => {
    const { pluginsDir } = await plugins();
    const client = new InfrakitPlugins({ pluginsDir, callTimeoutMs: 5_000 });
    const provider = new InfrakitProvider({ objects: [plugin], plugins: client });
    const object = client.instance(plugin);
    const validProperties = { plugin, properties: { note: 'contract', size: 2 } };
    return {
      provider,
      validProperties,
      invalidProperties: [
        { value: { properties: {} }, path: 'plugin' },
        { value: { plugin: 'simulator/compute/extra' }, path: 'plugin' },
        { value: { plugin: 'unix://host/socket' }, path: 'plugin' },
        { value: { plugin: 'not-served' }, path: 'plugin' },
        { value: { plugin, properties: ['a'] }, path: 'properties' },
        { value: { plugin, extra: true }, path: 'extra' },
      ],
      unknownId,
      killOutOfBand: (id) => object.destroy(id, 'terminate'),
      async untaggedInstance() {
        const id = await object.provision({ properties: {}, tags: { 'contract.stranger': 'yes' } });
        return {
          id,
          exists: async () => (await object.describe({})).some((i) => i.id === id),
          remove: () => object.destroy(id, 'terminate'),
        };
      },
      async teardown() {
        // The plugins are shared by both suites and stopped after them.
      },
    };
  };
}

describe.runIf(infrakitAvailable())('InfraKit plugins', () => {
  afterAll(async () => {
    if (running) await (await running).stop();
  });

  it("discovers the plugins folder's instance objects as specs name them", async () => {
    const { pluginsDir } = await plugins();
    expect(await discoverPluginObjects(pluginsDir, 'Instance/0.6.1')).toEqual([
      'file',
      'simulator/compute',
      'simulator/disk',
      'simulator/net',
    ]);
  });

  instanceProviderContract(
    'infrakit on simulator/compute',
    fixture('simulator/compute', '9123456789012345678'),
  );
  instanceProviderContract('infrakit on file', fixture('file', 'instance-9123456789012345678'));
});
