import type * as z from 'zod';
import { admitOrThrow, preflightIssues } from '../admission/admit.js';
import { SpecValidationError } from '../errors.js';
import { onFirstUse } from '../lazy.js';
import { normalizeSpecObject, parseDocumentAs, resolveFormat } from '../spec/document.js';
import type { GroupSpec } from '../spec/schema.js';
import { parseWith } from '../spec/validate.js';
import { badRequest, HttpError } from './errors.js';
import { type ApiRequest, MAX_BODY_BYTES } from './http.js';
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
 * Admits a spec (architecture §3, `src/admission`) for a write, or throws `SpecValidationError`
 * (400): the schema, the provider's and flavor's validation, the launch limits, then what only the
 * provider's backend can tell (`preflight`). Returns the spec with its properties normalized.
 */
export async function admitForWrite(
  value: unknown,
  deps: Pick<ApiDeps, 'providers' | 'flavors' | 'controllerId'>,
): Promise<GroupSpec> {
  const admitted = admitOrThrow(value, deps);
  const issues = await preflightIssues(admitted, deps.controllerId);
  if (issues.length > 0) throw new SpecValidationError([...issues]);
  return admitted.spec;
}

/**
 * The spec in a PUT body (JSON, YAML or InfraKit format), fully validated. The body's `id` must
 * equal the path's; when absent it is taken from the path.
 */
export async function readSpecBody(
  req: ApiRequest,
  pathId: string,
  deps: Pick<ApiDeps, 'providers' | 'flavors' | 'controllerId'>,
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
  return admitForWrite({ ...doc, id: pathId }, deps);
}
