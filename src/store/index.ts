export type { DynamoStoreLimits } from './context.js';
export { DynamoGroupStore, type DynamoGroupStoreOptions } from './dynamo.js';
export * from './errors.js';
export { ensureControllerIdentity } from './identity.js';
export { ensureTable, TABLE_KEY, TTL_ATTRIBUTE } from './table.js';
export type * from './types.js';
