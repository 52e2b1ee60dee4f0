export { type Assessed, assess, type Condition, needsRemediation, removalOrder } from './health.js';
export { remediationLimit } from './limits.js';
export { plan } from './plan.js';
export * from './types.js';
