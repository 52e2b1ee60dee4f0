import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configHash, validateSpec } from '../../src/spec/index.js';

const spec = validateSpec({
  id: 'web',
  allocation: { size: 3 },
  instance: {
    provider: 'ec2',
    properties: { imageId: 'ami-1', instanceType: 't3.micro', tags: { a: '1', b: '2' } },
  },
});

describe('config hash', () => {
  it('ignores key order and whitespace', () => {
    const reordered = validateSpec(
      JSON.parse(
        '{ "instance": { "properties": { "tags": {"b":"2","a":"1"}, "instanceType": "t3.micro", "imageId": "ami-1" }, "provider": "ec2" },  "allocation": {"size":3}, "id": "web" }',
      ),
    );
    expect(configHash(reordered)).toBe(configHash(spec));
  });

  it('does not change when defaults are spelled out', () => {
    const explicit = validateSpec({ ...spec, flavor: { kind: 'vanilla', properties: {} } });
    expect(configHash(explicit)).toBe(configHash(spec));
  });

  it('ignores allocation, health, update and paused', () => {
    const other = validateSpec({
      ...spec,
      allocation: { logicalIds: ['a'] },
      health: { gracePeriodSeconds: 1 },
      update: { maxSurge: 5 },
      paused: true,
    });
    expect(configHash(other)).toBe(configHash(spec));
  });

  it('changes with instance or flavor properties', () => {
    const newImage = validateSpec({
      ...spec,
      instance: { ...spec.instance, properties: { imageId: 'ami-2' } },
    });
    const newInit = validateSpec({ ...spec, flavor: { kind: 'vanilla', properties: { init: ['x'] } } });
    expect(configHash(newImage)).not.toBe(configHash(spec));
    expect(configHash(newInit)).not.toBe(configHash(spec));
  });

  it('is stable under any key permutation (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue(), { maxKeys: 6 }),
        (props) => {
          const a = validateSpec({ ...spec, instance: { provider: 'ec2', properties: props } });
          const reversed = Object.fromEntries(Object.entries(props).reverse());
          const b = validateSpec({ ...spec, instance: { provider: 'ec2', properties: reversed } });
          expect(configHash(a)).toBe(configHash(b));
        },
      ),
      { numRuns: 200 },
    );
  });
});
