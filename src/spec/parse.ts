import { parse as parseYaml } from 'yaml';
import { SpecValidationError } from '../errors.js';
import { fromInfrakit, isInfrakitSpec } from './infrakit.js';
import type { GroupSpec } from './schema.js';
import { validateSpec } from './validate.js';

/** Parses JSON or YAML text into a plain value; a syntax error names the line. */
export function parseDocument(text: string, format: 'json' | 'yaml' | 'auto' = 'auto'): unknown {
  const trimmed = text.trim();
  if (trimmed === '') throw new SpecValidationError([{ path: '', message: 'the document is empty' }]);
  const asJson = format === 'json' || (format === 'auto' && /^[{[]/.test(trimmed));
  try {
    return asJson ? JSON.parse(trimmed) : parseYaml(trimmed, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    const what = asJson ? 'JSON' : 'YAML';
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new SpecValidationError([{ path: '', message: `invalid ${what}: ${detail}` }], { cause: err });
  }
}

/** Converts an InfraKit-format spec when given one; returns ours unchanged. */
export function normalizeSpecObject(value: unknown): unknown {
  return isInfrakitSpec(value) ? fromInfrakit(value) : value;
}

/** Text (JSON, YAML, or InfraKit's JSON) → a validated spec with defaults filled in. */
export function parseSpecText(text: string, format: 'json' | 'yaml' | 'auto' = 'auto'): GroupSpec {
  return validateSpec(normalizeSpecObject(parseDocument(text, format)));
}
