import * as z from 'zod';
import { GroupSpecSchema } from './schema.js';

/** JSON Schema (draft 2020-12) of the spec as users write it, for editors and `infrakit schema`. */
export function groupSpecJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(GroupSpecSchema, { io: 'input', unrepresentable: 'any' });
  return {
    ...schema,
    $id: 'https://github.com/infrakit-serverless/infrakit-serverless/schema/group-spec.schema.json',
    title: 'InfraKit-serverless group spec',
  };
}
