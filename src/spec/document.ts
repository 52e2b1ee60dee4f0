import { SpecValidationError } from '../errors.js';
import { fromInfrakit, isInfrakitSpec } from './infrakit.js';

/**
 * The format-independent half of document parsing: which syntax a text is in and the error a
 * syntax problem becomes. It imports no YAML library, so the API can parse JSON bodies without
 * loading one (`src/api/body.ts` loads `./parse.js` only for a YAML body).
 */

/** A document's syntax as given: `auto` sniffs (a leading `{` or `[` is JSON, anything else YAML). */
export type DocumentFormat = 'json' | 'yaml' | 'auto';

/** The syntax `text` is parsed as; an empty document is an error in either. */
export function resolveFormat(text: string, format: DocumentFormat): 'json' | 'yaml' {
  const trimmed = text.trim();
  if (trimmed === '') throw new SpecValidationError([{ path: '', message: 'the document is empty' }]);
  return format === 'json' || (format === 'auto' && /^[{[]/.test(trimmed)) ? 'json' : 'yaml';
}

/**
 * Parses `text` as `format`: JSON natively, YAML with `parseYaml` (from `parse.ts`, which holds the
 * YAML library; needed only for YAML). A syntax error becomes a spec error with the first line of
 * the parser's message.
 */
export function parseDocumentAs(
  text: string,
  format: 'json' | 'yaml',
  parseYaml?: (text: string) => unknown,
): unknown {
  const trimmed = text.trim();
  if (format === 'yaml' && parseYaml === undefined) throw new Error('parseDocumentAs: YAML needs parseYaml');
  try {
    return format === 'json' || parseYaml === undefined ? JSON.parse(trimmed) : parseYaml(trimmed);
  } catch (err) {
    const what = format === 'json' ? 'JSON' : 'YAML';
    const first = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
    throw new SpecValidationError([{ path: '', message: `invalid ${what}: ${first}` }], { cause: err });
  }
}

/** Converts an InfraKit-format spec when given one; returns ours unchanged. */
export function normalizeSpecObject(value: unknown): unknown {
  return isInfrakitSpec(value) ? fromInfrakit(value) : value;
}
