import { createHash } from 'node:crypto';
import type { GroupSpec } from './schema.js';

/** JSON with object keys sorted at every depth, so key order never changes a hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The configuration hash tagged on every instance. It covers `instance` and `flavor` only, so a
 * resize (allocation), a health or update policy change never triggers a rolling update. Pass a
 * validated spec: defaults must be filled in so that spelling a default out changes nothing.
 */
export function configHash(spec: Pick<GroupSpec, 'instance' | 'flavor'>): string {
  const canonical = canonicalJson({ instance: spec.instance, flavor: spec.flavor });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}
