import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { groupSpecJsonSchema } from '../../src/spec/index.js';

describe('JSON Schema export', () => {
  it('matches the committed schema/group-spec.schema.json (run `npm run schema` after changing the spec)', () => {
    const committed = JSON.parse(
      readFileSync(new URL('../../schema/group-spec.schema.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(groupSpecJsonSchema());
  });

  it('forbids unknown top-level keys and requires the core fields', () => {
    const schema = groupSpecJsonSchema() as { additionalProperties: unknown; required: string[] };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['id', 'allocation', 'instance']));
    expect(schema.required).not.toContain('health');
  });

  it('requires exactly one of size and logicalIds, as the zod schema does', () => {
    const schema = groupSpecJsonSchema() as { properties: { allocation: { oneOf: unknown } } };
    expect(schema.properties.allocation.oneOf).toEqual([
      { required: ['size'] },
      { required: ['logicalIds'] },
    ]);
  });
});
