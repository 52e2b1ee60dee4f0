import type { GroupSpec } from './schema.js';

/**
 * The spec a rollback commits: the failed spec with the previous version's `instance` and
 * `flavor` (what the config hash covers), so the previous config becomes current again while
 * later choices about size, health and updates stay as the user last made them.
 */
export function restoreConfig(failed: GroupSpec, previous: GroupSpec): GroupSpec {
  return { ...failed, instance: previous.instance, flavor: previous.flavor };
}
