import { DETAIL_TYPE_RECONCILE_REQUESTED } from '../events/constants.js';
import type { EventPublisher } from '../events/publisher.js';
import type { Log } from '../log.js';
import type { Engine, SweepReport } from '../reconcile/types.js';

/** What a scheduled sweep did, as the reconcile handler returns and logs it. */
export interface ScheduledSweepSummary {
  readonly groupsSeen: number;
  readonly results: number;
  readonly skipped: number;
  /** `Reconcile Requested` events published for the skipped groups. */
  readonly fannedOutEvents: number;
  readonly durationMs: number;
}

/**
 * The scheduled sweep: every group until `deadline`; the groups left over are fanned out as
 * `Reconcile Requested` events (batches of IDs) for the events handler. Two invocations working on
 * one group are safe: whichever takes the lease acts, the other sees `busy` or a steady group.
 */
export async function scheduledSweep(
  deps: { engine: Engine; publisher: Pick<EventPublisher, 'publish'>; log?: Log },
  deadline: number,
): Promise<{ report: SweepReport; summary: ScheduledSweepSummary }> {
  const report = await deps.engine.sweep({ deadline });
  let fannedOutEvents = 0;
  if (report.skipped.length > 0) {
    fannedOutEvents = await deps.publisher.publish(
      DETAIL_TYPE_RECONCILE_REQUESTED,
      report.skipped,
      'the scheduled sweep ran out of time',
    );
    deps.log?.info('sweep fanned out', { skipped: report.skipped.length, events: fannedOutEvents });
  }
  const summary = {
    groupsSeen: report.groupsSeen,
    results: report.results.length,
    skipped: report.skipped.length,
    fannedOutEvents,
    durationMs: report.durationMs,
  };
  return { report, summary };
}
