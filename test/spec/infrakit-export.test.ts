import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromInfrakit, validateSpec } from '../../src/spec/index.js';
import { toInfrakit } from '../../src/spec/infrakit-export.js';

/**
 * A spec shown in InfraKit's group format (what InfraKit's CLI prints for `inspect`) must commit back
 * to the same spec: `fromInfrakit(toInfrakit(spec))` keeps what InfraKit's format can carry.
 */

const pluginName = fc.constantFrom('simulator/compute', 'file', 'instance-gcp', 'unix:///tmp/p.sock#compute');
const word = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
const json = fc.dictionary(word, fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.string())), {
  maxKeys: 4,
});
const allocation = fc.oneof(
  fc.record({ size: fc.integer({ min: 0, max: 50 }) }),
  fc.record({
    logicalIds: fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9.]{0,6}$/), {
      minLength: 1,
      maxLength: 4,
    }),
  }),
);
const flavor = fc.oneof(
  fc.record({
    kind: fc.constant('vanilla'),
    properties: fc.record({
      init: fc.array(fc.string(), { maxLength: 3 }),
      tags: fc.dictionary(word, fc.string(), { maxKeys: 3 }),
    }),
  }),
  fc.record({
    kind: fc.constant('infrakit'),
    properties: fc.record({ plugin: fc.constantFrom('swarm', 'combo/x'), properties: json }),
  }),
);

// InfraKit's `vanilla` flavor plugin is left out: its name imports as the built-in vanilla flavor
// (same Init and Tags), so a spec naming the plugin itself comes back as the built-in one.
describe('toInfrakit', () => {
  it('prints a group on an InfraKit plugin as InfraKit would, in its key order', () => {
    const shown = toInfrakit({
      id: 'workers',
      allocation: { size: 3 },
      instance: {
        provider: 'infrakit',
        properties: { plugin: 'simulator/compute', properties: { note: 'x' } },
      },
      flavor: { kind: 'vanilla', properties: { init: ['echo hi'], tags: {} } },
      update: { minHealthySeconds: 30 },
    });
    expect(JSON.stringify(shown)).toBe(
      JSON.stringify({
        ID: 'workers',
        Properties: {
          Instance: { Plugin: 'simulator/compute', Properties: { note: 'x' } },
          Flavor: { Plugin: 'vanilla', Properties: { Init: ['echo hi'] } },
          Allocation: { Size: 3 },
          Updating: { Duration: '30s' },
        },
      }),
    );
  });

  it('commits back to the same allocation, instance, flavor and minHealthySeconds', () => {
    fc.assert(
      fc.property(
        word,
        allocation,
        pluginName,
        json,
        flavor,
        fc.integer({ min: 0, max: 3600 }),
        (id, alloc, plugin, properties, flav, wait) => {
          const spec = validateSpec({
            id,
            allocation: alloc,
            instance: { provider: 'infrakit', properties: { plugin, properties } },
            flavor: flav,
            update: { minHealthySeconds: wait },
          });
          const shown = toInfrakit(spec);
          const back = validateSpec(fromInfrakit(JSON.parse(JSON.stringify(shown))));
          expect(back.id).toBe(spec.id);
          expect(back.allocation).toEqual(spec.allocation);
          expect(back.instance).toEqual(spec.instance);
          // Empty init and tags are not shown; absent, they are the vanilla flavor's defaults again.
          const normalize = (f: typeof spec.flavor) =>
            f.kind === 'vanilla'
              ? { kind: f.kind, init: f.properties.init ?? [], tags: f.properties.tags ?? {} }
              : f;
          expect(normalize(back.flavor)).toEqual(normalize(spec.flavor));
          expect(back.update.minHealthySeconds).toBe(spec.update.minHealthySeconds);
          // The export shares nothing with the spec: changing one leaves the other as it was.
          (shown.Properties.Instance as { Properties: Record<string, unknown> }).Properties.added = 1;
          expect(spec.instance.properties).not.toHaveProperty(['properties', 'added']);
        },
      ),
    );
  });
});
