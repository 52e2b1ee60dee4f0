export { canonicalJson, configHash } from './hash.js';
export { fromInfrakit, isInfrakitSpec, parseGoDuration } from './infrakit.js';
export { groupSpecJsonSchema } from './json-schema.js';
export { normalizeSpecObject, parseDocument, parseSpecText } from './parse.js';
export { restoreConfig } from './rollback.js';
export * from './schema.js';
export { issuePath, parseWith, toFieldIssues, validateSpec } from './validate.js';
