import type { InstanceProvider } from '../providers/types.js';
import type { GroupSpec } from '../spec/schema.js';
import type { GroupRecord } from '../store/types.js';
import type { EngineContext } from './context.js';

/**
 * Where a group may have instances, for a provider made of places that fail on their own
 * (`InstanceProvider.placeOf`: InfraKit's plugin objects). An instance is only ever launched into
 * the place of the spec version its launch intent was made under, so the places every version of
 * the group named (the stored history and the current spec) hold all its instances, including
 * those of a rollout from one plugin to another. Describing those places alone keeps an
 * observation complete for the group while a place it never named is down.
 *
 * The history is read once per group and engine, then only the versions written since (a
 * steady sweep reads none). A group that once named a place stays bound to it: a superset of
 * places only ever blocks more, never plans from less.
 */

/** What an engine remembers per group: the places up to `version`. */
export interface KnownPlaces {
  readonly version: number;
  readonly places: ReadonlySet<string>;
}

/** The place `spec` names on `provider`, if it is that provider's and its properties parse. */
function placeOfSpec(provider: InstanceProvider, spec: GroupSpec): string | undefined {
  if (!provider.placeOf || spec.instance.provider !== provider.name) return undefined;
  try {
    return provider.placeOf(provider.validate(spec.instance.properties));
  } catch {
    // Refused at PUT already: nothing was ever launched for such a version.
    return undefined;
  }
}

/**
 * The places `record`'s group may have instances in on `provider`, sorted; `undefined` for a
 * provider without places (its `describe` covers everything).
 */
export async function groupPlaces(
  ctx: EngineContext,
  record: GroupRecord,
  provider: InstanceProvider,
): Promise<readonly string[] | undefined> {
  if (!provider.placeOf) return undefined;
  const cached = ctx.places.get(record.id);
  // A version below the cached one: the group was destroyed and made again; start over.
  const known = cached && cached.version <= record.version ? cached : undefined;
  const places = new Set(known?.places ?? []);
  const current = placeOfSpec(provider, record.spec);
  if (current !== undefined) places.add(current);
  if (known?.version !== record.version) {
    // Newest first: stop at the first version already known.
    let cursor: string | undefined;
    let reached = false;
    do {
      const page = await ctx.store.listVersions(record.id, cursor ? { cursor } : {});
      for (const stored of page.items) {
        reached = known !== undefined && stored.version <= known.version;
        if (reached) break;
        const place = placeOfSpec(provider, stored.spec);
        if (place !== undefined) places.add(place);
      }
      cursor = page.next;
    } while (cursor && !reached);
  }
  ctx.places.set(record.id, { version: record.version, places });
  return [...places].sort();
}
