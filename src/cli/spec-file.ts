import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { admitSpec } from '../admission/admit.js';
import { SpecValidationError } from '../errors.js';
import { shapeRegistries } from '../plugins/catalog.js';
import { GROUP_ID_PATTERN, normalizeSpecObject, parseDocument, validateSpec } from '../spec/index.js';

/** A spec file ready to send: its text unchanged, the media type of its format, and the group id. */
export interface SpecFile {
  readonly id: string;
  readonly text: string;
  readonly contentType: 'application/json' | 'application/yaml';
}

function formatOf(path: string, text: string): 'json' | 'yaml' {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  return /^\s*[{[]/.test(text) ? 'json' : 'yaml';
}

/**
 * Reads a YAML, JSON or InfraKit-format spec file. The text is sent as is (the API parses and
 * admits it again); here it is parsed to learn the group id and admitted by shape (`src/admission`
 * with the plugins' own schemas), so a bad file fails before anything is sent, with the field
 * paths of everything wrong in it.
 */
export async function readSpecFile(path: string): Promise<SpecFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}`);
  }
  const format = formatOf(path, text);
  const spec = normalizeSpecObject(parseDocument(text, format));
  const id = spec !== null && typeof spec === 'object' ? (spec as Record<string, unknown>).id : undefined;
  if (typeof id !== 'string' || !GROUP_ID_PATTERN.test(id)) {
    // Report every problem at once, not only the id.
    validateSpec(spec);
    throw new SpecValidationError([{ path: 'id', message: 'is required' }]);
  }
  // Admitted as every controller would before anything is sent: the schema, then the provider's and
  // the flavor's properties by their plugins' own schemas. A controller may refuse more (its
  // guardrails, the plugins it serves); it never accepts less.
  const admission = admitSpec(spec, shapeRegistries(), { checkLaunch: false });
  if (!admission.ok) throw new SpecValidationError([...admission.issues]);
  return { id, text, contentType: format === 'json' ? 'application/json' : 'application/yaml' };
}
