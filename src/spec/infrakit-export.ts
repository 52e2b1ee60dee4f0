/**
 * This project's spec shown as InfraKit's own group JSON (`ID`, `Properties.Instance`,
 * `Properties.Flavor`, `Properties.Allocation`, `Properties.Updating`): what InfraKit's CLI prints for
 * `inspect`, and what it can commit back. The inverse of `fromInfrakit` for what InfraKit can say:
 * for a group on an InfraKit plugin (or the `process` provider) with the vanilla flavor,
 * `fromInfrakit(toInfrakit(spec))` gives back its allocation, instance, flavor and
 * `update.minHealthySeconds`. Settings InfraKit has no words for (health, the rest of `update`,
 * load balancers, lifecycle, paused) are not shown: `GET /groups/{id}` shows the whole spec. One
 * name does not come back as itself: InfraKit's `vanilla` flavor plugin (`kind: infrakit`) imports
 * as the built-in vanilla flavor, which reads the same Init and Tags.
 * Pure: the result shares no objects with the input.
 */

type Json = Record<string, unknown>;

/** The part of a spec InfraKit's format can carry. Structural, so a spec read from the API fits too. */
export interface InfrakitExportable {
  readonly id: string;
  readonly allocation: { readonly size?: number; readonly logicalIds?: readonly string[] };
  readonly instance: { readonly provider: string; readonly properties?: Readonly<Json> };
  readonly flavor?: { readonly kind?: string; readonly properties?: Readonly<Json> };
  readonly update?: { readonly minHealthySeconds?: number };
}

/** InfraKit's group spec: what `Group.InspectGroups` answers and `Group.CommitGroup` takes. */
export interface InfrakitGroupSpec {
  readonly ID: string;
  readonly Properties: Json;
}

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `{ plugin, properties }` of the `infrakit` provider and flavor, as InfraKit's `{ Plugin, Properties }`. */
function pluginBlock(properties: Readonly<Json>): Json {
  const inner = properties.properties;
  return {
    Plugin: properties.plugin,
    Properties: isObject(inner) ? structuredClone(inner) : {},
  };
}

function instanceBlock(instance: InfrakitExportable['instance']): Json {
  const properties = instance.properties ?? {};
  if (instance.provider === 'infrakit') return pluginBlock(properties);
  // `process` imports under its own name with its properties as they are; so does any other provider,
  // whose properties are shown in this project's format.
  return { Plugin: instance.provider, Properties: structuredClone(properties) };
}

function flavorBlock(flavor: InfrakitExportable['flavor']): Json {
  const kind = flavor?.kind ?? 'vanilla';
  const properties = flavor?.properties ?? {};
  if (kind === 'infrakit') return pluginBlock(properties);
  if (kind !== 'vanilla') return { Plugin: kind, Properties: structuredClone(properties) };
  const vanilla: Json = {};
  if (Array.isArray(properties.init) && properties.init.length > 0) vanilla.Init = [...properties.init];
  if (isObject(properties.tags) && Object.keys(properties.tags).length > 0)
    vanilla.Tags = { ...properties.tags };
  return { Plugin: 'vanilla', Properties: vanilla };
}

/** InfraKit's group JSON for `spec`, its keys in the order InfraKit prints them. */
export function toInfrakit(spec: InfrakitExportable): InfrakitGroupSpec {
  const { size, logicalIds } = spec.allocation;
  const properties: Json = {
    Instance: instanceBlock(spec.instance),
    Flavor: flavorBlock(spec.flavor),
    Allocation: logicalIds !== undefined ? { LogicalIDs: [...logicalIds] } : { Size: size ?? 0 },
  };
  // InfraKit's Updating.Duration is the wait between replacements: this project's minHealthySeconds.
  const wait = spec.update?.minHealthySeconds ?? 0;
  if (wait > 0) properties.Updating = { Duration: `${wait}s` };
  return { ID: spec.id, Properties: properties };
}
