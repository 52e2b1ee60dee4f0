import { describe, expect, it } from 'vitest';
import type { Flavor, Health } from '../../src/flavors/types.js';
import type { InstanceDescription, ProvisionRequest } from '../../src/providers/types.js';
import type { Allocation } from '../../src/spec/schema.js';
import { TAG_CONFIG_HASH, TAG_CONTROLLER, TAG_GROUP, TAG_INTENT, TAG_LOGICAL_ID } from '../../src/tags.js';

/**
 * The one flavor contract suite, run against every flavor the way the engine uses it: the
 * asynchronous hooks (`prepareLaunch`, `healthOf`) when a flavor has them, else `prepare` and
 * `health`. Provider-neutral and plugin-neutral: the built-in vanilla and InfraKit's own vanilla
 * plugin (through the `infrakit` flavor) both pass it.
 */

export interface FlavorFixture {
  readonly flavor: Flavor;
  /** Flavor properties that put `init` lines and `tags` on every instance, in this flavor's format. */
  properties(init: readonly string[], tags: Readonly<Record<string, string>>): unknown;
}

const OWN = {
  [TAG_CONTROLLER]: 'contract-controller',
  [TAG_GROUP]: 'web',
  [TAG_CONFIG_HASH]: 'h1',
  [TAG_INTENT]: 'tok-1',
};

function prepareOf(
  flavor: Flavor,
  props: Record<string, unknown>,
  request: ProvisionRequest,
  allocation: Allocation,
) {
  return flavor.prepareLaunch
    ? flavor.prepareLaunch(props, request, allocation, 0)
    : Promise.resolve(flavor.prepare(props, request, allocation, 0));
}

async function healthOf(flavor: Flavor, props: Record<string, unknown>, instances: InstanceDescription[]) {
  if (flavor.healthOf) return flavor.healthOf(props, instances);
  return instances.map((i) => flavor.health(props, i));
}

function running(id: string, logicalId?: string): InstanceDescription {
  return {
    id,
    state: 'running',
    tags: { ...OWN, ...(logicalId ? { [TAG_LOGICAL_ID]: logicalId } : {}) },
    launchedAt: 1,
    health: { status: 'ok' },
  };
}

export function flavorContract(name: string, setup: () => FlavorFixture): void {
  describe(`flavor contract: ${name}`, () => {
    const allocation: Allocation = { size: 2 };

    it('validate is deterministic, and its output is valid input', () => {
      const { flavor, properties } = setup();
      const once = flavor.validate(properties(['echo a'], { team: 'x' }), allocation);
      expect(flavor.validate(once, allocation)).toEqual(once);
    });

    it("prepares a launch with the init lines and tags, keeping the controller's tags, token and logical id", async () => {
      const { flavor, properties } = setup();
      const props = flavor.validate(properties(['echo one', 'echo two'], { role: 'web', team: 'x' }), {
        logicalIds: ['db-1'],
      });
      const request: ProvisionRequest = {
        tags: { ...OWN, [TAG_LOGICAL_ID]: 'db-1' },
        token: 'tok-1',
        logicalId: 'db-1',
      };
      const prepared = await prepareOf(flavor, props, request, { logicalIds: ['db-1'] });
      expect(prepared.token).toBe('tok-1');
      expect(prepared.logicalId).toBe('db-1');
      expect(prepared.tags).toMatchObject({ ...OWN, [TAG_LOGICAL_ID]: 'db-1', role: 'web', team: 'x' });
      expect(prepared.init ?? '').toMatch(/echo one[\s\S]*echo two/);
    });

    it('judges every instance, in order, as healthy, unhealthy or unknown', async () => {
      const { flavor, properties } = setup();
      const props = flavor.validate(properties([], {}), allocation);
      const verdicts: readonly Health[] = await healthOf(flavor, props, [running('i-1'), running('i-2')]);
      expect(verdicts).toHaveLength(2);
      for (const v of verdicts) expect(['healthy', 'unhealthy', 'unknown']).toContain(v);
    });

    it('drains, and drains again (idempotent)', async () => {
      const { flavor, properties } = setup();
      const props = flavor.validate(properties([], {}), allocation);
      await expect(flavor.drain(props, running('i-1'))).resolves.toBeUndefined();
      await expect(flavor.drain(props, running('i-1'))).resolves.toBeUndefined();
    });
  });
}
