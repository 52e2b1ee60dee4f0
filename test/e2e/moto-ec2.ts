import { afterAll, afterEach, beforeAll } from 'vitest';
import { motoAvailable } from '../helpers/moto.js';
import type { Ec2World, Ec2WorldOptions, MotoEc2 } from './ec2-world.js';
import { startMotoEc2 } from './ec2-world.js';

/**
 * `startMotoEc2` for the calling file or block: started before its tests (where moto is installed;
 * `motoAvailable` fails under CI=true without it), the worlds a test made closed after it, stopped
 * after the last test. `raw`, `net` and `world` are valid inside tests and hooks.
 */
export function useMotoEc2(): Pick<MotoEc2, 'raw' | 'net' | 'world'> {
  let env: MotoEc2 | undefined;
  const started = (): MotoEc2 => {
    if (!env) throw new Error('moto is not started: use raw, net and world inside a test or hook');
    return env;
  };
  beforeAll(async () => {
    if (motoAvailable()) env = await startMotoEc2();
  }, 60_000);
  afterEach(() => env?.closeWorlds());
  afterAll(async () => {
    await env?.stop();
  });
  return {
    get raw() {
      return started().raw;
    },
    get net() {
      return started().net;
    },
    world: (options?: Ec2WorldOptions): Promise<Ec2World> => started().world(options),
  };
}
