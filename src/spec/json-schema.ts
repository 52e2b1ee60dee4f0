import * as z from 'zod';
import { GroupSpecSchema } from './schema.js';

type JsonObject = Record<string, unknown>;

/**
 * JSON Schema (draft 2020-12) of the spec as users write it, for editors and `infrakit schema`.
 * Refinements that zod cannot express in JSON Schema are added by hand: exactly one of `size` and
 * `logicalIds`.
 */
export function groupSpecJsonSchema(): JsonObject {
  const schema = z.toJSONSchema(GroupSpecSchema, { io: 'input', unrepresentable: 'any' }) as JsonObject;
  const properties = schema.properties as Record<string, JsonObject>;
  properties.allocation = {
    ...properties.allocation,
    oneOf: [{ required: ['size'] }, { required: ['logicalIds'] }],
  };
  return {
    ...schema,
    $id: 'https://github.com/infrakit-serverless/infrakit-serverless/schema/group-spec.schema.json',
    title: 'InfraKit-serverless group spec',
  };
}
