import { describe, expect, it } from 'vitest';
import type { Flavor, Health } from '../../src/flavors/types.js';
import { vanillaFlavor } from '../../src/flavors/vanilla/index.js';
import { TAG_CONTROLLER, TAG_GROUP } from '../../src/tags.js';
import { useDynalite } from '../helpers/dynalite.js';
import { TEST_CONTROLLER_ID } from '../helpers/fake-provider.js';
import { fakeSpec, newWorld, settle } from './harness.js';

/**
 * A flavor that must ask something (an InfraKit flavor plugin) to prepare launches and judge
 * health: the engine uses `prepareLaunch` and `healthOf` when a flavor has them, and a flavor that
 * cannot answer plans nothing, as a failed describe.
 */

const server = useDynalite();

/** The vanilla flavor, answering through async hooks scripted by the test. */
function asyncFlavor(script: { verdict: (id: string) => Health; fail?: boolean }) {
  const calls = { prepared: 0, judged: 0 };
  const flavor: Flavor = {
    ...vanillaFlavor,
    prepare: () => {
      throw new Error('the engine must use prepareLaunch');
    },
    health: () => {
      throw new Error('the engine must use healthOf');
    },
    async prepareLaunch(_props, request) {
      calls.prepared += 1;
      // A plugin that tries to take over the controller's tags: they win anyway.
      return {
        ...request,
        tags: { ...request.tags, role: 'from-plugin', [TAG_GROUP]: 'hijack' },
        init: 'echo plugin',
      };
    },
    async healthOf(_props, instances) {
      calls.judged += 1;
      if (script.fail) throw new Error('flavor plugin down');
      return instances.map((i) => script.verdict(i.id));
    },
  };
  return { flavor, calls };
}

describe('engine with a flavor that answers asynchronously', () => {
  it('launches with what prepareLaunch returns (the controller tags winning) and judges health with healthOf', async () => {
    const w = await newWorld(server());
    const { flavor, calls } = asyncFlavor({ verdict: () => 'healthy' });
    await w.put(fakeSpec('web', { size: 2 }));
    const engine = w.engine('async', undefined, { flavors: new Map([['vanilla', flavor]]) });
    await settle(engine, w.clock);
    const live = w.provider.ofGroup('web');
    expect(live).toHaveLength(2);
    for (const i of live) {
      expect(i.tags).toMatchObject({
        role: 'from-plugin',
        [TAG_GROUP]: 'web',
        [TAG_CONTROLLER]: TEST_CONTROLLER_ID,
      });
    }
    expect(w.provider.calls.provision.flat().every((r) => r.init === 'echo plugin')).toBe(true);
    expect(calls.prepared).toBe(2);
    expect(calls.judged).toBeGreaterThan(0);
    w.close();
  });

  it('replaces an instance healthOf calls unhealthy', async () => {
    const w = await newWorld(server());
    let sick = '';
    const { flavor } = asyncFlavor({ verdict: (id) => (id === sick ? 'unhealthy' : 'healthy') });
    await w.put(fakeSpec('web', { size: 2 }));
    const engine = w.engine('async', undefined, { flavors: new Map([['vanilla', flavor]]) });
    await settle(engine, w.clock);
    sick = w.provider.ofGroup('web')[0]?.id ?? '';
    w.clock.advance(1_000);
    await settle(engine, w.clock);
    const live = w.provider.ofGroup('web').map((i) => i.id);
    expect(live).toHaveLength(2);
    expect(live).not.toContain(sick);
    w.close();
  });

  it('plans nothing while the flavor cannot judge health: no launch, no termination', async () => {
    const w = await newWorld(server());
    const script = { verdict: (): Health => 'healthy', fail: false };
    const { flavor } = asyncFlavor(script);
    await w.put(fakeSpec('web', { size: 2 }));
    const engine = w.engine('async', undefined, { flavors: new Map([['vanilla', flavor]]) });
    await settle(engine, w.clock);
    const before = w.provider.ofGroup('web').map((i) => i.id);
    script.fail = true;
    await w.put(fakeSpec('web', { size: 1 }));
    w.provider.resetCalls();
    const result = await engine.reconcileGroup('web');
    expect(result.outcome).toBe('observe-failed');
    expect(result.error).toMatch(/flavor vanilla health failed: flavor plugin down/);
    expect(w.provider.calls.provision).toEqual([]);
    expect(w.provider.calls.destroy).toEqual([]);
    expect(w.provider.ofGroup('web').map((i) => i.id)).toEqual(before);
    w.close();
  });
});
