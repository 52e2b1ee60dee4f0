import type * as z from 'zod';
import { type FieldIssue, SpecValidationError } from '../errors.js';
import { onFirstUse } from '../lazy.js';
import { normalizeSpecObject, parseDocumentAs, resolveFormat } from '../spec/document.js';
import type { GroupSpec } from '../spec/schema.js';
import { parseWith, validateSpec } from '../spec/validate.js';
import { badRequest, HttpError } from './errors.js';
import { type ApiRequest, MAX_BODY_BYTES } from './http.js';
import { launchIssues } from './launch-check.js';
import type { ApiDeps } from './types.js';

const JSON_TYPES = new Set(['application/json']);
const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml']);

/** The document format named by `Content-Type`; `auto` (sniff) when the header is missing. */
export function bodyFormat(contentType: string | undefined): 'json' | 'yaml' | 'auto' {
  if (contentType === undefined || contentType.trim() === '') return 'auto';
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (JSON_TYPES.has(mediaType) || /^application\/[\w.+-]+\+json$/.test(mediaType)) return 'json';
  if (YAML_TYPES.has(mediaType)) return 'yaml';
  throw new HttpError(
    415,
    'unsupported-media-type',
    `unsupported Content-Type ${mediaType}: send application/json or application/yaml`,
  );
}

/**
 * The YAML parser (the `yaml` library, the largest module of the API bundle) is loaded with the
 * first YAML body: JSON bodies and bodiless requests, most of a cold container's, never need it.
 */
const loadYamlParser = onFirstUse(() => import('../spec/parse.js'));

/** The request body as a parsed JSON/YAML document; 413, 415 and 400 (syntax) as architecture §6 says. */
export async function readDocument(req: ApiRequest, required: boolean): Promise<unknown> {
  if (req.bodyTooLarge) {
    throw new HttpError(413, 'payload-too-large', `request body exceeds ${MAX_BODY_BYTES} bytes`);
  }
  const format = bodyFormat(req.headers['content-type']);
  if (!req.body || req.body.length === 0) {
    if (required) throw badRequest('a request body is required');
    return undefined;
  }
  const text = req.body.toString('utf8');
  const syntax = resolveFormat(text, format);
  return parseDocumentAs(text, syntax, syntax === 'yaml' ? (await loadYamlParser()).parseYaml : undefined);
}

/** Parses a small JSON request body (size, rollback) with `schema`; problems are 400 `invalid-request`. */
export async function readJsonBody<S extends z.ZodType>(req: ApiRequest, schema: S): Promise<z.output<S>> {
  try {
    return parseWith(schema, await readDocument(req, true));
  } catch (err) {
    if (err instanceof SpecValidationError) throw badRequest(err.message, err.issues);
    throw err;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Validates a spec completely before anything is written: the spec schema, then the provider's and
 * the flavor's own validation, whose field paths are prefixed so the caller sees where they are,
 * then the launch the two make together against the provider's launch limits (`launchIssues`).
 * Returns the spec with provider and flavor properties normalized (defaults filled in), so that a
 * spelled-out default never changes the config hash.
 */
export function validateFullSpec(value: unknown, deps: Pick<ApiDeps, 'providers' | 'flavors'>): GroupSpec {
  const spec = validateSpec(value);
  const issues: FieldIssue[] = [];
  const collect = (prefix: string, run: () => Record<string, unknown>): Record<string, unknown> => {
    try {
      return run();
    } catch (err) {
      if (!(err instanceof SpecValidationError)) throw err;
      issues.push(...err.withPrefix(prefix).issues);
      return {};
    }
  };
  const provider = deps.providers.get(spec.instance.provider);
  const flavor = deps.flavors.get(spec.flavor.kind);
  if (!provider) {
    const known = [...deps.providers.keys()].sort().join(', ');
    issues.push({
      path: 'instance.provider',
      message: `unknown provider ${spec.instance.provider} (known: ${known})`,
    });
  }
  if (!flavor) {
    const known = [...deps.flavors.keys()].sort().join(', ');
    issues.push({ path: 'flavor.kind', message: `unknown flavor ${spec.flavor.kind} (known: ${known})` });
  }
  const instanceProps = provider
    ? collect('instance.properties', () => provider.validate(spec.instance.properties))
    : {};
  const flavorProps = flavor
    ? collect('flavor.properties', () => flavor.validate(spec.flavor.properties, spec.allocation))
    : {};
  if (issues.length > 0) throw new SpecValidationError(issues);
  const normalized: GroupSpec = {
    ...spec,
    instance: { ...spec.instance, properties: instanceProps },
    flavor: { ...spec.flavor, properties: flavorProps },
  };
  // Each is valid alone; together (the flavor's tags and init on the provider's launch) they may
  // still break a limit the provider only meets at launch, where it would block the group.
  if (provider && flavor) {
    const atLaunch = launchIssues(normalized, provider, flavor);
    if (atLaunch.length > 0) throw new SpecValidationError(atLaunch);
  }
  return normalized;
}

/**
 * The provider's `preflight` on a fully validated spec: the launch guardrails only the backend can
 * check (a subnet's VPC, an image's owner). Issues come back with spec paths; nothing is written.
 */
export async function preflightSpec(spec: GroupSpec, deps: Pick<ApiDeps, 'providers'>): Promise<GroupSpec> {
  const provider = deps.providers.get(spec.instance.provider);
  if (!provider?.preflight) return spec;
  try {
    await provider.preflight(spec.instance.properties);
  } catch (err) {
    if (err instanceof SpecValidationError) throw err.withPrefix('instance.properties');
    throw err;
  }
  return spec;
}

/**
 * The spec in a PUT body (JSON, YAML or InfraKit format), fully validated. The body's `id` must
 * equal the path's; when absent it is taken from the path.
 */
export async function readSpecBody(
  req: ApiRequest,
  pathId: string,
  deps: Pick<ApiDeps, 'providers' | 'flavors'>,
): Promise<GroupSpec> {
  const doc = normalizeSpecObject(await readDocument(req, true));
  if (!isRecord(doc)) {
    throw new SpecValidationError([{ path: '', message: 'the spec must be an object' }]);
  }
  if (doc.id !== undefined && doc.id !== pathId) {
    throw new SpecValidationError([
      { path: 'id', message: `must equal the id in the path (${pathId}), got ${JSON.stringify(doc.id)}` },
    ]);
  }
  return validateFullSpec({ ...doc, id: pathId }, deps);
}
