import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { admitOrThrow } from '../admission/admit.js';
import { messageOf } from '../errors.js';
import type { FlavorRegistry } from '../flavors/types.js';
import type { ProviderRegistry } from '../providers/types.js';
import { parseSpecText } from '../spec/index.js';
import { GroupExistsError } from '../store/errors.js';
import type { GroupStore } from '../store/types.js';

/** The repository's `examples/` folder. */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));

export interface ExampleOutcome {
  readonly file: string;
  readonly id?: string;
  readonly outcome: 'created' | 'exists' | 'skipped';
  readonly reason?: string;
}

/**
 * Commits each example spec whose group does not exist yet (create-only, so a group the user has
 * changed is never overwritten, and several controllers starting together create it once).
 * Specs are admitted exactly as the API admits them (`src/admission`), so a later `group commit` of the same
 * file is recognised as unchanged. Examples for providers that are not registered are skipped.
 */
export async function commitExamples(
  deps: { store: GroupStore; providers: ProviderRegistry; flavors: FlavorRegistry; now: () => number },
  dir = EXAMPLES_DIR,
): Promise<ExampleOutcome[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  } catch {
    return [];
  }
  const outcomes: ExampleOutcome[] = [];
  for (const file of files) {
    try {
      const parsed = parseSpecText(await readFile(join(dir, file), 'utf8'));
      if (!deps.providers.has(parsed.instance.provider)) {
        outcomes.push({
          file,
          id: parsed.id,
          outcome: 'skipped',
          reason: `provider ${parsed.instance.provider} not enabled`,
        });
        continue;
      }
      const { spec } = admitOrThrow(parsed, deps);
      if (await deps.store.getGroup(spec.id)) {
        outcomes.push({ file, id: spec.id, outcome: 'exists' });
        continue;
      }
      await deps.store.putSpec(spec, { createOnly: true, now: deps.now() });
      outcomes.push({ file, id: spec.id, outcome: 'created' });
    } catch (err) {
      if (err instanceof GroupExistsError) outcomes.push({ file, outcome: 'exists' });
      else outcomes.push({ file, outcome: 'skipped', reason: messageOf(err) });
    }
  }
  return outcomes;
}
