import type { Context } from 'aws-lambda';
import { awsRuntime } from '../src/runtime/aws.js';
import { recordSweep } from '../src/runtime/observability.js';
import { type ScheduledSweepSummary, scheduledSweep } from '../src/runtime/sweep.js';

/** Time kept after the sweep for fanning out, metrics and returning. */
const FINISH_MARGIN_MS = 3_000;

/** EventBridge schedule → one sweep of all groups, the rest fanned out as events before the deadline. */
export const handler = async (_event: unknown, context: Context): Promise<ScheduledSweepSummary> => {
  const runtime = await awsRuntime();
  runtime.logger.addContext(context);
  const deadline = Date.now() + context.getRemainingTimeInMillis() - FINISH_MARGIN_MS;
  try {
    const { report, summary } = await scheduledSweep(runtime, deadline);
    const tally = recordSweep(runtime.metrics, report);
    runtime.log.info('sweep done', { ...summary, ...tally, errors: Object.fromEntries(tally.errors) });
    return summary;
  } finally {
    if (runtime.metrics.hasStoredMetrics()) runtime.metrics.publishStoredMetrics();
  }
};
