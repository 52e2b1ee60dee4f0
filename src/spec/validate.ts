import type * as z from 'zod';
import { type FieldIssue, SpecValidationError } from '../errors.js';
import { type GroupSpec, GroupSpecSchema } from './schema.js';

/** Dotted path of a zod issue (`allocation.logicalIds.2`); empty for the root. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.');
}

/** Turns zod issues into field issues, expanding unknown-key and union errors into one per field. */
export function toFieldIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  const join = (p: string) => [prefix, p].filter(Boolean).join('.');
  return error.issues.flatMap((issue): FieldIssue[] => {
    const base = issuePath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({
        path: join([base, k].filter(Boolean).join('.')),
        message: 'unknown field',
      }));
    }
    return [{ path: join(base), message: issue.message }];
  });
}

/** Validates any schema, throwing a `SpecValidationError` that names every bad field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new SpecValidationError(toFieldIssues(result.error, prefix), { cause: result.error });
  return result.data;
}

/** Validates a group spec object (already parsed from text) and fills in defaults. */
export function validateSpec(value: unknown): GroupSpec {
  return parseWith(GroupSpecSchema, value);
}
