export { type Assessed, assess, type Condition, needsRemediation, removalOrder } from './health.js';
export { remediationLimit } from './limits.js';
export { plan, refusedPlan } from './plan.js';
export { deadlineOf, trackRollout, withFailedLaunches } from './progress.js';
export * from './types.js';
export { replacementWindow } from './window.js';
