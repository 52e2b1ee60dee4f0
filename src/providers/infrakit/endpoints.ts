import * as z from 'zod';
import { type PluginEndpoint, parsePluginAddress } from './address.js';

/**
 * The InfraKit plugins a deployed controller reaches, by name: each an AWS Lambda function
 * (`lambda:<function ARN>`) or an HTTPS endpoint, optionally SigV4-signed. The construct's `plugins`
 * prop writes this list as JSON into `INFRAKIT_PLUGINS` (src/env.ts); the functions read it. Specs
 * name a plugin by its `name` (its only object) or `name/object` (one of its `objects`). A deployed
 * stack reaches no plugins folder and no plain HTTP: `http://` is refused here.
 */

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

// The schemas are marked pure: the Lambda bundles of a stack without plugins import this module
// (through the catalog) but use none of it, and esbuild then leaves it out.

export const ConfiguredPluginSchema = /* @__PURE__ */ z
  .strictObject({
    /** How specs name it: `plugin: <name>` or `<name>/<object>`. */
    name: z.string().regex(NAME, 'letters, digits, . _ - (at most 64), first a letter or digit'),
    /** `lambda:<function name or ARN>` or an `https://` URL. */
    address: z.string().max(1024),
    /** Sign HTTPS requests with SigV4 for this service: `execute-api` (API Gateway), `lambda` (function URL). */
    sigv4Service: z
      .string()
      .regex(/^[a-z0-9-]{1,64}$/, 'a SigV4 service name (execute-api, lambda, …)')
      .optional(),
    /** PEM certificates of a private CA the HTTPS endpoint's certificate chains to. */
    ca: z
      .string()
      .max(65_536)
      .regex(/-----BEGIN CERTIFICATE-----/, 'PEM certificates')
      .optional(),
    /** Named objects the plugin serves (`Handshake.Hello`); absent: its only, unnamed one. */
    objects: z.array(z.string().regex(NAME, 'letters, digits, . _ -')).min(1).optional(),
  })
  .superRefine((plugin, ctx) => {
    let kind: string;
    try {
      const address = parsePluginAddress(plugin.address);
      kind = address.kind === 'http' ? new URL(address.url).protocol : address.kind;
      if (address.type !== '')
        ctx.addIssue({
          code: 'custom',
          path: ['address'],
          message: 'name objects in `objects`, not after #',
        });
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['address'], message: (err as Error).message });
      return;
    }
    if (kind !== 'lambda' && kind !== 'https:')
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message: 'must be lambda:<function> or an https:// URL (a deployed controller reaches nothing else)',
      });
    if (kind === 'lambda' && (plugin.sigv4Service !== undefined || plugin.ca !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['address'],
        message: 'sigv4Service and ca apply to https:// plugins only',
      });
  });

export type ConfiguredPlugin = z.input<typeof ConfiguredPluginSchema>;

export const ConfiguredPluginsSchema = /* @__PURE__ */ z
  .array(ConfiguredPluginSchema)
  .superRefine((plugins, ctx) => {
    const seen = new Set<string>();
    plugins.forEach((p, i) => {
      if (seen.has(p.name))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `${p.name} is named twice` });
      seen.add(p.name);
    });
  });

/** The list in `text` (JSON), checked; throws `Error` naming `source` and the first misfit. */
export function parseConfiguredPlugins(text: string | undefined, source: string): ConfiguredPlugin[] {
  if (!text) return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source} is not JSON: ${(err as Error).message}`);
  }
  const parsed = ConfiguredPluginsSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const [first] = parsed.error.issues;
  throw new Error(`${source}[${first?.path.join('.') ?? ''}]: ${first?.message ?? 'invalid'}`);
}

/** Each configured plugin's endpoint, by name. */
export function configuredEndpoints(plugins: readonly ConfiguredPlugin[]): Map<string, PluginEndpoint> {
  return new Map(
    plugins.map((p): [string, PluginEndpoint] => {
      const address = parsePluginAddress(p.address);
      if (address.kind === 'lambda') return [p.name, { kind: 'lambda', functionName: address.functionName }];
      if (address.kind !== 'http') throw new Error(`${p.name}: not a lambda: or https:// address`);
      return [p.name, { kind: 'http', url: address.url, sigv4Service: p.sigv4Service, ca: p.ca }];
    }),
  );
}

/** The plugin objects the configured plugins serve, as specs name them (`ecs`, `ecs/tasks`). */
export function configuredObjects(plugins: readonly ConfiguredPlugin[]): string[] {
  return plugins.flatMap((p) => (p.objects ? p.objects.map((o) => `${p.name}/${o}`) : [p.name]));
}
