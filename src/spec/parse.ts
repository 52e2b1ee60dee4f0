import { type Document, isScalar, LineCounter, parseDocument as parseYamlDocument, visit } from 'yaml';
import { type DocumentFormat, normalizeSpecObject, parseDocumentAs, resolveFormat } from './document.js';
import type { GroupSpec } from './schema.js';
import { validateSpec } from './validate.js';

/**
 * Alias references allowed per YAML anchor (the `yaml` library's `maxAliasCount`, which also weighs
 * aliases nested inside an anchor). A spec rarely needs any; each reference repeats the anchor's
 * content for validation, so a document of a few KiB could otherwise stand for megabytes.
 */
export const MAX_YAML_ALIASES = 10;

/** The `yaml` library's message for too many alias references, and ours. */
const ALIAS_LIMIT_ERROR = /excessive alias count/i;
const ALIAS_LIMIT_MESSAGE = `too many alias references (an anchor may be referenced at most ${MAX_YAML_ALIASES} times, counting aliases nested in it); write the values out instead`;

/** Where the first key that repeats an earlier key of the same mapping starts, if any. */
function duplicateKeyOffset(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Map(_, map) {
      // Scalar keys compare by value, others by identity: the library's own `uniqueKeys` rule.
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        const id = isScalar(key) ? key.value : key;
        if (seen.has(id)) {
          offset = isScalar(key) ? (key.range?.[0] ?? 0) : 0;
          return visit.BREAK;
        }
        seen.add(id);
      }
      return undefined;
    },
  });
  return offset;
}

/**
 * YAML text → a plain value (`parseDocument` for JSON or YAML). Keys must be unique, checked here in one pass: the library's
 * `uniqueKeys` compares every pair of keys of a mapping, so a 256 KiB body of distinct keys would
 * cost tens of seconds.
 */
export function parseYaml(text: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseYamlDocument(text, { prettyErrors: true, uniqueKeys: false, lineCounter });
  if (doc.errors.length > 0) throw doc.errors[0];
  const duplicate = duplicateKeyOffset(doc);
  if (duplicate !== undefined) {
    const { line, col } = lineCounter.linePos(duplicate);
    throw new Error(`Map keys must be unique at line ${line}, column ${col}`);
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    if (err instanceof Error && ALIAS_LIMIT_ERROR.test(err.message))
      throw new Error(ALIAS_LIMIT_MESSAGE, { cause: err });
    throw err;
  }
}

export { normalizeSpecObject } from './document.js';

/** Parses JSON or YAML text into a plain value; a syntax error names the line. */
export function parseDocument(text: string, format: DocumentFormat = 'auto'): unknown {
  return parseDocumentAs(text, resolveFormat(text, format), parseYaml);
}

/** Text (JSON, YAML, or InfraKit's JSON) → a validated spec with defaults filled in. */
export function parseSpecText(text: string, format: DocumentFormat = 'auto'): GroupSpec {
  return validateSpec(normalizeSpecObject(parseDocument(text, format)));
}
