export { createEngine } from './engine.js';
export { PassAbandonedError } from './errors.js';
export type * from './types.js';
