import * as z from 'zod';
import { TAG_CONFIG_HASH, TAG_LOGICAL_ID } from '../../tags.js';
import { type PluginCallSite, PluginProtocolError } from './errors.js';

/**
 * InfraKit's side of the plugin boundary: the interface versions this client speaks, the shapes of
 * the results it accepts, and the tag names InfraKit writes. Everything a plugin answers is checked
 * against these shapes before use; an answer that does not fit is garbage (`PluginProtocolError`),
 * never half-used.
 */

export const INSTANCE_INTERFACE = 'Instance/0.6.1';
export const FLAVOR_INTERFACE = 'Flavor/0.1.1';
export type PluginInterface = typeof INSTANCE_INTERFACE | typeof FLAVOR_INTERFACE;

// Module-level values are built in pure functions: the Lambda bundles of a stack without InfraKit
// plugins import this module (through the catalog) but use none of it, and esbuild then leaves it out.
/**
 * This project's tag names that InfraKit spells differently (a dot and an underscore where this
 * project writes hyphens). Translated at the plugin boundary both ways, so instances made by an
 * InfraKit manager are seen under this project's names and InfraKit sees its own on ours.
 */
const OURS_TO_WIRE: ReadonlyMap<string, string> = /* @__PURE__ */ (() =>
  new Map([
    [TAG_CONFIG_HASH, 'infrakit.config.hash'],
    [TAG_LOGICAL_ID, 'infrakit.logical_id'],
  ]))();
const WIRE_TO_OURS: ReadonlyMap<string, string> = /* @__PURE__ */ (() =>
  new Map([...OURS_TO_WIRE].map(([a, b]) => [b, a])))();

/** `tags` with this project's names written as InfraKit's. */
export function toWireTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) out[OURS_TO_WIRE.get(key) ?? key] = value;
  return out;
}

/** A plugin's tags with InfraKit's names read as this project's (InfraKit's spelling wins a clash). */
export function fromWireTags(
  tags: Readonly<Record<string, string>> | null | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags ?? {})) if (!WIRE_TO_OURS.has(key)) out[key] = value;
  for (const [key, value] of Object.entries(tags ?? {})) {
    const ours = WIRE_TO_OURS.get(key);
    if (ours !== undefined) out[ours] = value;
  }
  return out;
}

const Tags = /* @__PURE__ */ (() => z.record(z.string(), z.string()).nullish())();

export const HelloResult = /* @__PURE__ */ (() =>
  z.looseObject({
    Objects: z.record(
      z.string(),
      z.array(z.looseObject({ Name: z.string(), ProxyFor: z.string().nullish() })).nullable(),
    ),
  }))();

export const OkResult = /* @__PURE__ */ (() => z.looseObject({ OK: z.boolean() }))();

export const ProvisionResult = /* @__PURE__ */ (() => z.looseObject({ ID: z.string().min(1) }))();

export const WireDescription = /* @__PURE__ */ (() =>
  z.looseObject({
    ID: z.string().min(1),
    LogicalID: z.string().nullish(),
    Tags,
    Properties: z.unknown().optional(),
  }))();
export type WireDescription = z.output<typeof WireDescription>;

export const DescribeResult = /* @__PURE__ */ (() =>
  z.looseObject({ Descriptions: z.array(WireDescription).nullable() }))();

export const WireSpec = /* @__PURE__ */ (() =>
  z.looseObject({
    Properties: z.unknown().optional(),
    Tags,
    Init: z.string().nullish(),
    LogicalID: z.string().nullish(),
    Attachments: z.unknown().optional(),
  }))();
export type WireSpec = z.output<typeof WireSpec>;

export const PrepareResult = /* @__PURE__ */ (() => z.looseObject({ Spec: WireSpec }))();

/** `Flavor.Healthy`: 0 unknown, 1 healthy, 2 unhealthy. */
export const HealthyResult = /* @__PURE__ */ (() =>
  z.looseObject({ Health: z.union([z.literal(0), z.literal(1), z.literal(2)]) }))();

/** `value` checked against `schema`, or the `PluginProtocolError` naming the first misfit. */
export function readResult<S extends z.ZodType>(
  site: PluginCallSite,
  schema: S,
  value: unknown,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const [first] = parsed.error.issues;
  const where = first?.path.length ? `result.${first.path.join('.')}` : 'result';
  throw new PluginProtocolError(site, `${where}: ${first?.message ?? 'does not fit'}`, {
    cause: parsed.error,
  });
}
