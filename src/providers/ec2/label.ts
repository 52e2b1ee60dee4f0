import type { Ec2Api } from './api.js';
import { lookupByIds } from './describe.js';
import { isNotFound, toProviderError } from './errors.js';
import { ec2Tags } from './launch-input.js';

/** CreateTags takes at most 1,000 resources per call. */
export const TAG_BATCH = 1000;

/**
 * The provider's `label`: CreateTags in batches. One unknown id fails a whole CreateTags call, so
 * on a not-found error the batch is narrowed to the instances EC2 still has (not terminated) and
 * tagged again; the unknown ones are skipped, as the contract says.
 */
export async function labelInstances(
  api: Ec2Api,
  ids: readonly string[],
  tags: Readonly<Record<string, string>>,
): Promise<void> {
  const unique = [...new Set(ids)];
  const Tags = ec2Tags(tags);
  if (unique.length === 0 || Tags.length === 0) return;
  for (let i = 0; i < unique.length; i += TAG_BATCH) {
    const batch = unique.slice(i, i + TAG_BATCH);
    try {
      await api.createTags({ Resources: batch, Tags });
    } catch (err) {
      if (!isNotFound(err)) throw toProviderError(err, 'tagging instances');
      const found = await lookupByIds(api, batch);
      const existing = batch.filter((id) => {
        const state = found.get(id)?.State?.Name;
        return state !== undefined && state !== 'terminated';
      });
      if (existing.length === 0) continue;
      try {
        await api.createTags({ Resources: existing, Tags });
      } catch (retryErr) {
        // Gone between the lookup and the retry: skipped like any unknown instance.
        if (!isNotFound(retryErr)) throw toProviderError(retryErr, 'tagging instances');
      }
    }
  }
}
