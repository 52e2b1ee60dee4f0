import { afterAll, beforeAll, describe } from 'vitest';
import { InfrakitFlavor } from '../../src/flavors/infrakit/index.js';
import { vanillaFlavor } from '../../src/flavors/vanilla/index.js';
import { InfrakitPlugins } from '../../src/providers/infrakit/index.js';
import { flavorContract } from '../contract/flavor.js';
import {
  infrakitAvailable,
  type InfrakitPlugins as RunningPlugins,
  startInfrakitPlugins,
} from '../helpers/infrakit.js';

/** The one flavor contract, for the built-in vanilla and for InfraKit's own vanilla plugin. */

flavorContract('vanilla (built in)', () => ({
  flavor: vanillaFlavor,
  properties: (init, tags) => ({ init: [...init], tags: { ...tags } }),
}));

describe.runIf(infrakitAvailable())("InfraKit's vanilla plugin", () => {
  let running: RunningPlugins | undefined;
  let flavor: InfrakitFlavor | undefined;
  beforeAll(async () => {
    running = await startInfrakitPlugins(['vanilla']);
    flavor = new InfrakitFlavor({ plugins: new InfrakitPlugins({ pluginsDir: running.pluginsDir }) });
  });
  afterAll(async () => {
    await running?.stop();
  });

  flavorContract('infrakit flavor on the vanilla plugin', () => {
    if (!flavor) throw new Error('the vanilla plugin is not running');
    return {
      flavor,
      properties: (init, tags) => ({ plugin: 'vanilla', properties: { Init: [...init], Tags: { ...tags } } }),
    };
  });
});
