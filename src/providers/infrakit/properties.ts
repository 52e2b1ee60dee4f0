import * as z from 'zod';
import { parseWith } from '../../spec/validate.js';
import { parsePluginAddress } from './address.js';

// Module-level values are built in pure functions: the Lambda bundles of a stack without InfraKit
// plugins import this module (through the catalog) but use none of it, and esbuild then leaves it out.
/** A plugin address as a zod string: one of the forms `address.ts` describes. */
export const PluginAddressSchema = /* @__PURE__ */ (() =>
  z
    .string()
    .min(1, 'must name a plugin')
    .max(1024)
    .superRefine((text, ctx) => {
      try {
        parsePluginAddress(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    }))();

/** `instance.properties` of the `infrakit` provider. Unknown keys are errors. */
export const InfrakitPropertiesSchema = /* @__PURE__ */ (() =>
  z.strictObject({
    /** The `Instance/0.6.1` plugin object: `simulator/compute`, `unix:///path#object`, `http(s)://…`. */
    plugin: PluginAddressSchema,
    /** Handed to the plugin as the instance spec's `Properties`, unread here. @default {} */
    properties: z.record(z.string(), z.unknown()).default({}),
  }))();

export type InfrakitProperties = z.output<typeof InfrakitPropertiesSchema>;

/** Validates and fills in defaults; throws `SpecValidationError` with paths relative to the properties. */
export function parseInfrakitProperties(value: unknown): InfrakitProperties {
  return parseWith(InfrakitPropertiesSchema, value);
}
