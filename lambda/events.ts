import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { dispatchEvent } from '../src/events/registry.js';
import { awsRuntime } from '../src/runtime/aws.js';
import { createMetrics, recordPasses } from '../src/runtime/metrics.js';

/** Time kept after the last pass for metrics and returning. */
const FINISH_MARGIN_MS = 1_000;

/** What the handler returns (visible in tests and in Lambda's async invocation records). */
export interface EventsHandlerResult {
  readonly kind: string;
  readonly action: string;
  readonly groupIds: readonly string[];
  readonly outcomes: readonly { groupId: string; outcome: string; launched: number; terminated: number }[];
}

/** Built on the first invocation (Powertools reads its environment then), kept warm after. */
let metrics: Metrics | undefined;

/**
 * EventBridge (EC2 state changes, Spot and rebalance notices, AWS Health, the project's own events)
 * → the registry in src/events. A store or engine failure throws, so Lambda retries the event.
 */
export const handler = async (
  event: EventBridgeEvent<string, unknown>,
  context: Context,
): Promise<EventsHandlerResult> => {
  const runtime = await awsRuntime();
  metrics ??= createMetrics();
  runtime.logger.addContext(context);
  try {
    const outcome = await dispatchEvent(event, {
      store: runtime.store,
      engine: runtime.engine,
      lookupInstanceGroup: runtime.lookupInstanceGroup,
      log: runtime.log,
      deadline: Date.now() + context.getRemainingTimeInMillis() - FINISH_MARGIN_MS,
    });
    if (outcome.results.length > 0) recordPasses(metrics, outcome.results);
    return {
      kind: outcome.kind,
      action: outcome.action,
      groupIds: outcome.groupIds,
      outcomes: outcome.results.map(({ groupId, outcome: o, launched, terminated }) => ({
        groupId,
        outcome: o,
        launched,
        terminated,
      })),
    };
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};
