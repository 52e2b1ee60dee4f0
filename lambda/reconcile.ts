import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { awsRuntime } from '../src/runtime/aws.js';
import { createMetrics, recordSweep } from '../src/runtime/metrics.js';
import { type ScheduledSweepSummary, scheduledSweep } from '../src/runtime/sweep.js';

/** Time kept after the sweep for fanning out, metrics and returning. */
const FINISH_MARGIN_MS = 3_000;

/** Built on the first invocation (Powertools reads its environment then), kept warm after. */
let metrics: Metrics | undefined;

/** EventBridge schedule → one sweep of all groups, the rest fanned out as events before the deadline. */
export const handler = async (_event: unknown, context: Context): Promise<ScheduledSweepSummary> => {
  const runtime = await awsRuntime();
  metrics ??= createMetrics();
  runtime.logger.addContext(context);
  const deadline = Date.now() + context.getRemainingTimeInMillis() - FINISH_MARGIN_MS;
  try {
    const { report, summary } = await scheduledSweep(runtime, deadline);
    const tally = recordSweep(metrics, report);
    runtime.log.info('sweep done', { ...summary, ...tally, errors: Object.fromEntries(tally.errors) });
    return summary;
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};
